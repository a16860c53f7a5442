/**
 * The secrets' resource policy, evaluated statement by statement for every Secrets Manager action
 * and every kind of principal (reader, rotation, administrator, root, Terraform, break-glass,
 * another account) with a small IAM evaluator (test/helpers/iam-eval.ts).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { type App, TerraformStack, Testing } from 'cdktf';
import { ValidationError } from '../../constructs/core/errors.js';
import { CredentialStore } from '../../constructs/credentials/credential-store.js';
import type { CredentialStoreProps } from '../../constructs/credentials/store-props.js';
import { conditionHolds, evaluate, type Principal, resolveInterpolations, sameAccountAccess, wildcard } from '../helpers/iam-eval.js';
import { examplePolicy, resourcesOf, type Tf } from '../helpers/synth.js';

const ACCOUNT = '111122223333';
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

function synthStore(over: Partial<CredentialStoreProps> = {}): Tf {
  const app: App = Testing.app();
  const stack = new TerraformStack(app, 'creds');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  new CredentialStore(stack, 'Credentials', { policy: examplePolicy(), region: 'eu-west-1', reader: { kind: 'pod-identity', clusterName: 'mqtt-fortress' }, ...over });
  return JSON.parse(Testing.synth(stack, true));
}

/** Every `${type.id.arn}` of the stack's roles and functions, as the ARN AWS would give it. */
function arnRefs(tf: Tf): Record<string, string> {
  const refs: Record<string, string> = {};
  for (const [id, r] of Object.entries<any>(tf.resource.aws_iam_role ?? {})) refs[`aws_iam_role.${id}.arn`] = role(r.name);
  for (const [id, f] of Object.entries<any>(tf.resource.aws_lambda_function ?? {})) refs[`aws_lambda_function.${id}.arn`] = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:${f.function_name}`;
  return refs;
}

const secretPolicies = (tf: Tf) => resourcesOf(tf, 'aws_secretsmanager_secret').map((s) => JSON.parse(resolveInterpolations(s.policy, ACCOUNT, arnRefs(tf))));

/** Every action of the Service Authorization Reference page for Secrets Manager. */
const ALL_ACTIONS = [
  'BatchGetSecretValue',
  'CancelRotateSecret',
  'CreateSecret',
  'DeleteResourcePolicy',
  'DeleteSecret',
  'DescribeSecret',
  'GetRandomPassword',
  'GetResourcePolicy',
  'GetSecretValue',
  'ListSecretVersionIds',
  'ListSecrets',
  'PutResourcePolicy',
  'PutSecretValue',
  'RemoveRegionsFromReplication',
  'ReplicateSecretToRegions',
  'RestoreSecret',
  'RotateSecret',
  'StopReplicationToReplica',
  'TagResource',
  'UntagResource',
  'UpdateSecret',
  'UpdateSecretVersionStage',
  'ValidateResourcePolicy',
];
const READ = ['GetSecretValue', 'BatchGetSecretValue'];
const WRITE = ['PutSecretValue', 'UpdateSecret', 'UpdateSecretVersionStage'];
const PROTECTION = [
  'PutResourcePolicy',
  'DeleteResourcePolicy',
  'TagResource',
  'UntagResource',
  'CancelRotateSecret',
  'RestoreSecret',
  'ReplicateSecretToRegions',
  'RemoveRegionsFromReplication',
  'StopReplicationToReplica',
];

interface Who {
  readonly name: string;
  readonly principal: Principal;
  /** What the principal's own IAM policies allow (the identity side of the evaluation). */
  readonly identity: (action: string) => boolean;
}
const aws = (id: string): Principal => ({ type: 'AWS', id });
const everything = () => true;
const PRINCIPALS = (breakGlass?: string): Who[] => [
  { name: 'reader', principal: aws(role('mqtt-fortress-mosquitto-secrets-reader')), identity: (a) => ['GetSecretValue', 'DescribeSecret', 'ListSecrets'].includes(a) },
  {
    name: 'rotation',
    principal: aws(role('mqtt-fortress-mosquitto-rotation')),
    identity: (a) => ['DescribeSecret', 'GetSecretValue', 'PutSecretValue', 'UpdateSecretVersionStage', 'GetRandomPassword'].includes(a),
  },
  { name: 'administrator', principal: aws(role('AdministratorAccess')), identity: everything },
  { name: 'terraform deployer', principal: aws(role('terraform')), identity: everything },
  { name: 'root user', principal: aws(`arn:aws:iam::${ACCOUNT}:root`), identity: everything },
  ...(breakGlass ? [{ name: 'break-glass role', principal: aws(breakGlass), identity: everything }] : []),
];

/** The intended outcome, written from the README's promise, independent of the policy text. */
function expected(who: string, action: string, breakGlassName: string): 'allow' | 'deny' {
  if (READ.includes(action)) return who === 'reader' && action === 'GetSecretValue' ? 'allow' : who === 'rotation' && action === 'GetSecretValue' ? 'allow' : 'deny';
  if (WRITE.includes(action)) return who === 'rotation' && action !== 'UpdateSecret' ? 'allow' : 'deny';
  if (PROTECTION.includes(action)) return who === breakGlassName ? 'allow' : 'deny';
  const identity = PRINCIPALS('x').find((p) => p.name === who)?.identity ?? everything;
  return identity(action) || who === 'break-glass role' ? 'allow' : 'deny';
}

function matrix(policy: object, principals: Who[], breakGlassName: string): string[] {
  const wrong: string[] = [];
  for (const who of principals) {
    for (const action of ALL_ACTIONS) {
      const got = sameAccountAccess(
        policy as never,
        { action: `secretsmanager:${action}`, resource: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:mqtt-fortress/mosquitto/sensor-0001-AbCdEf`, principal: who.principal },
        who.identity(action),
      );
      const want = expected(who.name, action, breakGlassName);
      if (got !== want) wrong.push(`${who.name} ${action}: ${got}, expected ${want}`);
    }
  }
  return wrong;
}

