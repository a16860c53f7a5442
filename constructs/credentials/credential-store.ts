/**
 * CredentialStore: every MQTT identity's password in AWS Secrets Manager (baseline AUTH-2,
 * AUTH-3). One secret per identity, encrypted with a customer-managed KMS key that rotates,
 * generated and rotated by a rotation function (never by Terraform or TypeScript, so no value is
 * synthesized or kept in state), readable only by the external-secrets reader role.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as P_cloudwatch_log_group from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import type * as P_eks_pod_identity_association from '@cdktf/provider-aws/lib/eks-pod-identity-association/index.js';
import type * as P_iam_role from '@cdktf/provider-aws/lib/iam-role/index.js';
import type * as P_iam_role_policy from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import type * as P_kms_alias from '@cdktf/provider-aws/lib/kms-alias/index.js';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import type * as P_lambda_function from '@cdktf/provider-aws/lib/lambda-function/index.js';
import type * as P_lambda_permission from '@cdktf/provider-aws/lib/lambda-permission/index.js';
import type * as P_secretsmanager_secret from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import type * as P_secretsmanager_secret_rotation from '@cdktf/provider-aws/lib/secretsmanager-secret-rotation/index.js';
import { App, AssetType, Fn, TerraformAsset, TerraformIterator, TerraformLocal, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { policyDocument, type Statement } from '../aws/iam.js';
import { logsKey } from '../aws/logs-key.js';
import { assertRegion } from '../aws/region.js';
import { assertDnsLabel, assertReason } from '../core/checks.js';
import { FortressError, scoped, show } from '../core/errors.js';
import { providerModule } from '../core/provider-module.js';
import type { Relaxation } from '../core/relaxation.js';
import { zip } from '../core/zip.js';
import type { Policy } from '../policy/model.js';
import { templatePath } from '../templates.js';
import { deliveryMode } from './external-secrets.js';
import { assertRotationDays, type CredentialSecret, credentialLayout, credentialPrefix } from './layout.js';
import { secretPolicyStatements } from './secret-policy.js';

const { CloudwatchLogGroup } = providerModule<typeof P_cloudwatch_log_group>('@cdktf/provider-aws/lib/cloudwatch-log-group/index.js');
const { EksPodIdentityAssociation } = providerModule<typeof P_eks_pod_identity_association>('@cdktf/provider-aws/lib/eks-pod-identity-association/index.js');
const { IamRole } = providerModule<typeof P_iam_role>('@cdktf/provider-aws/lib/iam-role/index.js');
type IamRole = P_iam_role.IamRole;
const { IamRolePolicy } = providerModule<typeof P_iam_role_policy>('@cdktf/provider-aws/lib/iam-role-policy/index.js');
const { KmsAlias } = providerModule<typeof P_kms_alias>('@cdktf/provider-aws/lib/kms-alias/index.js');
const { LambdaFunction } = providerModule<typeof P_lambda_function>('@cdktf/provider-aws/lib/lambda-function/index.js');
type LambdaFunction = P_lambda_function.LambdaFunction;
const { LambdaPermission } = providerModule<typeof P_lambda_permission>('@cdktf/provider-aws/lib/lambda-permission/index.js');
const { SecretsmanagerSecret } = providerModule<typeof P_secretsmanager_secret>('@cdktf/provider-aws/lib/secretsmanager-secret/index.js');
type SecretsmanagerSecret = P_secretsmanager_secret.SecretsmanagerSecret;
const { SecretsmanagerSecretRotation } = providerModule<typeof P_secretsmanager_secret_rotation>('@cdktf/provider-aws/lib/secretsmanager-secret-rotation/index.js');

/** Who reads the secrets: the external-secrets controller, through EKS Pod Identity or IRSA. */
export type SecretsReader =
  | {
      readonly kind: 'pod-identity';
      /** EKS cluster the association is created in. */
      readonly clusterName: string;
      /** @default 'external-secrets' */
      readonly namespace?: string;
      /** @default 'external-secrets' */
      readonly serviceAccount?: string;
    }
  | {
      readonly kind: 'irsa';
      /** ARN of the cluster's IAM OIDC provider. */
      readonly oidcProviderArn: string;
      /** Issuer without scheme, e.g. `oidc.eks.eu-west-1.amazonaws.com/id/ABC123`. */
      readonly oidcIssuer: string;
      /** @default 'external-secrets' */
      readonly namespace?: string;
      /** @default 'external-secrets' */
      readonly serviceAccount?: string;
    }
  | {
      /**
       * Assumed by one IAM role: the external-secrets controller's identity for every broker in
       * the cluster (PrivateEksCluster.externalSecretsRole). The ClusterSecretStore names this
       * store's reader role, so each broker's store reads only its own secrets. No association
       * here: the cluster owns the controller's one association.
       */
      readonly kind: 'assumed-by-role';
      readonly roleArn: string;
    };

