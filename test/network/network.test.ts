import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { type App, TerraformStack, Testing } from 'cdktf';
import { ValidationError } from '../../constructs/core/errors.js';
import { PrivateEksCluster, type PrivateEksClusterProps } from '../../constructs/network/eks.js';
import { BrokerNetwork, type BrokerNetworkProps } from '../../constructs/network/network.js';
import { GATEWAY_ENDPOINTS, INTERFACE_ENDPOINTS, subnetLayout } from '../../constructs/network/plan.js';
import { BrokerSecurityGroup, type BrokerSecurityGroupProps } from '../../constructs/network/security-group.js';
import { buildApp } from '../../stacks/main.js';

type Tf = Record<string, any>;
const resources = (tf: Tf, type: string): any[] => Object.values(tf.resource?.[type] ?? {});

function synthApp(env: Record<string, string> = {}): Record<string, Tf> {
  const out = mkdtempSync(join(tmpdir(), 'fortress-net-'));
  const old = { ...process.env };
  Object.assign(process.env, env);
  try {
    buildApp(out).synth();
    return Object.fromEntries(readdirSync(join(out, 'stacks')).map((s) => [s, JSON.parse(readFileSync(join(out, 'stacks', s, 'cdk.tf.json'), 'utf8'))]));
  } finally {
    process.env = old;
    rmSync(out, { recursive: true, force: true });
  }
}

function synthIn(fill: (s: TerraformStack) => void): Tf {
  const app: App = Testing.app();
  const s = new TerraformStack(app, 'net');
  new AwsProvider(s, 'aws', { region: 'eu-west-1' });
  fill(s);
  return JSON.parse(Testing.synth(s, true));
}

