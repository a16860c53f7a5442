/** PrivateEksCluster: the deploying machine's path to the API, access entries, add-on policies, bad input. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { type App, TerraformStack, Testing } from 'cdktf';
import { ValidationError } from '../../constructs/core/errors.js';
import { PrivateEksCluster, type PrivateEksClusterProps } from '../../constructs/network/eks.js';

type Tf = Record<string, any>;
const vals = (tf: Tf, type: string): any[] => Object.values(tf.resource?.[type] ?? {});
const base: PrivateEksClusterProps = { region: 'eu-west-1', vpcId: 'vpc-0123456789abcdef0', privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] };

function synth(over: Partial<PrivateEksClusterProps> = {}): { tf: Tf; cluster: PrivateEksCluster } {
  const app: App = Testing.app();
  const s = new TerraformStack(app, 'eks');
  new AwsProvider(s, 'aws', { region: 'eu-west-1' });
  const cluster = new PrivateEksCluster(s, 'Cluster', { ...base, ...over });
  return { tf: JSON.parse(Testing.synth(s, true)), cluster };
}

describe('PrivateEksCluster: deploy access', () => {
  it('no deploy inputs: private endpoint, no API rule, the creator is bootstrapped as admin', () => {
    const { tf, cluster } = synth();
    const [eks] = vals(tf, 'aws_eks_cluster');
    assert.equal(eks.vpc_config.endpoint_public_access, false);
    assert.equal(eks.access_config.bootstrap_cluster_creator_admin_permissions, true);
    assert.deepEqual(vals(tf, 'aws_vpc_security_group_ingress_rule'), []);
    assert.deepEqual(vals(tf, 'aws_eks_access_entry'), []);
    assert.deepEqual(cluster.relaxations, []);
  });
  it('apiClients: one 443 rule per source on the cluster security group, each described; no relaxation', () => {
    const { tf, cluster } = synth({
      apiClients: [
        { cidr: '10.99.0.0/24', description: 'tooling VPC (Transit Gateway)' },
        { securityGroupId: 'sg-0123456789abcdef0', description: 'CI runner' },
      ],
    });
    const rules = vals(tf, 'aws_vpc_security_group_ingress_rule');
    assert.deepEqual(
      rules.map((r) => [r.cidr_ipv4, r.referenced_security_group_id, r.from_port, r.to_port, r.description]),
      [
        ['10.99.0.0/24', undefined, 443, 443, 'Kubernetes API: tooling VPC (Transit Gateway)'],
        [undefined, 'sg-0123456789abcdef0', 443, 443, 'Kubernetes API: CI runner'],
      ],
    );
    for (const r of rules) assert.match(r.security_group_id, /cluster_security_group_id/);
    assert.deepEqual(cluster.relaxations, []);
  });
  it('publicEndpoint stays a recorded relaxation (NET-3) limited to its ranges', () => {
    const { tf, cluster } = synth({ publicEndpoint: { cidrs: ['198.51.100.0/24'], reason: 'CI runs on hosted runners with fixed egress IPs' } });
    const [eks] = vals(tf, 'aws_eks_cluster');
    assert.equal(eks.vpc_config.endpoint_public_access, true);
    assert.deepEqual(eks.vpc_config.public_access_cidrs, ['198.51.100.0/24']);
    assert.deepEqual(
      cluster.relaxations.map((r) => [r.id, r.prop]),
      [['NET-3', 'publicEndpoint']],
    );
  });
  it('deployerRoleArns: access entry + cluster admin policy each, and no implicit creator admin', () => {
    const roles = ['arn:aws:iam::111122223333:role/ci-deploy', 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef'];
    const { tf } = synth({ deployerRoleArns: roles });
    assert.deepEqual(
      vals(tf, 'aws_eks_access_entry').map((e) => e.principal_arn),
      roles,
    );
    assert.equal(vals(tf, 'aws_eks_access_policy_association').length, 2);
    assert.equal(vals(tf, 'aws_eks_cluster')[0].access_config.bootstrap_cluster_creator_admin_permissions, false);
  });
  it('add-ons take over on create and update; extended support is off unless asked for', () => {
    const { tf } = synth({ supportType: 'EXTENDED' });
    for (const a of vals(tf, 'aws_eks_addon')) assert.deepEqual([a.resolve_conflicts_on_create, a.resolve_conflicts_on_update], ['OVERWRITE', 'OVERWRITE'], a.addon_name);
    assert.deepEqual(vals(tf, 'aws_eks_cluster')[0].upgrade_policy, { support_type: 'EXTENDED' });
    assert.deepEqual(vals(synth().tf, 'aws_eks_cluster')[0].upgrade_policy, { support_type: 'STANDARD' });
  });
  it('externalSecrets: false leaves the association to the credentials stack', () => {
    const { tf, cluster } = synth({ externalSecrets: false });
    assert.deepEqual(vals(tf, 'aws_eks_pod_identity_association'), []);
    assert.equal(cluster.externalSecretsRole, undefined);
  });
  for (const [name, over, re] of [
    ['an STS session as deployer', { deployerRoleArns: ['arn:aws:sts::111122223333:assumed-role/ci/session'] }, /deployerRoleArns\[0\] must be an IAM role ARN.*not an assumed-role session/],
    ['the same deployer twice', { deployerRoleArns: ['arn:aws:iam::111122223333:role/a', 'arn:aws:iam::111122223333:role/a'] }, /one access entry per principal/],
    ['an API client open to every address', { apiClients: [{ cidr: '0.0.0.0/0', description: 'anyone' }] }, /apiClients\[0\]\.cidr is 0\.0\.0\.0\/0/],
    ['an API client without a description', { apiClients: [{ cidr: '10.0.0.0/24', description: '' }] }, /apiClients\[0\]\.description/],
    ['an API client with a bad security group', { apiClients: [{ securityGroupId: 'sg-nope', description: 'CI' }] }, /apiClients\[0\]\.securityGroupId/],
    ['an unknown support type', { supportType: 'FOREVER' as never }, /supportType must be "STANDARD" or "EXTENDED"/],
    ['a bad pull-through prefix', { pullThroughCachePrefixes: ['Docker Hub'] }, /pullThroughCachePrefixes\[0\]/],
  ] as const) {
    it(`rejects ${name} with the construct path`, () => {
      assert.throws(
        () => synth(over as Partial<PrivateEksClusterProps>),
        (e: unknown) => e instanceof ValidationError && e.constructPath === 'eks/Cluster' && re.test(e.message),
      );
    });
  }
});
