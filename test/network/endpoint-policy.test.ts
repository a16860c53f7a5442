/**
 * VPC endpoint policies of the synthesized network stack, evaluated with the IAM evaluator:
 * this account's principals reach this account's resources; other accounts' credentials and
 * other accounts' resources are refused; the AWS-owned resources EKS needs stay reachable.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { type App, TerraformStack, Testing } from 'cdktf';
import { ValidationError } from '../../constructs/core/errors.js';
import { BrokerNetwork, type BrokerNetworkProps } from '../../constructs/network/network.js';
import { INTERFACE_ENDPOINTS } from '../../constructs/network/plan.js';
import { evaluate, type Principal, type Request, resolveInterpolations } from '../helpers/iam-eval.js';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
type Tf = Record<string, any>;

function synthNet(p: Partial<BrokerNetworkProps> = {}): Tf {
  const app: App = Testing.app();
  const s = new TerraformStack(app, 'net');
  new AwsProvider(s, 'aws', { region: 'eu-west-1' });
  new BrokerNetwork(s, 'Network', { region: 'eu-west-1', ...p });
  return JSON.parse(Testing.synth(s, true));
}

/** Endpoint policies by service (undefined where the endpoint has none). */
function policies(tf: Tf): Record<string, { Statement: unknown } | undefined> {
  return Object.fromEntries(
    Object.values<any>(tf.resource.aws_vpc_endpoint).map((e) => [
      e.service_name.replace('com.amazonaws.eu-west-1.', ''),
      e.policy ? JSON.parse(resolveInterpolations(e.policy, ACCOUNT, {})) : undefined,
    ]),
  );
}

const me: Principal = { type: 'AWS', id: `arn:aws:iam::${ACCOUNT}:role/mqtt-fortress-nodes` };
const stranger: Principal = { type: 'AWS', id: `arn:aws:iam::${OTHER}:role/attacker` };
const req = (action: string, principal: Principal, resourceAccount: string | undefined, extra: Record<string, string> = {}): Request => ({
  action,
  resource: '*',
  principal,
  context: { ...(resourceAccount ? { 'aws:ResourceAccount': resourceAccount } : {}), ...extra },
});
const decide = (p: { Statement: unknown } | undefined, r: Request) => (p ? evaluate(p, r).decision : 'no policy');

/** One typical call per endpoint that this account's nodes, pods and controllers make. */
const OWN_CALLS: Record<string, string> = {
  'ecr.api': 'ecr:GetAuthorizationToken',
  'ecr.dkr': 'ecr:BatchGetImage',
  sts: 'sts:AssumeRole',
  logs: 'logs:PutLogEvents',
  ec2: 'ec2:AssignPrivateIpAddresses',
  elasticloadbalancing: 'elasticloadbalancing:RegisterTargets',
  secretsmanager: 'secretsmanager:GetSecretValue',
  kms: 'kms:Decrypt',
  s3: 's3:GetObject',
};
/** One exfiltration per endpoint: this account's credentials writing to another account's resource. */
const EXFIL: Record<string, string> = {
  'ecr.api': 'ecr:PutImage',
  'ecr.dkr': 'ecr:UploadLayerPart',
  sts: 'sts:AssumeRole',
  logs: 'logs:PutLogEvents',
  ec2: 'ec2:CreateTags',
  elasticloadbalancing: 'elasticloadbalancing:AddTags',
  secretsmanager: 'secretsmanager:PutSecretValue',
  kms: 'kms:Encrypt',
  s3: 's3:PutObject',
};