describe('default app network rules (NET-1..NET-3)', () => {
  for (const [variant, env] of [
    ['default', {}],
    ['device ranges', { FORTRESS_DEVICE_CIDRS: '192.0.2.0/24' }],
  ] as const) {
    const stacks = synthApp(env);
    const all = Object.values(stacks);
    it(`${variant}: no ingress from 0.0.0.0/0 or ::/0 in any security group`, () => {
      for (const tf of all) {
        for (const r of resources(tf, 'aws_vpc_security_group_ingress_rule')) assert.ok(r.cidr_ipv4 !== '0.0.0.0/0' && r.cidr_ipv6 !== '::/0', JSON.stringify(r));
        for (const sg of resources(tf, 'aws_security_group')) assert.equal(sg.ingress, undefined, 'rules are separate resources, one per rule');
        for (const d of resources(tf, 'aws_default_security_group')) assert.equal(d.ingress, undefined);
      }
    });
    it(`${variant}: port 1883 appears nowhere`, () => {
      const text = JSON.stringify(stacks);
      assert.doesNotMatch(text, /"(from_port|to_port|port|container_port|target_port)":\s*"?1883"?/);
      assert.doesNotMatch(text, /listener 1883/);
    });
    it(`${variant}: every ingress rule has a description`, () => {
      for (const tf of all) for (const r of resources(tf, 'aws_vpc_security_group_ingress_rule')) assert.ok(r.description?.length > 10, JSON.stringify(r));
    });
  }
  const stacks = synthApp();
  const net = stacks['mqtt-network']!;
  const eks = stacks['mqtt-cluster']!;
  it('flow logs on for all traffic, to a KMS-encrypted log group with retention', () => {
    const [fl] = resources(net, 'aws_flow_log');
    assert.equal(fl.traffic_type, 'ALL');
    const lg = resources(net, 'aws_cloudwatch_log_group').find((g) => g.name.includes('vpc-flow-logs'));
    assert.equal(lg.retention_in_days, 365);
    assert.match(lg.kms_key_id, /aws_kms_key/);
  });
  it('VPC endpoints for every AWS API the nodes need, no NAT and no internet gateway', () => {
    const services = resources(net, 'aws_vpc_endpoint')
      .map((e) => e.service_name.replace('com.amazonaws.eu-west-1.', ''))
      .sort();
    assert.deepEqual(services, [...INTERFACE_ENDPOINTS, ...GATEWAY_ENDPOINTS].sort());
    for (const e of resources(net, 'aws_vpc_endpoint').filter((x) => x.vpc_endpoint_type === 'Interface')) assert.equal(e.private_dns_enabled, true);
    assert.equal(resources(net, 'aws_nat_gateway').length, 0);
    assert.equal(resources(net, 'aws_internet_gateway').length, 0);
    for (const s of resources(net, 'aws_subnet')) assert.equal(s.map_public_ip_on_launch, false);
  });
  it('the default security group is emptied', () => assert.equal(resources(net, 'aws_default_security_group').length, 1));
  it('EKS: private endpoint only, secrets encrypted with KMS, every control-plane log', () => {
    const [c] = resources(eks, 'aws_eks_cluster');
    assert.equal(c.vpc_config.endpoint_private_access, true);
    assert.equal(c.vpc_config.endpoint_public_access, false);
    assert.deepEqual(c.encryption_config.resources, ['secrets']);
    assert.deepEqual(c.enabled_cluster_log_types, ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler']);
    assert.equal(c.access_config.authentication_mode, 'API');
  });
  it('EKS nodes: IMDSv2 required with hop limit 1, encrypted root volume, private subnets', () => {
    const [lt] = resources(eks, 'aws_launch_template');
    assert.equal(lt.metadata_options.http_tokens, 'required');
    assert.equal(lt.metadata_options.http_put_response_hop_limit, 1);
    assert.equal(lt.block_device_mappings[0].ebs.encrypted, 'true');
    const [ng] = resources(eks, 'aws_eks_node_group');
    assert.equal(ng.subnet_ids.length, 3);
  });
  it('VPC CNI enforces NetworkPolicies; the Pod Identity agent is installed', () => {
    const addons = Object.fromEntries(resources(eks, 'aws_eks_addon').map((a) => [a.addon_name, a]));
    assert.deepEqual(JSON.parse(addons['vpc-cni'].configuration_values), { enableNetworkPolicy: 'true' });
    assert.ok(addons['eks-pod-identity-agent']);
  });
  it('with device ranges: internal NLB in the load-balancer subnets, its security group, same ranges in the NetworkPolicy', () => {
    const s = synthApp({ FORTRESS_DEVICE_CIDRS: '192.0.2.0/24' });
    const rules = resources(s['mqtt-network']!, 'aws_vpc_security_group_ingress_rule').filter((r) => r.from_port === 8883);
    assert.deepEqual(
      rules.map((r) => r.cidr_ipv4),
      ['192.0.2.0/24'],
    );
    const k8s = s['mosquitto-k8s']!;
    const svc = resources(k8s, 'kubernetes_service_v1').find((x) => x.metadata.name === 'mosquitto');
    assert.equal(svc.spec.type, 'LoadBalancer');
    assert.equal(svc.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-scheme'], 'internal');
    assert.match(svc.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-security-groups'], /cross-stack-reference-input-mqtt-network/);
    assert.deepEqual(svc.spec.load_balancer_source_ranges, ['192.0.2.0/24']);
    const np = resources(k8s, 'kubernetes_network_policy_v1').find((x) => x.metadata.name === 'mosquitto-allow-mqtts');
    const cidrs = np.spec.ingress[0].from.flatMap((f: any) => (f.ip_block ? [f.ip_block.cidr] : []));
    assert.deepEqual(cidrs, ['192.0.2.0/24', ...subnetLayout('10.42.0.0/16', ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']).loadBalancer]);
  });
});

describe('network bad input fails at synth with the construct path', () => {
  const net = (p: Partial<BrokerNetworkProps>) => synthIn((s) => new BrokerNetwork(s, 'Network', { region: 'eu-west-1', ...p }));
  const sg = (p: Partial<BrokerSecurityGroupProps>) =>
    synthIn((s) => new BrokerSecurityGroup(s, 'Sg', { vpcId: 'vpc-0123456789abcdef0', vpcCidr: '10.0.0.0/16', name: 'x', allowedClients: [{ cidr: '192.0.2.0/24', description: 'devices' }], ...p }));
  const eks = (p: Partial<PrivateEksClusterProps>) =>
    synthIn((s) => new PrivateEksCluster(s, 'Eks', { region: 'eu-west-1', vpcId: 'vpc-0123456789abcdef0', privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], ...p }));
  const cases: [string, () => unknown, string, RegExp][] = [
    [
      'overlapping client CIDRs',
      () =>
        sg({
          allowedClients: [
            { cidr: '10.1.0.0/16', description: 'plant A' },
            { cidr: '10.1.2.0/24', description: 'nested' },
          ],
        }),
      'CIDR_OVERLAP',
      /\[net\/Sg\] allowedClients\.cidr\[0\] "10\.1\.0\.0\/16" and allowedClients\.cidr\[1\] "10\.1\.2\.0\/24" overlap/,
    ],
    ['invalid client CIDR', () => sg({ allowedClients: [{ cidr: '10.1.0.0/33', description: 'plant A' }] }), 'INVALID_CIDR', /IPv4 prefix is at most 32/],
    [
      'world-open without reason',
      () => sg({ allowedClients: [{ cidr: '0.0.0.0/0', description: 'everyone' }] }),
      'PEER_OPEN_TO_WORLD',
      /allowedClients.cidr \(0.0.0.0\/0\) admits, taken together, .* set openToWorldReason/,
    ],
    ['no clients', () => sg({ allowedClients: [] }), 'NET_NO_CLIENTS', /would admit nobody/],
    ['port 1883 as extra port', () => sg({ extraTlsPorts: [1883] }), 'PLAINTEXT_PORT', /1883, a port for plaintext MQTT/],
    ['fewer than 2 zones', () => net({ availabilityZones: ['eu-west-1a'] }), 'NET_AZ_COUNT', /EKS needs subnets in at least 2 zones/],
    ['zone of another region', () => net({ availabilityZones: ['eu-west-1a', 'us-east-1b'] }), 'NET_AZ', /not a zone of region eu-west-1/],
    ['VPC CIDR too large', () => net({ vpcCidr: '10.0.0.0/8' }), 'INVALID_CIDR', /prefix from \/16 to \/22/],
    [
      'malformed imported VPC id',
      () =>
        net({
          existingVpc: { vpcId: 'vpc-123', vpcCidr: '10.0.0.0/16', privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], privateRouteTableIds: [], loadBalancerSubnets: [] },
        }),
      'AWS_ID',
      /existingVpc\.vpcId must be an existing vpc id such as "vpc-0123456789abcdef0", got "vpc-123"/,
    ],
    [
      'imported VPC without load balancer subnets',
      () =>
        net({
          existingVpc: {
            vpcId: 'vpc-0123456789abcdef0',
            vpcCidr: '10.0.0.0/16',
            privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
            privateRouteTableIds: [],
            loadBalancerSubnets: [],
          },
        }),
      'NET_AZ_COUNT',
      /loadBalancerSubnets needs at least 2 subnets/,
    ],
    ['public subnets without reason text', () => net({ internetFacingReason: 'x' }), 'REASON_REQUIRED', /at least 10 characters/],
    ['public EKS endpoint open to the world', () => eks({ publicEndpoint: { cidrs: ['0.0.0.0/0'], reason: 'operators work from home' } }), 'EKS_PUBLIC_ENDPOINT', /never opened to the whole internet/],
    ['EKS with one subnet', () => eks({ privateSubnetIds: ['subnet-0123456789abcdef0'] }), 'NET_AZ_COUNT', /at least 2 in different zones/],
  ];
  for (const [name, fn, code, re] of cases) {
    it(name, () => assert.throws(fn, (e: unknown) => e instanceof ValidationError && e.code === code && re.test(e.message)));
  }
  it('an internet-facing network is a recorded relaxation with public subnets', () => {
    let n!: BrokerNetwork;
    const tf = synthIn((s) => (n = new BrokerNetwork(s, 'Network', { region: 'eu-west-1', internetFacingReason: 'public demo broker for the trade fair' })));
    assert.equal(resources(tf, 'aws_internet_gateway').length, 1);
    assert.equal(n.publicSubnetIds.length, 3);
    assert.deepEqual(n.relaxations, [{ id: 'NET-3', prop: 'internetFacingReason', reason: 'public demo broker for the trade fair' }]);
  });
  it('subnet layout: private /19s for nodes, /22s for the load balancer, no overlap', () => {
    const l = subnetLayout('10.42.0.0/16', ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    assert.deepEqual(l.private, ['10.42.0.0/19', '10.42.32.0/19', '10.42.64.0/19']);
    assert.deepEqual(l.loadBalancer, ['10.42.224.0/22', '10.42.228.0/22', '10.42.232.0/22']);
    assert.deepEqual(l.public, ['10.42.240.0/22', '10.42.244.0/22', '10.42.248.0/22']);
  });
});

describe('container logs and the authentication-failure alarm (MON-2, MON-3, AWS)', () => {
  const eks = synthApp()['mqtt-cluster']!;
  it('the metric filter uses the pattern tested against real Mosquitto logs; the alarm watches it', async () => {
    const { AUTH_FAILURE } = await import('../../constructs/monitoring/logs.js');
    const [mf] = resources(eks, 'aws_cloudwatch_log_metric_filter');
    assert.equal(mf.pattern, AUTH_FAILURE.cloudwatch);
    assert.equal(mf.metric_transformation.name, 'MqttAuthenticationFailures');
    const [alarm] = resources(eks, 'aws_cloudwatch_metric_alarm');
    assert.equal(alarm.metric_name, 'MqttAuthenticationFailures');
    assert.equal(alarm.threshold, 20);
    assert.equal(alarm.period, 300);
  });
  it('identities the credentials reloader could not apply raise their own alarm on the tested log line (INT-2)', async () => {
    const { INCOMPLETE_IDENTITY } = await import('../../constructs/monitoring/logs.js');
    const mf = resources(eks, 'aws_cloudwatch_log_metric_filter').find((m) => m.name === 'mqtt-incomplete-identities');
    assert.equal(mf.pattern, INCOMPLETE_IDENTITY.cloudwatch);
    const alarm = resources(eks, 'aws_cloudwatch_metric_alarm').find((a) => a.metric_name === 'MqttIncompleteIdentities');
    assert.equal(alarm.threshold, 0);
    assert.equal(alarm.comparison_operator, 'GreaterThanThreshold');
  });
  it('logs ship through the CloudWatch Observability add-on into a KMS-encrypted group with retention', () => {
    const lg = resources(eks, 'aws_cloudwatch_log_group').find((g) => g.name.endsWith('/application'));
    assert.equal(lg.retention_in_days, 365);
    assert.match(lg.kms_key_id, /aws_kms_key/);
    const addon = resources(eks, 'aws_eks_addon').find((a) => a.addon_name === 'amazon-cloudwatch-observability');
    assert.equal(addon.pod_identity_association[0].service_account, 'cloudwatch-agent');
  });
});
