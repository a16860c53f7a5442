/**
 * Token authentication for EMQX 5.8 without plugins (issue 16): the built-in JWT authenticator,
 * after the password database in the authentication chain. The token travels in the CONNECT
 * password; its claims must equal the CONNECT username and client id (`verify_claims` with
 * `${username}` and `${clientid}`), and the username is then authorized by the policy's acl.conf
 * like any other. Keys: a JWKS endpoint (https, certificate verified) or an RSA/EC public key
 * (public, so it may sit in the ConfigMap). HMAC secrets are refused: the secret would be in
 * emqx.conf, a ConfigMap. Mosquitto 2.0's stock image has no JWT support (it would need an auth
 * plugin), so this exists for EMQX only.
 */
import { createPublicKey } from 'node:crypto';
import { FortressError, show } from '../core/errors.js';

export interface EmqxJwtAuth {
  /**
   * JWKS endpoint of the token issuer (https). EMQX fetches it every `refreshIntervalSeconds`
   * and verifies its certificate against the system CAs, or `jwksCaFile` when given.
   * @default - none: give this or `publicKeyPem`
   */
  readonly jwksEndpoint?: string;
  /** CA file (path inside the pod) for the JWKS endpoint's certificate. @default - the system CAs */
  readonly jwksCaFile?: string;
  /** @default 300 */
  readonly refreshIntervalSeconds?: number;
  /**
   * PEM of the issuer's RSA or EC public key (SPKI, "-----BEGIN PUBLIC KEY-----"). Public by
   * nature: it is rendered into emqx.conf.
   * @default - none: give this or `jwksEndpoint`
   */
  readonly publicKeyPem?: string;
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

const CLAIM = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** The `authentication` entry for the JWT authenticator, validated; throws FortressError naming the prop. */
export function renderJwtAuthenticator(j: EmqxJwtAuth): Record<string, unknown> {
  if (!j || typeof j !== 'object') throw new FortressError('EMQX_JWT', 'jwt must be an object with jwksEndpoint or publicKeyPem.');
  const given = [j.jwksEndpoint !== undefined, j.publicKeyPem !== undefined].filter(Boolean).length;
  if (given !== 1) throw new FortressError('EMQX_JWT', "jwt needs exactly one of jwksEndpoint (https URL of the issuer's key set) or publicKeyPem (the issuer's public key).");
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