describe('VPC endpoint policies (NET-3), evaluated', () => {
  const tf = synthNet();
  const pol = policies(tf);

  it('every endpoint whose service supports a policy has one; eks and eks-auth have none (EKS does not support endpoint policies)', () => {
    for (const svc of [...INTERFACE_ENDPOINTS, 's3']) {
      if (svc === 'eks' || svc === 'eks-auth') assert.equal(pol[svc], undefined, svc);
      else assert.ok(pol[svc], `${svc} has no endpoint policy`);
    }
  });
  it("this account's principals reach this account's resources through every endpoint", () => {
    for (const [svc, action] of Object.entries(OWN_CALLS)) assert.equal(decide(pol[svc], req(action, me, ACCOUNT)), 'allow', svc);
  });
  it("another account's credentials are refused by every endpoint, even on this account's resources", () => {
    for (const [svc, action] of Object.entries(OWN_CALLS)) assert.equal(decide(pol[svc], req(action, stranger, ACCOUNT)), 'implicit-deny', svc);
  });
  it("this account's credentials cannot write to another account's resources (no exfiltration path)", () => {
    for (const [svc, action] of Object.entries(EXFIL)) assert.equal(decide(pol[svc], req(action, me, OTHER)), 'implicit-deny', `${svc} ${action}`);
  });
  it('ECR: images of the AWS-owned EKS add-on registries can be pulled (602401143452 in eu-west-1), nothing else of them', () => {
    for (const svc of ['ecr.api', 'ecr.dkr']) {
      for (const a of ['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'])
        assert.equal(decide(pol[svc], req(a, me, '602401143452')), 'allow', `${svc} ${a}`);
      assert.equal(decide(pol[svc], req('ecr:PutImage', me, '602401143452')), 'implicit-deny');
      assert.equal(decide(pol[svc], req('ecr:BatchGetImage', stranger, '602401143452')), 'implicit-deny');
    }
  });
  it('S3 gateway: image layers from prod-<region>-starport-layer-bucket through a presigned URL signed by an ECR account; no other AWS bucket', () => {
    const ecrSigner: Principal = { type: 'AWS', id: 'arn:aws:iam::999988887777:role/ecr-layer-signer' };
    const layer = { action: 's3:GetObject', principal: ecrSigner, context: { 'aws:ResourceAccount': '999988887777' } };
    assert.equal(evaluate(pol.s3!, { ...layer, resource: 'arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/0a1b/layer' }).decision, 'allow');
    assert.equal(evaluate(pol.s3!, { ...layer, resource: 'arn:aws:s3:::prod-us-east-1-starport-layer-bucket/0a1b/layer' }).decision, 'implicit-deny', 'other region');
    assert.equal(evaluate(pol.s3!, { ...layer, action: 's3:PutObject', resource: 'arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/x' }).decision, 'implicit-deny');
    assert.equal(evaluate(pol.s3!, { ...layer, resource: 'arn:aws:s3:::attacker-bucket/x' }).decision, 'implicit-deny');
  });
  it("STS: IRSA (AssumeRoleWithWebIdentity, no AWS principal) into this account's roles only", () => {
    const web: Principal = { type: 'Federated', id: 'oidc.eks.eu-west-1.amazonaws.com/id/ABC' };
    assert.equal(evaluate(pol.sts!, req('sts:AssumeRoleWithWebIdentity', web, ACCOUNT)).decision, 'allow');
    assert.equal(evaluate(pol.sts!, req('sts:AssumeRoleWithWebIdentity', web, OTHER)).decision, 'implicit-deny');
  });
  it('EC2: actions without aws:ResourceAccount in their context (EBS CreateVolume for the CSI driver) pass for own principals only', () => {
    assert.equal(evaluate(pol.ec2!, req('ec2:CreateVolume', me, undefined)).decision, 'allow');
    assert.equal(evaluate(pol.ec2!, req('ec2:CreateVolume', stranger, undefined)).decision, 'implicit-deny');
    assert.equal(evaluate(pol.secretsmanager!, req('secretsmanager:GetSecretValue', me, undefined)).decision, 'implicit-deny', 'elsewhere a missing key is refused');
  });
  it("with organizationId: principals of the organization pass, resources stay this account's", () => {
    const p = policies(synthNet({ organizationId: 'o-a1b2c3d4e5' }));
    const orgMember: Principal = { type: 'AWS', id: `arn:aws:iam::${OTHER}:role/ci` };
    assert.equal(evaluate(p.secretsmanager!, req('secretsmanager:GetSecretValue', orgMember, ACCOUNT, { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' })).decision, 'allow');
    assert.equal(evaluate(p.secretsmanager!, req('secretsmanager:GetSecretValue', orgMember, ACCOUNT, { 'aws:PrincipalOrgID': 'o-zzzzzzzzzz' })).decision, 'implicit-deny');
    assert.equal(evaluate(p.secretsmanager!, req('secretsmanager:GetSecretValue', orgMember, OTHER, { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' })).decision, 'implicit-deny');
  });
  it('unrestrictedEndpointsReason removes the policies and is recorded as a NET-3 relaxation; bad organizationId is refused', () => {
    const app: App = Testing.app();
    const st = new TerraformStack(app, 'net');
    new AwsProvider(st, 'aws', { region: 'eu-west-1' });
    const n = new BrokerNetwork(st, 'Network', { region: 'eu-west-1', unrestrictedEndpointsReason: 'shared-services VPC with its own perimeter at the firewall' });
    const t = JSON.parse(Testing.synth(st, true));
    assert.ok(Object.values<any>(t.resource.aws_vpc_endpoint).every((e) => e.policy === undefined));
    assert.deepEqual(
      n.relaxations.map((r) => [r.id, r.prop, r.appliesTo]),
      [['NET-3', 'unrestrictedEndpointsReason', []]],
      'scoped: it suppresses no other NET-3 finding (flow logs, public IPs, public API)',
    );
    assert.throws(
      () => synthNet({ organizationId: 'org-1' }),
      (e: unknown) => e instanceof ValidationError && e.code === 'AWS_ID' && /\[net\/Network\] organizationId must be an AWS Organizations id/.test(e.message),
    );
    assert.throws(
      () => synthNet({ costProfile: 'cheap' as never }),
      (e: unknown) => e instanceof ValidationError && e.code === 'INVALID_COST_PROFILE',
    );
  });
  it('cost profiles: production keeps endpoints in every zone and flow logs of all traffic for 365 days; non-production 2 zones, REJECT, 90 days, tagged', () => {
    const [prodEp] = Object.values<any>(tf.resource.aws_vpc_endpoint).filter((e) => e.vpc_endpoint_type === 'Interface');
    assert.equal(prodEp.subnet_ids.length, 3);
    assert.equal(Object.values<any>(tf.resource.aws_flow_log)[0].traffic_type, 'ALL');
    const n = synthNet({ costProfile: 'non-production' });
    const eps = Object.values<any>(n.resource.aws_vpc_endpoint);
    for (const e of eps.filter((x) => x.vpc_endpoint_type === 'Interface')) assert.equal(e.subnet_ids.length, 2);
    for (const e of eps) assert.equal(e.tags['mqtt-fortress:cost-profile'], 'non-production');
    assert.equal(Object.values<any>(n.resource.aws_flow_log)[0].traffic_type, 'REJECT');
    assert.equal(Object.values<any>(n.resource.aws_cloudwatch_log_group)[0].retention_in_days, 90);
    assert.ok(policies(n).s3, 'endpoint policies stay on');
  });
});
