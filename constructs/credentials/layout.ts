/**
 * Where each identity's password lives in AWS Secrets Manager (pure). The AWS stack creates these
 * secrets and the Kubernetes stack reads them by the same names, so the two stacks need no
 * cross-stack reference.
 */
import { assertInt } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';
import type { IdentityKind, Policy } from '../policy/model.js';

export interface CredentialLayoutOptions {
  /** Name of the broker the credentials are for (part of every secret name). @default 'mosquitto' */
  readonly brokerName?: string;
  /** Prefix of every secret name. @default `mqtt-fortress/<brokerName>` */
  readonly prefix?: string;
}

export interface CredentialSecret {
  /** Secrets Manager secret name, e.g. `mqtt-fortress/mosquitto/sensor-0001`. */
  readonly secretName: string;
  readonly username: string;
  readonly identity: string;
  readonly kind: IdentityKind;
}

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

export function credentialPrefix(o: CredentialLayoutOptions = {}): string {
  const prefix = o.prefix ?? `mqtt-fortress/${o.brokerName ?? 'mosquitto'}`;
  if (!SECRET_NAME.test(prefix) || prefix.endsWith('/') || prefix.startsWith('/')) {
    throw new FortressError('CRED_PREFIX', `credentials prefix ${show(prefix)} is not a valid Secrets Manager name prefix: letters, digits and /_+=.@- only, no leading or trailing "/".`);
  }
  return prefix;
}

/** One secret per identity (each member of an identity class gets its own). */
export function credentialLayout(policy: Policy, o: CredentialLayoutOptions = {}): CredentialSecret[] {
  const prefix = credentialPrefix(o);
  return policy.principals.map((p) => ({ secretName: `${prefix}/${p.username}`, username: p.username, identity: p.identity, kind: p.kind }));
}

/** Rotation period (baseline AUTH-3): at most 90 days. */
export function assertRotationDays(prop: string, days: number): void {
  assertInt(prop, days, 1, 90, 'Baseline AUTH-3 requires passwords to rotate at least every 90 days; the default is 30.');
}

// ---- Passwords beyond one Kubernetes Secret (sharding) -------------------------------------------
//
// The broker's init container and reloader read every plaintext password from a Kubernetes Secret
// that external-secrets writes. A Secret holds at most 1 MiB (MaxSecretSize in k8s.io/api
// core/v1: the API server refuses a larger sum of data values), and etcd refuses a request above
// its --max-request-bytes (1.5 MiB by default). Past one Secret's worth of identities the kit
// splits the passwords over several Secrets ("shards"), each written by its own ExternalSecret and
// mounted as its own volume; the scripts merge them and refuse a key found in two shards.
//
// The byte arithmetic, per identity, against the strictest of those readings (the object as JSON,
// where each value is base64, compared with 1 MiB rather than 1.5 MiB):
//   "<username>":"<base64 of the password>",   len(username) + 4 * ceil(P / 3) + 6 bytes
//   its managedFields entry "f:<username>":{},  len(username) + 8 bytes
// where P is SHARD_PASSWORD_BYTES: 64, although the rotation function generates 48 characters
// (templates/rotation/index.mjs PASSWORD_LENGTH; only it may write a value), so a longer password
// later still fits. Usernames are ASCII (the policy's name rule), one byte per character.
// Of the 1 MiB, 64 KiB are left for what is not per identity: metadata, labels, external-secrets'
// annotations and owner reference, the managedFields header. A 12-character username costs
// 2 * 12 + 88 + 14 = 126 bytes, so a shard holds 7 801 of them; a 128-character username (the
// longest the policy accepts) costs 358 bytes, 2 745 per shard. Raw values alone (what the API
// server sums) would allow 1 MiB / 48 = 21 845.

/** Kubernetes' limit on one Secret's data (MaxSecretSize, 1 MiB). */
export const SECRET_MAX_BYTES = 1024 * 1024;
/** Left in each shard for what does not grow with identities (metadata, annotations, managedFields header). */
export const SECRET_RESERVED_BYTES = 64 * 1024;
/** What one shard's identities may take, by {@link secretEntryBytes}. */
export const SHARD_BUDGET_BYTES = SECRET_MAX_BYTES - SECRET_RESERVED_BYTES;
/** Password length the arithmetic assumes: 64, above the 48 characters the rotation function generates. */
export const SHARD_PASSWORD_BYTES = 64;

