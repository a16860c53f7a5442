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
import { policyDocument } from '../aws/iam.js';
import { logsKey } from '../aws/logs-key.js';
import { scoped } from '../core/errors.js';
import { providerModule } from '../core/provider-module.js';
import { type IRelaxed, type Relaxation, Relaxations } from '../core/relaxation.js';
import { zip } from '../core/zip.js';
import { templatePath } from '../templates.js';
import { deliveryMode } from './external-secrets.js';
import { type CredentialSecret, credentialPrefix, type PasswordShards, passwordShards, shardTagValue } from './layout.js';
import { readerRole } from './reader-role.js';
import { secretPolicyStatements } from './secret-policy.js';
import type { CredentialStoreProps } from './store-props.js';
import { resolveCredentialStore } from './store-resolve.js';

const { CloudwatchLogGroup } = providerModule<typeof P_cloudwatch_log_group>('@cdktf/provider-aws/lib/cloudwatch-log-group/index.js');
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

export class CredentialStore extends Construct implements IRelaxed {
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
    const { brokerName, rotationDays, recovery, breakGlass, retention, layout, relaxations } = scoped(this, () => resolveCredentialStore(props));
    this.relaxations.push(...relaxations);
    Relaxations.register(this);
    this.secrets = layout;
    // A fleet larger than one Kubernetes Secret: each secret carries its shard in a tag, which the
    // Kubernetes stack's ExternalSecrets (one per shard) find it by (layout.ts, passwordShards).
    const shards = passwordShards(layout.map((s) => s.username));
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
        // Sharded fleets: external-secrets finds each shard by tag, which recent versions read with
        // BatchGetSecretValue (names only here; every value still needs GetSecretValue above).
        ...(shards ? [{ Sid: 'BatchReadBrokerSecrets', Effect: 'Allow' as const, Action: 'secretsmanager:BatchGetSecretValue', Resource: '*' }] : []),
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
    const identities = new TerraformLocal(this, 'identities', secretIdentities(layout, shards));
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
      tags: {
        ...tags,
        'mqtt-fortress:identity': each.getString('identity'),
        'mqtt-fortress:kind': each.getString('kind'),
        'mqtt-fortress:purpose': 'mqtt-password',
        ...(shards ? { 'mqtt-fortress:shard': each.getString('shard') } : {}),
      },
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
 * The `identities` local the secrets iterate over: per username, only what differs per identity
 * (at 10 000 identities every byte here is 10 KB of JSON that cdktf resolves on every synth), and
 * the shard tag value when the fleet is sharded.
 */
export function secretIdentities(layout: readonly CredentialSecret[], shards: PasswordShards | undefined): Record<string, { identity: string; kind: string; shard?: string }> {
  return Object.fromEntries(
    layout.map((s) => [
      s.username,
      {
        identity: s.identity,
        kind: s.kind,
        ...(shards ? { shard: shardTagValue(shards.shardOf.get(s.username)!, shards.count) } : {}),
      },
    ]),
  );
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
