/**
 * Token authentication for EMQX 5.8 without plugins (issue 16): the built-in JWT authenticator,
 * after the password database in the authentication chain. The token travels in the CONNECT
 * password; its claims must equal the CONNECT username and client id (`verify_claims` with
 * `${username}` and `${clientid}`), and the username is then authorized by the policy's acl.conf
 * like any other. Keys: a JWKS endpoint (https, certificate verified) or an RSA/EC public key
 * (public, so it may sit in the ConfigMap), inline or from a Kubernetes Secret mounted as a file
 * (`publicKeySecret`: the key rotates with the Secret and a pod restart, not a synth). HMAC secrets are refused: the secret would be in
 * emqx.conf, a ConfigMap. Mosquitto 2.0's stock image has no JWT support (it would need an auth
 * plugin), so this exists for EMQX only.
 */
import { createPublicKey } from 'node:crypto';
import { assertDnsLabel } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';

/** A key of a Kubernetes Secret in the cluster's namespace. */
export interface EmqxJwtKeySecret {
  /** Name of the Secret (a DNS-1123 label, as the kit's other Secret names). */
  readonly name: string;
  /** Key inside the Secret holding the PEM ("-----BEGIN PUBLIC KEY-----", RSA or EC). */
  readonly key: string;
}

export interface EmqxJwtAuth {
  /**
   * JWKS endpoint of the token issuer (https). EMQX fetches it every `refreshIntervalSeconds`
   * and verifies its certificate against the system CAs, or `jwksCaFile` when given.
   * @default - none: give exactly one of this, `publicKeyPem` or `publicKeySecret`
   */
  readonly jwksEndpoint?: string;
  /** CA file (path inside the pod) for the JWKS endpoint's certificate. @default - the system CAs */
  readonly jwksCaFile?: string;
  /** @default 300 */
  readonly refreshIntervalSeconds?: number;
  /**
   * PEM of the issuer's RSA or EC public key (SPKI, "-----BEGIN PUBLIC KEY-----"). Public by
   * nature: it is rendered into emqx.conf.
   * @default - none: give exactly one of this, `jwksEndpoint` or `publicKeySecret`
   */
  readonly publicKeyPem?: string;
  /**
   * Secret key holding the issuer's RSA or EC public key (SPKI PEM). Only that key is mounted,
   * read-only (defaultMode 0440), at `/run/fortress/jwt/public-key.pem` in the EMQX container, and
   * emqx.conf names that path: EMQX 5.8 reads `public_key` as a file when the path exists
   * (emqx_authn_jwt.erl, `do_create_jwk_from_public_key/1`). EMQX reads it when the authenticator
   * starts, so after replacing the key in the Secret restart the pods (`kubectl rollout restart
   * statefulset/NAME`); no synth is needed. A pod does not start while the Secret or key is missing.
   * The kit cannot check the PEM at synth: put a public key there, never a private key. For key
   * rotation without restarts use `jwksEndpoint`.
   * @default - none: give exactly one of this, `jwksEndpoint` or `publicKeyPem`
   */
  readonly publicKeySecret?: EmqxJwtKeySecret;
  /** Claim that must equal the CONNECT username. @default 'username' */
  readonly usernameClaim?: string;
  /** Claim that must equal the client id (the kit binds client id = username). @default 'clientid' */
  readonly clientIdClaim?: string;
}

/**
 * EMQX reads an ACL from the token claim named `acl_claim_name` (default "acl") and checks it
 * before the file source. The kit authorizes from the policy only, so the claim EMQX looks for is
 * one no issuer writes.
 */
export const JWT_ACL_CLAIM_UNUSED = 'mqtt_fortress_acl_from_policy_only';

/** Where `publicKeySecret` is mounted in the EMQX container, and the file name of its one key. */
export const JWT_KEY_DIR = '/run/fortress/jwt';
export const JWT_KEY_FILE = 'public-key.pem';
/** Kubernetes Secret data key (k8s.io/apimachinery IsConfigMapKey). */
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** The pod volume and container mount for `publicKeySecret`, or none; validates it. */
export function jwtKeyVolume(j: EmqxJwtAuth | undefined): { volume: Record<string, unknown>; mount: Record<string, unknown> } | undefined {
  const s = j?.publicKeySecret;
  if (s === undefined) return undefined;
  if (!s || typeof s !== 'object') throw new FortressError('EMQX_JWT', `jwt.publicKeySecret is ${show(s)}: give { name, key } of the Secret holding the public key.`);
  assertDnsLabel('jwt.publicKeySecret.name', s.name);
  if (typeof s.key !== 'string' || !SECRET_KEY.test(s.key) || s.key === '.' || s.key === '..') {
    throw new FortressError('EMQX_JWT', `jwt.publicKeySecret.key is ${show(s.key)}: give a Secret key of letters, digits, "-", "_" or "." (not "." or "..", at most 253).`);
  }
  return {
    volume: { name: 'jwt-key', secret: { secretName: s.name, defaultMode: 0o440, items: [{ key: s.key, path: JWT_KEY_FILE }] } },
    mount: { name: 'jwt-key', mountPath: JWT_KEY_DIR, readOnly: true },
  };
}