describe('secret resource policy, evaluated (AUTH-2)', () => {
  const tf = synthStore();
  const policies = secretPolicies(tf);

  it('every action x every principal: only the reader reads, only the rotation role writes, only the root user (default break-glass) changes protection', () => {
    assert.ok(policies.length >= 1);
    for (const p of policies) assert.deepEqual(matrix(p, PRINCIPALS(), 'root user'), []);
  });
  it('another account gets nothing, whatever its own policies say (no Allow in the resource policy)', () => {
    for (const action of ALL_ACTIONS) {
      const r = evaluate(policies[0], { action: `secretsmanager:${action}`, resource: '*', principal: aws('arn:aws:iam::444455556666:role/attacker') });
      assert.notEqual(r.decision, 'allow', action);
    }
  });
  it('UpdateSecret (which can set a value) and tagging are denied to administrators: the tag freeze is closed twice', () => {
    const admin = aws(role('AdministratorAccess'));
    for (const action of ['UpdateSecret', 'TagResource', 'UntagResource', 'PutResourcePolicy', 'DeleteResourcePolicy', 'CancelRotateSecret']) {
      assert.deepEqual(evaluate(policies[0], { action: `secretsmanager:${action}`, resource: '*', principal: admin }).decision, 'explicit-deny', action);
    }
  });
  it('RotateSecret only with the kit function: naming another function is denied to everyone, the configured one (or none) is left to IAM', () => {
    const fn = arnRefs(tf)[Object.keys(arnRefs(tf)).find((k) => k.startsWith('aws_lambda_function'))!]!;
    const req = (principal: Principal, lambda?: string) => ({
      action: 'secretsmanager:RotateSecret',
      resource: '*',
      principal,
      context: (lambda ? { 'secretsmanager:RotationLambdaARN': lambda } : {}) as Record<string, string>,
    });
    for (const who of PRINCIPALS()) {
      assert.equal(evaluate(policies[0], req(who.principal, `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:exfiltrate`)).decision, 'explicit-deny', who.name);
      assert.equal(evaluate(policies[0], req(who.principal, fn)).decision, 'implicit-deny', who.name);
      assert.equal(evaluate(policies[0], req(who.principal)).decision, 'implicit-deny', who.name);
    }
  });
  it('deletion: with a recovery window anyone allowed by IAM may schedule it (terraform destroy); forcing it without recovery is break-glass only', () => {
    const del = (principal: Principal, force: boolean) =>
      evaluate(policies[0], { action: 'secretsmanager:DeleteSecret', resource: '*', principal, context: { 'secretsmanager:ForceDeleteWithoutRecovery': force } }).decision;
    assert.equal(del(aws(role('terraform')), false), 'implicit-deny');
    assert.equal(del(aws(role('terraform')), true), 'explicit-deny');
    assert.equal(del(aws(`arn:aws:iam::${ACCOUNT}:root`), true), 'implicit-deny');
  });
  it('with a break-glass role: it (and no longer the root user) changes protection, and still reads no value', () => {
    const bg = role('mqtt-break-glass');
    const t = synthStore({ breakGlassPrincipalArns: [bg] });
    for (const p of secretPolicies(t)) assert.deepEqual(matrix(p, PRINCIPALS(bg), 'break-glass role'), []);
  });
  it('recoveryWindowInDays 0 needs a reason, drops the force-delete deny and is recorded as a relaxation', () => {
    const t = synthStore({ recoveryWindowInDays: 0, immediateDeletionReason: 'throwaway load-test environment, rebuilt daily' });
    for (const s of resourcesOf(t, 'aws_secretsmanager_secret')) assert.equal(s.recovery_window_in_days, 0);
    const p = secretPolicies(t)[0];
    assert.equal(
      evaluate(p, { action: 'secretsmanager:DeleteSecret', resource: '*', principal: aws(role('terraform')), context: { 'secretsmanager:ForceDeleteWithoutRecovery': true } }).decision,
      'implicit-deny',
    );
    const d = synthStore();
    for (const s of resourcesOf(d, 'aws_secretsmanager_secret')) assert.equal(s.recovery_window_in_days, 30, 'default window');
  });
  it('the rotation function learns the kept admin secrets from a deploy-time variable, not from tags', () => {
    const t = synthStore({
      brokerName: 'emqx',
      adminSecrets: [
        { key: 'cookie', description: 'Erlang cookie', rotate: false, notRotatedReason: 'all nodes must share it; rotate with a full restart' },
        { key: 'dashboard', description: 'dashboard', rotate: true },
      ],
    });
    const [fn] = resourcesOf(t, 'aws_lambda_function');
    assert.deepEqual(JSON.parse(fn.environment.variables.MQTT_FORTRESS_KEEP_SECRETS), ['mqtt-fortress/emqx/_admin/cookie']);
  });
  const bad: [string, Partial<CredentialStoreProps>, string, RegExp][] = [
    ['a window of 3 days', { recoveryWindowInDays: 3 }, 'INVALID_NUMBER', /recoveryWindowInDays must be 0 .* or an integer from 7 to 30, got 3/],
    ['a window of 0 without a reason', { recoveryWindowInDays: 0 }, 'REASON_REQUIRED', /needs immediateDeletionReason/],
    ['a reason without a 0 window', { immediateDeletionReason: 'because I can, really' }, 'CRED_RECOVERY', /immediateDeletionReason is set but recoveryWindowInDays is 30/],
    ['an empty break-glass list', { breakGlassPrincipalArns: [] }, 'CRED_BREAK_GLASS', /breakGlassPrincipalArns is empty/],
    ['a break-glass wildcard', { breakGlassPrincipalArns: ['arn:aws:iam::111122223333:role/*'] }, 'CRED_BREAK_GLASS', /breakGlassPrincipalArns\[0\] must be an IAM role, user or root ARN/],
  ];
  for (const [name, over, code, re] of bad) {
    it(`rejects ${name}`, () =>
      assert.throws(
        () => synthStore(over),
        (e: unknown) => e instanceof ValidationError && e.code === code && /^\[creds\/Credentials\]/.test(e.message) && re.test(e.message),
      ));
  }
});

