/**
 * Certificate revocation for client certificates (Device Defender REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE):
 * a declared, typed list of revoked certificates becomes a CRL signed by the client CA inside the
 * broker pod, refreshed before it expires, and read by Mosquitto (`crlfile`).
 *
 * Why in the pod: a CRL must be signed by the CA that issued the certificates (OpenSSL checks the
 * CRL's signature with the CA in `cafile`), and the client CA's key lives in the cluster (the
 * cert-manager CA Secret). Terraform never reads it (it would land in the state). The credentials
 * reloader, a container of its own under its own UID that the broker container cannot inspect,
 * mounts the CA Secret and signs with the image's `openssl` binary (templates/mosquitto/fortress-crl.sh).
 *
 * Mosquitto 2.0 checks the CRL at the TLS handshake only (src/net.c: X509_V_FLAG_CRL_CHECK, the
 * leaf certificate; a new CRL is loaded on SIGHUP) and never re-checks open sessions
 * (src/security_default.c re-reads the CN, not the CRL). So when the set of revoked
 * certificates changes, the reloader restarts mosquitto (the entrypoint's existing restart
 * request): every session reconnects, the revoked one is refused at the handshake.
 */
import { assertInt, assertResolved } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';

/** RFC 5280 reasons, as `openssl ca` names them. */
export const REVOCATION_REASONS = ['unspecified', 'keyCompromise', 'CACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export interface RevokedCertificate {
  /** The certificate's serial number in hex (as `openssl x509 -serial` prints it; colons allowed), e.g. `"4A:3F:..."`. */
  readonly serial: string;
  /** The identity the certificate was issued to (its CN), shown in the report. It may be an identity no longer in the policy. */
  readonly identity: string;
  readonly reason: RevocationReason;
  /** When the certificate was revoked, UTC: `YYYY-MM-DDTHH:MM:SSZ`. */
  readonly revokedAt: string;
}

export interface CertificateRevocationProps {
  /**
   * Secret with the client CA's certificate and key (`tls.crt`, `tls.key`), as cert-manager's
   * bootstrap CA Secret (`<broker>-ca`) or your existing-ca Secret holds them. Only the credentials
   * containers mount it; the broker container never does.
   */
  readonly caSecretName: string;
  /** The revoked certificates. An empty list still enforces a (signed, empty) CRL. */
  readonly revoked: readonly RevokedCertificate[];
  /** Lifetime of each signed CRL (nextUpdate). An expired CRL makes every client certificate fail (fail closed). @default 168 (7 days) */
  readonly crlValidityHours?: number;
  /** The CRL is signed again when it is older than this, so it never expires while the reloader runs. @default 24 */
  readonly refreshHours?: number;
}

export interface ResolvedRevocation {
  readonly caSecretName: string;
  readonly revoked: readonly (RevokedCertificate & { readonly serial: string })[];
  readonly crlValidityHours: number;
  readonly refreshHours: number;
}

