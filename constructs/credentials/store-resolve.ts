/**
 * CredentialStore, step 2: validates the props and applies every default once, into a
 * {@link ResolvedCredentialStore}; the construct builds the AWS resources from that value.
 */
import { assertRegion } from '../aws/region.js';
import { assertDnsLabel, assertReason } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';
import type { Relaxation } from '../core/relaxation.js';
import { assertRotationDays, type CredentialSecret, credentialLayout } from './layout.js';
import type { CredentialStoreProps, SecretsReader } from './store-props.js';

export interface ResolvedCredentialStore {
  readonly brokerName: string;
  readonly rotationDays: number;
  /** Days a destroyed secret stays restorable; 0 deletes at once. */
  readonly recovery: number;
  readonly breakGlass: readonly string[] | undefined;
  readonly retention: number;
  /** One secret per identity of the policy. */
  readonly layout: CredentialSecret[];
  /** Relaxations the props make (no recovery window, admin secrets that do not rotate). */
  readonly relaxations: Relaxation[];
}

/** Throws FortressError naming the prop. */
export function resolveCredentialStore(props: CredentialStoreProps): ResolvedCredentialStore {
  const brokerName = props.brokerName ?? 'mosquitto';
  const rotationDays = props.rotationDays ?? 30;
  const recovery = props.recoveryWindowInDays ?? 30;
  const breakGlass = props.breakGlassPrincipalArns;
  const retention = props.logRetentionDays ?? 365;
  const relaxations: Relaxation[] = [];
  assertDnsLabel('brokerName', brokerName);
  assertRegion('region', props.region);
  assertRotationDays('rotationDays', rotationDays);
  if (!Number.isInteger(recovery) || (recovery !== 0 && (recovery < 7 || recovery > 30)))
    throw new FortressError('INVALID_NUMBER', `recoveryWindowInDays must be 0 (delete at once, with immediateDeletionReason) or an integer from 7 to 30, got ${show(recovery)}.`);
  if (recovery === 0) {
    if (typeof props.immediateDeletionReason !== 'string' || props.immediateDeletionReason.trim().length < 10)
      throw new FortressError('REASON_REQUIRED', 'recoveryWindowInDays is 0 (a destroy deletes every password for good) and needs immediateDeletionReason (at least 10 characters).');
    relaxations.push({ id: 'AUTH-2', prop: 'recoveryWindowInDays', reason: `no recovery window: ${props.immediateDeletionReason.trim()}`, appliesTo: [] }); // no audit finding is its to suppress: listed only (suppressions match whole keys)
  } else if (props.immediateDeletionReason !== undefined)
    throw new FortressError('CRED_RECOVERY', `immediateDeletionReason is set but recoveryWindowInDays is ${recovery}; remove the reason or set the window to 0.`);
  if (breakGlass !== undefined) {
    if (!Array.isArray(breakGlass) || breakGlass.length === 0)
      throw new FortressError(
        'CRED_BREAK_GLASS',
        'breakGlassPrincipalArns is empty: with no break-glass principal nobody could ever change, restore or tear down the secrets; leave it out for the root user, or name an IAM role.',
      );
    breakGlass.forEach((a, i) => {
      if (typeof a !== 'string' || !/^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/.test(a))
        throw new FortressError('CRED_BREAK_GLASS', `breakGlassPrincipalArns[${i}] must be an IAM role, user or root ARN such as "arn:aws:iam::123456789012:role/break-glass", got ${show(a)}.`);
    });
  }
  if (![1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653].includes(retention)) {
    throw new FortressError('INVALID_NUMBER', `logRetentionDays must be a CloudWatch Logs retention value (e.g. 90, 365, 731), got ${show(retention)}.`);
  }
  if (!props.policy || typeof props.policy.allows !== 'function') throw new FortressError('CRED_POLICY', 'policy must be a Policy (Policy.from(spec) or policyFromYamlFile(path)).');
  checkReader(props.reader);
  const keys = (props.adminSecrets ?? []).map((a) => a?.key);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined) throw new FortressError('CRED_ADMIN', `adminSecrets lists the key ${show(twice)} twice; each admin secret needs its own key.`);
  for (const [i, a] of (props.adminSecrets ?? []).entries()) {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(a.key)) throw new FortressError('CRED_ADMIN', `adminSecrets[${i}].key must be lower-case letters, digits and "-", got ${show(a.key)}.`);
    if (!a.rotate) {
      if (typeof a.notRotatedReason === 'string') assertReason(`adminSecrets[${i}].notRotatedReason`, a.notRotatedReason);
      if (typeof a.notRotatedReason !== 'string' || a.notRotatedReason.trim().length < 10)
        throw new FortressError(
          'REASON_REQUIRED',
          `adminSecrets[${i}] (${show(a.key)}) has rotate: false and needs notRotatedReason (at least 10 characters): why it cannot rotate on a schedule and how an operator rotates it.`,
        );
      relaxations.push({ id: 'AUTH-3', prop: `adminSecrets[${i}].notRotatedReason`, reason: `${a.key}: ${a.notRotatedReason.trim()}`, appliesTo: [`AUTH-3[AdminSecret.${a.key}:not-rotated]`] });
    }
  }
  const layout = credentialLayout(props.policy, { brokerName, ...(props.prefix ? { prefix: props.prefix } : {}) });
  return { brokerName, rotationDays, recovery, breakGlass, retention, layout, relaxations };
}

function checkReader(r: SecretsReader): void {
  if (!r || (r.kind !== 'pod-identity' && r.kind !== 'irsa' && r.kind !== 'assumed-by-role'))
    throw new FortressError('CRED_READER', `reader.kind must be "pod-identity", "irsa" or "assumed-by-role", got ${show((r as { kind?: unknown })?.kind)}.`);
  if (r.kind === 'assumed-by-role') {
    // A cross-stack reference is a token, valid by construction.
    if (typeof r.roleArn !== 'string' || !(r.roleArn.includes('${TfToken[') || /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(r.roleArn)))
      throw new FortressError('CRED_READER', `reader.roleArn must be an IAM role ARN, got ${show(r.roleArn)}.`);
    return;
  }
  assertDnsLabel('reader.namespace', r.namespace ?? 'external-secrets');
  assertDnsLabel('reader.serviceAccount', r.serviceAccount ?? 'external-secrets');
  if (r.kind === 'pod-identity' && !/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(r.clusterName ?? '')) {
    throw new FortressError('CRED_READER', `reader.clusterName must be an EKS cluster name (letters, digits, "-" and "_", at most 100), got ${show(r.clusterName)}.`);
  }
  if (r.kind === 'irsa') {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/.test(r.oidcProviderArn ?? ''))
      throw new FortressError('CRED_READER', `reader.oidcProviderArn must be an IAM OIDC provider ARN, got ${show(r.oidcProviderArn)}.`);
    if (!r.oidcIssuer || r.oidcIssuer.startsWith('https://') || r.oidcIssuer.includes(' '))
      throw new FortressError('CRED_READER', `reader.oidcIssuer must be the issuer without "https://" (e.g. oidc.eks.eu-west-1.amazonaws.com/id/ABC), got ${show(r.oidcIssuer)}.`);
  }
}