export interface CredentialStoreProps {
  readonly policy: Policy;
  /** AWS region of the provider (used for ARNs and service principals). */
  readonly region: string;
  /** @default 'mosquitto' */
  readonly brokerName?: string;
  /** @default `mqtt-fortress/<brokerName>` */
  readonly prefix?: string;
  /** Days between rotations, at most 90 (AUTH-3). @default 30 */
  readonly rotationDays?: number;
  readonly reader: SecretsReader;
  /**
   * Days a destroyed secret stays restorable (7 to 30), or 0 to delete at once. A window keeps a
   * mistaken `terraform destroy` recoverable, but while it runs the secret's name stays taken: a
   * redeploy under the same prefix fails until a break-glass principal restores (and imports) or
   * force-deletes it. 0 frees the names at once and loses the values for good; it needs
   * `immediateDeletionReason` and is reported as a relaxation. See docs/aws-hardening.md.
   * @default 30
   */
  readonly recoveryWindowInDays?: number;
  /** Required with `recoveryWindowInDays: 0`: why losing the values on destroy is acceptable (e.g. a throwaway test environment). */
  readonly immediateDeletionReason?: string;
  /**
   * IAM roles or users (ARNs) that may change the secrets' protection: their resource policy,
   * tags, rotation (CancelRotateSecret), replication, RestoreSecret and deletion without a
   * recovery window. Nobody else may, account administrators included, and no one but the reader
   * reads values or the rotation function writes them. Terraform runs that change tags or the
   * policy, cancel rotation (destroy) or restore must run as one of these principals.
   * @default - the account's root user only (`arn:<partition>:iam::<account>:root`)
   */
  readonly breakGlassPrincipalArns?: readonly string[];
  /** Days the rotation function's logs are kept. @default 365 */
  readonly logRetentionDays?: number;
  /**
   * Administrative secrets beside the MQTT passwords (EMQX: Erlang cookie, dashboard password,
   * Prometheus API key), generated by the same function under `<prefix>/_admin/<key>`.
   * `rotate: false` for values that cannot change while the cluster runs (the Erlang cookie: every
   * node must hold the same one; rotate it with a planned full restart).
   * @default - none
   */
  readonly adminSecrets?: readonly AdminSecret[];
}

export interface AdminSecret {
  /** Lower-case letters, digits and "-". */
  readonly key: string;
  readonly description: string;
  readonly rotate: boolean;
  /**
   * Required with `rotate: false`: why this value cannot rotate on a schedule and how an operator
   * rotates it. Recorded as a relaxation of AUTH-3 and shown in the security report.
   */
  readonly notRotatedReason?: string;
}

export class CredentialStore extends Construct {
  public readonly secrets: readonly CredentialSecret[];
  public readonly kmsKey: KmsKey;
  public readonly readerRole: IamRole;
  public readonly rotationFunction: LambdaFunction;
  public readonly rotationDays: number;
  public readonly prefix: string;
  /** Secrets Manager names of the admin secrets by key. */
  public readonly adminSecretNames: Record<string, string>;
  /** Principals that may change the secrets' protection (policy, tags, rotation, restore). */
  public readonly breakGlassPrincipalArns: readonly string[];
  /** Admin secrets that do not rotate, with their reasons (shown in the security report). */
  public readonly relaxations: Relaxation[] = [];