const CLAIM = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** The `authentication` entry for the JWT authenticator, validated; throws FortressError naming the prop. */
export function renderJwtAuthenticator(j: EmqxJwtAuth): Record<string, unknown> {
  if (!j || typeof j !== 'object') throw new FortressError('EMQX_JWT', 'jwt must be an object with jwksEndpoint, publicKeyPem or publicKeySecret.');
  const given = [j.jwksEndpoint !== undefined, j.publicKeyPem !== undefined, j.publicKeySecret !== undefined].filter(Boolean).length;
  if (given !== 1) {
    throw new FortressError(
      'EMQX_JWT',
      "jwt needs exactly one of jwksEndpoint (https URL of the issuer's key set), publicKeyPem (the issuer's public key) or publicKeySecret (a Secret key holding it).",
    );
  }
  const usernameClaim = j.usernameClaim ?? 'username';
  const clientIdClaim = j.clientIdClaim ?? 'clientid';
  for (const [prop, v] of [
    ['jwt.usernameClaim', usernameClaim],
    ['jwt.clientIdClaim', clientIdClaim],
  ] as const) {
    if (typeof v !== 'string' || !CLAIM.test(v)) throw new FortressError('EMQX_JWT', `${prop} is ${show(v)}: use a claim name of letters, digits, "_", "." or "-" (at most 64).`);
  }
  if (usernameClaim === clientIdClaim) throw new FortressError('EMQX_JWT', `jwt.usernameClaim and jwt.clientIdClaim are both ${show(usernameClaim)}; give two claims.`);
  const common = {
    mechanism: 'jwt',
    from: 'password',
    verify_claims: { [usernameClaim]: '${username}', [clientIdClaim]: '${clientid}' },
    acl_claim_name: JWT_ACL_CLAIM_UNUSED,
    disconnect_after_expire: true,
  };
  if (j.jwksEndpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(j.jwksEndpoint);
    } catch {
      throw new FortressError('EMQX_JWT', `jwt.jwksEndpoint is ${show(j.jwksEndpoint)}, not a URL. Give the issuer's https JWKS URL.`);
    }
    if (url.protocol !== 'https:' || url.username || url.password || /[\s"\\]/.test(j.jwksEndpoint)) {
      throw new FortressError(
        'EMQX_JWT',
        `jwt.jwksEndpoint is ${show(j.jwksEndpoint)}: it must be an https URL without credentials or quotes (keys fetched over plain http could be replaced in transit).`,
      );
    }
    const refresh = j.refreshIntervalSeconds ?? 300;
    if (!Number.isInteger(refresh) || refresh < 10 || refresh > 86400) throw new FortressError('EMQX_JWT', `jwt.refreshIntervalSeconds is ${show(refresh)}: use an integer from 10 to 86400.`);
    if (j.jwksCaFile !== undefined && (typeof j.jwksCaFile !== 'string' || !/^\/[A-Za-z0-9._/-]+$/.test(j.jwksCaFile))) {
      throw new FortressError('EMQX_JWT', `jwt.jwksCaFile is ${show(j.jwksCaFile)}: give an absolute path inside the pod.`);
    }
    return {
      ...common,
      use_jwks: true,
      endpoint: url.toString(),
      refresh_interval: refresh,
      ssl: { enable: true, verify: 'verify_peer', server_name_indication: url.hostname, ...(j.jwksCaFile ? { cacertfile: j.jwksCaFile } : { cacerts: true }) },
    };
  }
  if (j.jwksCaFile !== undefined || j.refreshIntervalSeconds !== undefined) throw new FortressError('EMQX_JWT', 'jwt.jwksCaFile and jwt.refreshIntervalSeconds apply to jwksEndpoint only.');
  if (j.publicKeySecret !== undefined) {
    jwtKeyVolume(j);
    return { ...common, algorithm: 'public-key', public_key: `${JWT_KEY_DIR}/${JWT_KEY_FILE}` };
  }
  const pem = j.publicKeyPem;
  let type: string | undefined;
  try {
    if (typeof pem !== 'string' || !pem.includes('-----BEGIN PUBLIC KEY-----')) throw new Error('not an SPKI PEM');
    type = createPublicKey(pem).asymmetricKeyType;
  } catch {
    throw new FortressError(
      'EMQX_JWT',
      'jwt.publicKeyPem is not a PEM public key ("-----BEGIN PUBLIC KEY-----"). Give the issuer\'s RSA or EC public key; a private key or an HMAC secret does not belong in emqx.conf.',
    );
  }
  if (type !== 'rsa' && type !== 'ec') throw new FortressError('EMQX_JWT', `jwt.publicKeyPem is a ${type} key: EMQX 5.8 verifies RS*, PS* and ES* tokens; give an RSA or EC key.`);
  return { ...common, algorithm: 'public-key', public_key: pem.trim() };
}