describe('the IAM evaluator itself (so the policy tests can fail)', () => {
  const ctx = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
  it('explicit deny wins over allow; no allow is an implicit deny', () => {
    const doc = {
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' },
        { Sid: 'D', Effect: 'Deny', Principal: '*', Action: 's3:Delete*', Resource: '*' },
      ],
    };
    const p = aws(role('x'));
    assert.equal(evaluate(doc, { action: 's3:GetObject', resource: 'r', principal: p }).decision, 'allow');
    assert.deepEqual(evaluate(doc, { action: 's3:DeleteObject', resource: 'r', principal: p }).deniedBy, ['D']);
    assert.equal(evaluate(doc, { action: 'sqs:SendMessage', resource: 'r', principal: p }).decision, 'implicit-deny');
  });
  it('NotAction and NotPrincipal invert the match', () => {
    const doc = { Statement: [{ Effect: 'Deny', NotPrincipal: { AWS: role('ok') }, NotAction: 'kms:Describe*', Resource: '*' }] };
    assert.equal(evaluate(doc, { action: 'kms:Decrypt', resource: '*', principal: aws(role('other')) }).decision, 'explicit-deny');
    assert.equal(evaluate(doc, { action: 'kms:Decrypt', resource: '*', principal: aws(role('ok')) }).decision, 'implicit-deny');
    assert.equal(evaluate(doc, { action: 'kms:DescribeKey', resource: '*', principal: aws(role('other')) }).decision, 'implicit-deny');
  });
  it('an account principal stands for every principal of that account', () => {
    const doc = { Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: '*', Resource: '*' }] };
    assert.equal(evaluate(doc, { action: 'x:Y', resource: '*', principal: aws(role('any')) }).decision, 'allow');
    assert.equal(evaluate(doc, { action: 'x:Y', resource: '*', principal: aws('arn:aws:iam::999999999999:role/any') }).decision, 'implicit-deny');
  });
  it('condition semantics: OR of values, NOR for negated operators, missing keys, IfExists, Null, AND across keys', () => {
    assert.equal(conditionHolds({ StringEquals: { k: ['a', 'b'] } }, ctx({ k: 'b' })), true);
    assert.equal(conditionHolds({ StringNotEquals: { k: ['a', 'b'] } }, ctx({ k: 'b' })), false);
    assert.equal(conditionHolds({ StringNotEquals: { k: ['a', 'b'] } }, ctx({ k: 'c' })), true);
    assert.equal(conditionHolds({ StringEquals: { k: 'a' } }, ctx({})), false, 'missing key: positive operator false');
    assert.equal(conditionHolds({ ArnNotEquals: { k: 'a' } }, ctx({})), true, 'missing key: negated operator true');
    assert.equal(conditionHolds({ StringEqualsIfExists: { k: 'a' } }, ctx({})), true);
    assert.equal(conditionHolds({ StringEqualsIfExists: { k: 'a' } }, ctx({ k: 'b' })), false);
    assert.equal(conditionHolds({ Null: { k: 'false' } }, ctx({})), false);
    assert.equal(conditionHolds({ Null: { k: 'true' } }, ctx({})), true);
    assert.equal(conditionHolds({ StringEquals: { a: '1', b: '2' } }, ctx({ a: '1', b: '3' })), false);
    assert.equal(conditionHolds({ Bool: { k: 'true' } }, ctx({ K: 'TRUE' })), true, 'keys and Bool values are case-insensitive');
    assert.throws(() => conditionHolds({ NumericLessThan: { k: '1' } }, ctx({ k: '0' })), /unsupported condition operator/);
  });
  it('wildcards: * and ? only, everything else literal', () => {
    assert.ok(wildcard('arn:aws:s3:::prod-*-starport-layer-bucket/*', 'arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/x/y'));
    assert.ok(!wildcard('a.b', 'axb'));
    assert.ok(wildcard('ab?', 'abc') && !wildcard('ab?', 'abcd'));
  });
  it('an unresolved Terraform interpolation throws instead of evaluating a wrong policy', () => {
    assert.throws(() => resolveInterpolations('{"a":"${aws_iam_role.Nope.arn}"}', ACCOUNT, {}), /unresolved interpolation/);
  });
});