  constructor(scope: Construct, id: string, props: CredentialStoreProps) {
    super(scope, id);
    const brokerName = props.brokerName ?? 'mosquitto';
    const rotationDays = props.rotationDays ?? 30;
    const recovery = props.recoveryWindowInDays ?? 30;
    const breakGlass = props.breakGlassPrincipalArns;
    const retention = props.logRetentionDays ?? 365;
    const relaxations = this.relaxations;
    const layout = scoped(this, () => {
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
      return credentialLayout(props.policy, { brokerName, ...(props.prefix ? { prefix: props.prefix } : {}) });
    });
    this.secrets = layout;
    this.rotationDays = rotationDays;
    this.prefix = credentialPrefix({ brokerName, ...(props.prefix ? { prefix: props.prefix } : {}) });
    const name = `mqtt-fortress-${brokerName}`;
    const tags = { 'mqtt-fortress:broker': brokerName, 'mqtt-fortress:managed-by': 'terraform' };

    const rotationRole = new IamRole(this, 'RotationRole', {
      name: `${name}-rotation`,
      description: 'Rotates the MQTT passwords of mqtt-fortress',
      assumeRolePolicy: policyDocument([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]),
      tags,
    });
    // Account and partition come from an ARN known at apply time: no data source calls AWS at plan.
    const partition = Fn.element(Fn.split(':', rotationRole.arn), 1);
    const account = Fn.element(Fn.split(':', rotationRole.arn), 4);
    const region = props.region;

    this.kmsKey = logsKey(this, 'Key', {
      description: `Encrypts the MQTT credentials of ${brokerName} (mqtt-fortress)`,
      region,
      logGroupName: `/aws/lambda/${name}-rotation`,
      arnForAccount: rotationRole.arn,
      sid: 'CloudWatchLogsEncryptsRotationLogs',
      tags,
    });
    new KmsAlias(this, 'KeyAlias', { name: `alias/${name}-credentials`, targetKeyId: this.kmsKey.keyId });

    const logGroup = new CloudwatchLogGroup(this, 'RotationLogs', { name: `/aws/lambda/${name}-rotation`, retentionInDays: retention, kmsKeyId: this.kmsKey.arn, tags });
    const secretArns = `arn:${partition}:secretsmanager:${region}:${account}:secret:${this.prefix}/*`;
    const viaSecretsManager = { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } };
    new IamRolePolicy(this, 'RotationPolicy', {
      role: rotationRole.id,
      name: 'rotate-mqtt-passwords',
      policy: policyDocument([
        {
          Sid: 'RotateOwnSecrets',
          Effect: 'Allow',
          Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
          Resource: secretArns,
        },
        { Sid: 'GeneratePasswords', Effect: 'Allow', Action: 'secretsmanager:GetRandomPassword', Resource: '*' },
        { Sid: 'UseCredentialsKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: this.kmsKey.arn, Condition: viaSecretsManager },
        { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup.arn}:*` },
      ]),
    });

    const code = new TerraformAsset(this, 'RotationCode', { path: rotationZip(this), type: AssetType.FILE });
    this.rotationFunction = new LambdaFunction(this, 'RotationFunction', {
      functionName: `${name}-rotation`,
      description: 'Generates and rotates MQTT passwords in Secrets Manager (mqtt-fortress)',
      role: rotationRole.arn,
      // nodejs22.x: supported until 2027-04-30 (function creation blocked from 2027-06-01; Lambda
      // Node.js runtime table). nodejs24.x (to 2028) is refused by hashicorp/aws 5.100.0's
      // validation, the provider this kit pins: move with the provider upgrade.
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      handler: 'index.handler',
      filename: code.path,
      sourceCodeHash: code.assetHash,
      timeout: 30,
      memorySize: 128,
      loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
      // Names (not values) of the admin secrets that keep their value: fixed at deploy time, so a
      // tag on a secret can never freeze its rotation.
      environment: { variables: { MQTT_FORTRESS_KEEP_SECRETS: JSON.stringify((props.adminSecrets ?? []).filter((a) => !a.rotate).map((a) => `${this.prefix}/_admin/${a.key}`)) } },
      dependsOn: [logGroup],
      tags,
    });
    const permission = new LambdaPermission(this, 'SecretsManagerInvokes', {
      statementId: 'SecretsManagerRotation',
      action: 'lambda:InvokeFunction',
      functionName: this.rotationFunction.functionName,
      principal: 'secretsmanager.amazonaws.com',
      sourceAccount: account,
    });

    this.readerRole = readerRole(this, name, props.reader, tags);
    new IamRolePolicy(this, 'ReaderPolicy', {
      role: this.readerRole.id,
      name: 'read-mqtt-passwords',
      policy: policyDocument([
        { Sid: 'ReadBrokerSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: secretArns },
        { Sid: 'DecryptBrokerSecrets', Effect: 'Allow', Action: 'kms:Decrypt', Resource: this.kmsKey.arn, Condition: viaSecretsManager },
        // Large fleets: the ExternalSecret finds secrets by prefix and tag (names only, no values).
        ...(deliveryMode(layout.length) === 'find' ? [{ Sid: 'FindBrokerSecrets', Effect: 'Allow' as const, Action: 'secretsmanager:ListSecrets', Resource: '*' }] : []),
      ]),
    });

    // Only the reader reads values and only the rotation function writes them, account
    // administrators and the root user included; only the break-glass principals change the
    // protection (secret-policy.ts). Every change of the policy is recorded in CloudTrail.
    const secretPolicy = policyDocument(
      secretPolicyStatements({
        readerRoleArn: this.readerRole.arn,
        rotationRoleArn: rotationRole.arn,
        rotationFunctionArn: this.rotationFunction.arn,
        breakGlassPrincipalArns: breakGlass ?? [`arn:${partition}:iam::${account}:root`],
        allowImmediateDeletion: recovery === 0,
      }),
    );
    this.breakGlassPrincipalArns = breakGlass ?? [`arn:${partition}:iam::${account}:root`];
    // One resource block each with for_each over the identities: synthesis stays flat in the
    // number of identities (10 000 identities as 20 000 constructs took 4.9 s and 513 MB), and
    // Terraform addresses read like aws_secretsmanager_secret.<id>["sensor-0001"].
    const identities = new TerraformLocal(
      this,
      'identities',
      Object.fromEntries(
        layout.map((s) => [
          s.username,
          {
            // Only what differs per identity: at 10 000 identities every byte here is 10 KB of
            // JSON that cdktf resolves on every synth.
            identity: s.identity,
            kind: s.kind,
          },
        ]),
      ),
    );
    const each = TerraformIterator.fromMap(identities.asAnyMap as Record<string, unknown> as never);
    const secrets = new SecretsmanagerSecret(this, 'Secret', {
      forEach: each,
      // credentialLayout: always <prefix>/<username>.
      name: `${this.prefix}/${each.key}`,
      // Never changes with props: UpdateSecret is denied to everyone (it can write a value).
      description: `MQTT password of ${each.getString('kind')} identity ${each.key} (${each.getString('identity')}); generated and rotated by ${name}-rotation`,
      kmsKeyId: this.kmsKey.arn,
      recoveryWindowInDays: recovery,
      policy: secretPolicy,
      tags: { ...tags, 'mqtt-fortress:identity': each.getString('identity'), 'mqtt-fortress:kind': each.getString('kind'), 'mqtt-fortress:purpose': 'mqtt-password' },
    });
    // Every secret, per identity or admin, rotates through the function: created with a value
    // right away, then every rotationDays.
    const rotateEach = (id: string, each: SecretsmanagerSecret) => {
      const it = TerraformIterator.fromResources(each);
      new SecretsmanagerSecretRotation(this, id, {
        forEach: it,
        secretId: it.getString('id'),
        rotationLambdaArn: this.rotationFunction.arn,
        rotateImmediately: true,
        rotationRules: { automaticallyAfterDays: rotationDays },
        dependsOn: [permission],
      });
    };
    rotateEach('Rotation', secrets);
    const admin = props.adminSecrets ?? [];
    this.adminSecretNames = Object.fromEntries(admin.map((a) => [a.key, `${this.prefix}/_admin/${a.key}`]));
    if (admin.length) {
      const adminLocal = new TerraformLocal(
        this,
        'adminSecrets',
        Object.fromEntries(
          admin.map((a) => [
            a.key,
            { secret_name: this.adminSecretNames[a.key], description: `${a.description} (${name}; ${a.rotate ? 'rotated on a schedule' : 'not rotated on a schedule'})`, rotate: a.rotate },
          ]),
        ),
      );
      const eachAdmin = TerraformIterator.fromMap(adminLocal.asAnyMap as Record<string, unknown> as never);
      const adminSecrets = new SecretsmanagerSecret(this, 'AdminSecret', {
        forEach: eachAdmin,
        name: eachAdmin.getString('secret_name'),
        description: eachAdmin.getString('description'),
        kmsKeyId: this.kmsKey.arn,
        recoveryWindowInDays: recovery,
        policy: secretPolicy,
        tags: { ...tags, 'mqtt-fortress:purpose': 'admin', 'mqtt-fortress:rotate': Fn.tostring(eachAdmin.getBoolean('rotate')) },
      });
      // For `rotate: false` the function carries the current value forward on later rotations:
      // it reads the names from its MQTT_FORTRESS_KEEP_SECRETS variable; the tag only labels them.
      rotateEach('AdminRotation', adminSecrets);
    }
    new TerraformOutput(this, 'ReaderRoleArn', { value: this.readerRole.arn, description: 'IAM role external-secrets uses to read the MQTT passwords' });
    new TerraformOutput(this, 'KmsKeyArn', { value: this.kmsKey.arn });
  }
}

/**
 * The rotation function's code as a reproducible zip, written fresh on every synth into the app's
 * own output directory (never reused from a shared place another user could have written).
 */
function rotationZip(scope: Construct): string {
  const source = readFileSync(templatePath('rotation/index.mjs'));
  const dir = join(App.of(scope).outdir, '.mqtt-fortress');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `rotation-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.zip`);
  writeFileSync(file, zip([{ name: 'index.mjs', data: source }]));
  return file;
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

function readerRole(scope: Construct, name: string, r: SecretsReader, tags: Record<string, string>): IamRole {
  if (r.kind === 'assumed-by-role') {
    // sts:TagSession: Pod Identity sessions carry session tags that may pass on to the chained session.
    return new IamRole(scope, 'ReaderRole', {
      name: `${name}-secrets-reader`,
      description: "assumed by the external-secrets controller role to read this broker's MQTT passwords",
      assumeRolePolicy: policyDocument([{ Effect: 'Allow', Principal: { AWS: r.roleArn }, Action: ['sts:AssumeRole', 'sts:TagSession'] }]),
      tags,
    });
  }
  const ns = r.namespace ?? 'external-secrets';
  const sa = r.serviceAccount ?? 'external-secrets';
  const trust: Statement =
    r.kind === 'pod-identity'
      ? {
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: { StringEquals: { 'aws:RequestTag/eks-cluster-name': r.clusterName, 'aws:RequestTag/kubernetes-namespace': ns, 'aws:RequestTag/kubernetes-service-account': sa } },
        }
      : {
          Effect: 'Allow',
          Principal: { Federated: r.oidcProviderArn },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { [`${r.oidcIssuer}:sub`]: `system:serviceaccount:${ns}:${sa}`, [`${r.oidcIssuer}:aud`]: 'sts.amazonaws.com' } },
        };
  const role = new IamRole(scope, 'ReaderRole', {
    name: `${name}-secrets-reader`,
    description: `external-secrets (${ns}/${sa}) reads the MQTT passwords`,
    assumeRolePolicy: policyDocument([trust]),
    tags,
  });
  if (r.kind === 'pod-identity') {
    new EksPodIdentityAssociation(scope, 'ReaderPodIdentity', { clusterName: r.clusterName, namespace: ns, serviceAccount: sa, roleArn: role.arn, tags });
  }
  return role;
}