const IDENTITY = /^[A-Za-z0-9._-]{1,128}$/;
const REVOKED_AT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Upper-case hex without colons and leading zero octets, an even number of digits (openssl's index form). */
export function normalizeSerial(prop: string, serial: string): string {
  assertResolved(prop, serial);
  const raw = typeof serial === 'string' ? serial.replace(/:/g, '') : '';
  if (typeof serial !== 'string' || !/^([0-9A-Fa-f]{2}:)*[0-9A-Fa-f]{1,2}$|^[0-9A-Fa-f]{1,40}$/.test(serial) || raw.length > 40 || !/[1-9A-Fa-f]/.test(raw)) {
    throw new FortressError(
      'REVOCATION_SERIAL',
      `${prop} must be a certificate serial number in hex (at most 20 octets, not zero; colons between octets allowed), got ${show(serial)}. Read it with \`openssl x509 -noout -serial -in device.crt\`.`,
    );
  }
  let hex = raw.toUpperCase().replace(/^0+/, '');
  if (hex.length % 2) hex = `0${hex}`;
  return hex;
}

/** Validates the declared list; throws FortressError naming the prop, the value and the fix. */
export function resolveRevocation(prop: string, r: CertificateRevocationProps): ResolvedRevocation {
  if (!r || typeof r !== 'object') throw new FortressError('REVOCATION', `${prop} must be { caSecretName, revoked: [...] }, got ${show(r)}.`);
  assertResolved(`${prop}.caSecretName`, r.caSecretName);
  if (typeof r.caSecretName !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(r.caSecretName) || r.caSecretName.length > 253) {
    throw new FortressError('REVOCATION', `${prop}.caSecretName must name the Secret holding the client CA's tls.crt and tls.key (e.g. "mosquitto-ca"), got ${show(r.caSecretName)}.`);
  }
  if (!Array.isArray(r.revoked)) throw new FortressError('REVOCATION', `${prop}.revoked must be an array of { serial, identity, reason, revokedAt }, got ${show(r.revoked)}; use [] for none.`);
  const crlValidityHours = r.crlValidityHours ?? 168;
  const refreshHours = r.refreshHours ?? 24;
  assertInt(`${prop}.crlValidityHours`, crlValidityHours, 2, 8760);
  assertInt(`${prop}.refreshHours`, refreshHours, 1, 8759);
  if (refreshHours * 2 > crlValidityHours) {
    throw new FortressError(
      'REVOCATION',
      `${prop}.refreshHours (${refreshHours}) must be at most half of crlValidityHours (${crlValidityHours}): a CRL signed that late leaves no margin before it expires, and an expired CRL refuses every client certificate. Lower refreshHours or raise crlValidityHours.`,
    );
  }
  const seen = new Map<string, number>();
  const revoked = r.revoked.map((e, i) => {
    const p = `${prop}.revoked[${i}]`;
    if (!e || typeof e !== 'object') throw new FortressError('REVOCATION', `${p} must be { serial, identity, reason, revokedAt }, got ${show(e)}.`);
    const serial = normalizeSerial(`${p}.serial`, e.serial);
    const prev = seen.get(serial);
    if (prev !== undefined) throw new FortressError('REVOCATION_SERIAL', `${p}.serial ${show(e.serial)} repeats ${prop}.revoked[${prev}]; list each certificate once.`);
    seen.set(serial, i);
    assertResolved(`${p}.identity`, e.identity);
    if (typeof e.identity !== 'string' || !IDENTITY.test(e.identity)) {
      throw new FortressError('REVOCATION', `${p}.identity must be the certificate's CN, a username of letters, digits, '.', '_' and '-' (at most 128), got ${show(e.identity)}.`);
    }
    if (!(REVOCATION_REASONS as readonly string[]).includes(e.reason)) {
      throw new FortressError('REVOCATION', `${p}.reason must be one of ${REVOCATION_REASONS.join(', ')}, got ${show(e.reason)}.`);
    }
    const m = typeof e.revokedAt === 'string' ? REVOKED_AT.exec(e.revokedAt) : null;
    const d = m ? new Date(e.revokedAt) : undefined;
    if (!m || !d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 19) !== e.revokedAt.slice(0, 19) || Number(m[1]) < 2000 || Number(m[1]) > 2049) {
      throw new FortressError('REVOCATION', `${p}.revokedAt must be a UTC time "YYYY-MM-DDTHH:MM:SSZ" between 2000 and 2049, got ${show(e.revokedAt)}.`);
    }
    return { serial, identity: e.identity, reason: e.reason, revokedAt: e.revokedAt };
  });
  return { caSecretName: r.caSecretName, revoked, crlValidityHours, refreshHours };
}

/** `YYMMDDHHMMSSZ` (ASN.1 UTCTime, the form openssl's index uses). */
function utcTime(iso: string): string {
  return `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/**
 * The declared list as an `openssl ca` database (index.txt), from which `openssl ca -gencrl`
 * signs the CRL. Columns: status R, expiry (not written into a CRL; the revocation time is used),
 * revocation time and reason, serial, file name (unknown), subject. Sorted by serial: the same
 * list always renders the same bytes.
 */
export function renderRevocationIndex(r: ResolvedRevocation): string {
  return [...r.revoked]
    .sort((a, b) => a.serial.length - b.serial.length || (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0))
    .map((e) => `R\t${utcTime(e.revokedAt)}\t${utcTime(e.revokedAt)},${e.reason}\t${e.serial}\tunknown\t/CN=${e.identity}\n`)
    .join('');
}

/** Environment of the credentials containers that makes fortress-auth.sh sign and refresh the CRL. */
export function crlEnv(r: ResolvedRevocation | undefined, indexPath: string, caPath: string): { name: string; value: string }[] {
  if (!r) return [];
  return [
    { name: 'FORTRESS_CRL_INDEX', value: indexPath },
    { name: 'FORTRESS_CRL_CA', value: caPath },
    { name: 'FORTRESS_CRL_HOURS', value: String(r.crlValidityHours) },
    { name: 'FORTRESS_CRL_REFRESH', value: String(r.refreshHours * 3600) },
  ];
}

/** The client CA's Secret as a volume: certificate and key only, mounted by the credentials containers alone. */
export function crlCaVolume(name: string, r: ResolvedRevocation): Record<string, unknown> {
  return {
    name,
    secret: {
      secretName: r.caSecretName,
      defaultMode: 0o440,
      items: [
        { key: 'tls.crt', path: 'tls.crt' },
        { key: 'tls.key', path: 'tls.key' },
      ],
    },
  };
}