/** Bytes one identity takes in a delivered Secret, as JSON with its managedFields entry (see above). */
export function secretEntryBytes(username: string): number {
  return 2 * Buffer.byteLength(username) + 4 * Math.ceil(SHARD_PASSWORD_BYTES / 3) + 14;
}

/** How the passwords of a fleet larger than one Secret are split. */
export interface PasswordShards {
  /** Number of Secrets (2 or more). */
  readonly count: number;
  /** Shard of each username, 0 to count - 1. */
  readonly shardOf: ReadonlyMap<string, number>;
}

/**
 * Jump consistent hash (Lamping and Veach, 2014): a bucket in [0, buckets) for a key, such that
 * going from n to n + 1 buckets moves only about 1/(n + 1) of the keys, so a fleet that grows past
 * a shard boundary re-tags few secrets and few keys are briefly in two shards. The paper's
 * 64-bit LCG is replaced by mulberry32 (32-bit, exact in JavaScript numbers): the algorithm only
 * needs a per-key sequence of uniform numbers in (0, 1].
 */
function jumpHash(seed: number, buckets: number): number {
  let b = -1;
  let j = 0;
  let s = seed >>> 0;
  while (j < buckets) {
    b = j;
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = (((t ^ (t >>> 14)) >>> 0) + 1) / 2 ** 32;
    j = Math.floor((b + 1) / r);
  }
  return b;
}

/**
 * FNV-1a (32-bit) of the username: the jump hash seed, stable across runs and machines. Not a
 * security function (nothing depends on shards being unpredictable); SHA-256 cost 28 µs per name
 * here, 2.8 s for 100 000 identities, in each of the three stacks' objects that compute shards.
 */
function shardKey(username: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < username.length; i++) h = Math.imul(h ^ username.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The shards of a fleet's passwords, or undefined when every identity fits one Secret (then
 * nothing about the delivery changes). Deterministic in the set of usernames: the AWS stack (which
 * tags each Secrets Manager secret with its shard) and the Kubernetes stack (one ExternalSecret and
 * volume per shard) compute the same answer from the same policy. The count is the smallest for
 * which every shard fits its budget (1 MiB minus 64 KiB kept for the Secret's metadata).
 */
export function passwordShards(usernames: readonly string[]): PasswordShards | undefined {
  let total = 0;
  for (const u of usernames) total += secretEntryBytes(u);
  if (total <= SHARD_BUDGET_BYTES) return undefined;
  const keys = usernames.map(shardKey);
  for (let count = Math.max(2, Math.ceil(total / SHARD_BUDGET_BYTES)); ; count++) {
    const load = new Array<number>(count).fill(0);
    const shardOf = new Map<string, number>();
    let fits = true;
    for (let i = 0; i < usernames.length; i++) {
      const s = jumpHash(keys[i]!, count);
      shardOf.set(usernames[i]!, s);
      load[s]! += secretEntryBytes(usernames[i]!);
      if (load[s]! > SHARD_BUDGET_BYTES) {
        fits = false;
        break;
      }
    }
    if (fits) return { count, shardOf };
  }
}

/** Name of shard `index` of the Secret `base` (`<base>-<index>`). */
export function shardSecretName(base: string, index: number): string {
  return `${base}-${index}`;
}

/**
 * Value of the `mqtt-fortress:shard` tag of a secret in shard `index` of `count`: `<index>/<count>`.
 * external-secrets finds secrets by tag with Secrets Manager's ListSecrets filters, where a
 * tag-value filter is a prefix match against any tag value of the secret: the "/" keeps it from
 * matching an identity name or kind (the policy refuses "/" in names), and the count after it
 * ends the value, so "1/13" is no prefix of another shard's "10/13" or "11/13".
 */
export function shardTagValue(index: number, count: number): string {
  return `${index}/${count}`;
}
