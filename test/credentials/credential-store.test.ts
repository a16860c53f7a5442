import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { type App, TerraformStack, Testing } from 'cdktf';
import { allowedActions, parsePolicyDocument } from '../../constructs/aws/iam.js';
import { ValidationError } from '../../constructs/core/errors.js';
import { CredentialStore } from '../../constructs/credentials/credential-store.js';
import type { CredentialStoreProps } from '../../constructs/credentials/store-props.js';
import { examplePolicy, resourcesOf, type Tf } from '../helpers/synth.js';

function synthStore(over: Partial<CredentialStoreProps> = {}): Tf {
  const app: App = Testing.app();
  const stack = new TerraformStack(app, 'creds');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  new CredentialStore(stack, 'Credentials', { policy: examplePolicy(), region: 'eu-west-1', reader: { kind: 'pod-identity', clusterName: 'mqtt-fortress' }, ...over });
  return JSON.parse(Testing.synth(stack, true));
}

describe('CredentialStore (AUTH-2, AUTH-3)', () => {
  const tf = synthStore();
  const usernames = examplePolicy().principals.map((p) => p.username);

  it('one secret per identity (for_each over the identities), encrypted with the customer-managed key, no value in Terraform', () => {
    const [secret] = resourcesOf(tf, 'aws_secretsmanager_secret');
    const local = /^\$\{local\.(.+)\}$/.exec(secret.for_each)![1]!;
    const identities = tf.locals[local];
    assert.deepEqual(Object.keys(identities).sort(), [...usernames].sort());
    assert.equal(secret.name, 'mqtt-fortress/mosquitto/${each.key}', 'named <prefix>/<username>');
    assert.equal(
      secret.description,
      'MQTT password of ${each.value.kind} identity ${each.key} (${each.value.identity}); generated and rotated by mqtt-fortress-mosquitto-rotation',
      'no prop in the description: UpdateSecret is denied to everyone',
    );
    const layout = examplePolicy().principals;
    assert.deepEqual(identities[layout[0]!.username], { identity: layout[0]!.identity, kind: layout[0]!.kind }, 'only what differs per identity');
    assert.match(secret.kms_key_id, /aws_kms_key\.Credentials_Key/);
    assert.equal(resourcesOf(tf, 'aws_secretsmanager_secret_version').length, 0, 'no secret version: values come from the rotation function');
    assert.doesNotMatch(JSON.stringify(tf), /secret_string/);
  });
  it('the KMS key rotates yearly and is administered through IAM by the account only', () => {
    const [key] = resourcesOf(tf, 'aws_kms_key');
    assert.equal(key.enable_key_rotation, true);
    assert.equal(key.rotation_period_in_days, 365);
    const policy = parsePolicyDocument(key.policy);
    assert.deepEqual(
      policy.Statement.map((s: any) => s.Sid),
      ['AccountAdministersKeyThroughIam', 'CloudWatchLogsEncryptsRotationLogs'],
    );
  });
  it('rotation every 30 days by default, immediately on creation, through the rotation function', () => {
    const rotations = resourcesOf(tf, 'aws_secretsmanager_secret_rotation');
    assert.equal(rotations.length, 1);
    assert.match(rotations[0].for_each, /^\$\{aws_secretsmanager_secret\.Credentials_Secret_[0-9A-F]+\}$/, 'one rotation per secret');
    for (const r of rotations) {
      assert.equal(r.rotation_rules.automatically_after_days, 30);
      assert.equal(r.rotate_immediately, true);
      assert.match(r.rotation_lambda_arn, /aws_lambda_function\.Credentials_RotationFunction/);
    }
    const [fn] = resourcesOf(tf, 'aws_lambda_function');
    assert.equal(fn.runtime, 'nodejs22.x');
    assert.equal(fn.handler, 'index.handler');
    const [perm] = resourcesOf(tf, 'aws_lambda_permission');
    assert.equal(perm.principal, 'secretsmanager.amazonaws.com');
    assert.ok(perm.source_account, 'source_account prevents confused-deputy invocations');
  });
  it('the resource policy denies reading, writing and re-protecting (statement by statement in secret-policy.test.ts)', () => {
    for (const s of resourcesOf(tf, 'aws_secretsmanager_secret')) {
      const p = parsePolicyDocument(s.policy);
      assert.deepEqual(
        p.Statement.map((x: any) => [x.Sid, x.Effect, x.Principal]),
        [
          ['OnlyReaderAndRotationReadValues', 'Deny', '*'],
          ['OnlyRotationWritesValues', 'Deny', '*'],
          ['OnlyBreakGlassChangesProtection', 'Deny', '*'],
          ['RotateOnlyWithTheKitFunction', 'Deny', '*'],
          ['OnlyBreakGlassDeletesWithoutRecovery', 'Deny', '*'],
        ],
      );
    }
    assert.match(resourcesOf(tf, 'aws_secretsmanager_secret')[0].policy, /aws_iam_role\.Credentials_ReaderRole_[0-9A-F]+\.arn.*aws_iam_role\.Credentials_RotationRole/);
  });
  it('IAM: least privilege, no wildcard actions; KMS use only through Secrets Manager', () => {
    for (const p of resourcesOf(tf, 'aws_iam_role_policy')) {
      for (const a of allowedActions(p.policy)) assert.ok(!a.includes('*'), `${p.name}: wildcard action ${a}`);
      const doc = parsePolicyDocument(p.policy);
      for (const st of doc.Statement.filter((s: any) => String(s.Action).includes('kms:'))) assert.ok(st.Condition?.StringEquals?.['kms:ViaService'], `${p.name}: kms without ViaService`);
    }
    const reader = resourcesOf(tf, 'aws_iam_role_policy').find((p) => p.name === 'read-mqtt-passwords');
    assert.deepEqual(allowedActions(reader.policy).sort(), ['kms:Decrypt', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  });
  it('Pod Identity trust is scoped to the cluster, namespace and service account of external-secrets', () => {
    const role = resourcesOf(tf, 'aws_iam_role').find((r) => r.name.endsWith('secrets-reader'));
    const trust = JSON.parse(role.assume_role_policy);
    assert.deepEqual(trust.Statement[0].Condition.StringEquals, {
      'aws:RequestTag/eks-cluster-name': 'mqtt-fortress',
      'aws:RequestTag/kubernetes-namespace': 'external-secrets',
      'aws:RequestTag/kubernetes-service-account': 'external-secrets',
    });
    const [assoc] = resourcesOf(tf, 'aws_eks_pod_identity_association');
    assert.equal(assoc.namespace, 'external-secrets');
  });
  it('IRSA trust is scoped to the service account and audience', () => {
    const t = synthStore({
      reader: { kind: 'irsa', oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC', oidcIssuer: 'oidc.eks.eu-west-1.amazonaws.com/id/ABC' },
    });
    const role = resourcesOf(t, 'aws_iam_role').find((r) => r.name.endsWith('secrets-reader'));
    const st = JSON.parse(role.assume_role_policy).Statement[0];
    assert.equal(st.Action, 'sts:AssumeRoleWithWebIdentity');
    assert.equal(st.Condition.StringEquals['oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub'], 'system:serviceaccount:external-secrets:external-secrets');
    assert.equal(resourcesOf(t, 'aws_eks_pod_identity_association').length, 0);
  });
  const bad: [string, Partial<CredentialStoreProps>, string, RegExp][] = [
    ['rotation above 90 days', { rotationDays: 120 }, 'INVALID_NUMBER', /rotationDays must be an integer from 1 to 90, got 120\. Baseline AUTH-3/],
    ['rotation 0 days', { rotationDays: 0 }, 'INVALID_NUMBER', /rotationDays/],
    ['bad region', { region: 'europe' }, 'AWS_REGION', /region must be an AWS region/],
    ['bad reader', { reader: { kind: 'pod-identity', clusterName: '' } }, 'CRED_READER', /clusterName/],
    ['bad OIDC ARN', { reader: { kind: 'irsa', oidcProviderArn: 'x', oidcIssuer: 'y' } }, 'CRED_READER', /oidcProviderArn/],
    ['bad retention', { logRetentionDays: 42 }, 'INVALID_NUMBER', /logRetentionDays/],
    [
      'a non-rotating admin secret without a reason',
      { adminSecrets: [{ key: 'cookie', description: 'Erlang cookie', rotate: false }] },
      'REASON_REQUIRED',
      /adminSecrets\[0\] \("cookie"\) has rotate: false and needs notRotatedReason/,
    ],
  ];
  for (const [name, over, code, re] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => synthStore(over),
        (e: unknown) => e instanceof ValidationError && e.code === code && /^\[creds\/Credentials\]/.test(e.message) && re.test(e.message),
      );
    });
  }
});
