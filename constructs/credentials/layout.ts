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
