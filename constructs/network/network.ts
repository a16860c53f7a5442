/**
 * BrokerNetwork: a private VPC for MQTT brokers (baseline NET-3), or an imported one with the
 * same checks on what the kit adds. Private subnets across zones, VPC endpoints so nodes need no
 * NAT, flow logs to KMS-encrypted CloudWatch Logs, the default security group emptied. Public
 * subnets exist only when an internet-facing load balancer is declared, with its reason.
 */

import type * as P_cloudwatch_log_group from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import type * as P_default_security_group from '@cdktf/provider-aws/lib/default-security-group/index.js';
import type * as P_flow_log from '@cdktf/provider-aws/lib/flow-log/index.js';
import type * as P_iam_role from '@cdktf/provider-aws/lib/iam-role/index.js';
import type * as P_iam_role_policy from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import type * as P_internet_gateway from '@cdktf/provider-aws/lib/internet-gateway/index.js';
import type * as P_route_table from '@cdktf/provider-aws/lib/route-table/index.js';
import type * as P_route_table_association from '@cdktf/provider-aws/lib/route-table-association/index.js';
import type * as P_security_group from '@cdktf/provider-aws/lib/security-group/index.js';
import type * as P_subnet from '@cdktf/provider-aws/lib/subnet/index.js';
import type * as P_vpc from '@cdktf/provider-aws/lib/vpc/index.js';
import type * as P_vpc_endpoint from '@cdktf/provider-aws/lib/vpc-endpoint/index.js';
import type * as P_vpc_security_group_ingress_rule from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { Construct } from 'constructs';
import { policyDocument } from '../aws/iam.js';
import { accountOf, logsKey } from '../aws/logs-key.js';
import { assertRegion } from '../aws/region.js';
import { assertReason } from '../core/checks.js';
import { assertCostProfile, COST_PROFILE_TAG, type CostProfile } from '../core/cost-profile.js';
import { FortressError, scoped, show } from '../core/errors.js';
import { providerModule } from '../core/provider-module.js';
import { type IRelaxed, type Relaxation, Relaxations } from '../core/relaxation.js';
import { endpointPolicyStatements } from './endpoint-policy.js';
import { assertAwsId, defaultZones, GATEWAY_ENDPOINTS, INTERFACE_ENDPOINTS, ipv4Range, subnetLayout } from './plan.js';

const { CloudwatchLogGroup } = providerModule<typeof P_cloudwatch_log_group>('@cdktf/provider-aws/lib/cloudwatch-log-group/index.js');
type CloudwatchLogGroup = P_cloudwatch_log_group.CloudwatchLogGroup;
const { DefaultSecurityGroup } = providerModule<typeof P_default_security_group>('@cdktf/provider-aws/lib/default-security-group/index.js');
const { FlowLog } = providerModule<typeof P_flow_log>('@cdktf/provider-aws/lib/flow-log/index.js');
const { IamRole } = providerModule<typeof P_iam_role>('@cdktf/provider-aws/lib/iam-role/index.js');
const { IamRolePolicy } = providerModule<typeof P_iam_role_policy>('@cdktf/provider-aws/lib/iam-role-policy/index.js');
const { InternetGateway } = providerModule<typeof P_internet_gateway>('@cdktf/provider-aws/lib/internet-gateway/index.js');
const { RouteTable } = providerModule<typeof P_route_table>('@cdktf/provider-aws/lib/route-table/index.js');
const { RouteTableAssociation } = providerModule<typeof P_route_table_association>('@cdktf/provider-aws/lib/route-table-association/index.js');
const { SecurityGroup } = providerModule<typeof P_security_group>('@cdktf/provider-aws/lib/security-group/index.js');
const { Subnet } = providerModule<typeof P_subnet>('@cdktf/provider-aws/lib/subnet/index.js');
const { Vpc } = providerModule<typeof P_vpc>('@cdktf/provider-aws/lib/vpc/index.js');
const { VpcEndpoint } = providerModule<typeof P_vpc_endpoint>('@cdktf/provider-aws/lib/vpc-endpoint/index.js');
const { VpcSecurityGroupIngressRule } = providerModule<typeof P_vpc_security_group_ingress_rule>('@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js');

export interface ImportedVpc {
  readonly vpcId: string;
  /** The VPC's CIDR (endpoint and broker rules admit it); no data source reads it at plan time. */
  readonly vpcCidr: string;
  /** Private subnets of the brokers and nodes, at least 2 in different zones. */
  readonly privateSubnetIds: readonly string[];
  /** Route tables of those subnets, for the S3 gateway endpoint. */
  readonly privateRouteTableIds: readonly string[];
  /** Subnets of the internal load balancer and their CIDRs (no nodes or pods in them). */
  readonly loadBalancerSubnets: readonly { readonly id: string; readonly cidr: string }[];
}

export interface BrokerNetworkProps {
  readonly region: string;
  /** Name prefix of every resource. @default 'mqtt-fortress' */
  readonly name?: string;
  /** @default '10.42.0.0/16' */
  readonly vpcCidr?: string;
  /** Zones of the private subnets (at least 2). @default - the first 3 zones of the region (a, b, c) */
  readonly availabilityZones?: readonly string[];
  /** Bring your own VPC instead of creating one. @default - a new VPC */
  readonly existingVpc?: ImportedVpc;
  /**
   * Create public subnets (and an internet gateway) for an internet-facing load balancer. Give
   * the reason; it is shown in the security report (baseline NET-3).
   * @default - none: the broker is reachable only inside the VPC and its peerings
   */
  readonly internetFacingReason?: string;
  /** Days flow logs are kept. @default 365 */
  readonly flowLogRetentionDays?: number;
  /** Interface endpoints to create. @default INTERFACE_ENDPOINTS */
  readonly interfaceEndpoints?: readonly string[];
  /**
   * AWS Organizations id (`o-...`): the endpoint policies then admit principals of the whole
   * organization (`aws:PrincipalOrgID`) instead of this account only (`aws:PrincipalAccount`).
   * Resources stay limited to this account (`aws:ResourceAccount`).
   * @default - this account's principals only
   */
  readonly organizationId?: string;
  /**
   * Leave the endpoints without endpoint policies (full access for any account's credentials).
   * Give the reason; it is shown in the security report (baseline NET-3).
   * @default - every endpoint whose service supports it carries a policy (endpoint-policy.ts)
   */
  readonly unrestrictedEndpointsReason?: string;
  /**
   * `non-production`: interface endpoints in 2 zones, flow logs of rejected traffic only, kept 90
   * days (docs/aws-hardening.md, "Cost"). Shown in the security report.
   * @default 'production'
   */
  readonly costProfile?: CostProfile;
}

export class BrokerNetwork extends Construct implements IRelaxed {
  public readonly vpcId: string;
  public readonly vpcCidr: string;
  public readonly privateSubnetIds: string[];
  public readonly publicSubnetIds: string[];
  /** Internal load balancer subnets (no nodes, no pods) and their CIDRs, known at synth time. */
  public readonly loadBalancerSubnetIds: string[];
  public readonly loadBalancerSubnetCidrs: readonly string[];
  public readonly availabilityZones: readonly string[];
  public readonly relaxations: readonly Relaxation[];
  public readonly flowLogGroup: CloudwatchLogGroup;
  public readonly endpointServices: readonly string[];
  public readonly name: string;
  public readonly costProfile: CostProfile;

  constructor(scope: Construct, id: string, props: BrokerNetworkProps) {
    super(scope, id);
    const name = props.name ?? 'mqtt-fortress';
    const relaxations: Relaxation[] = [];
    const plan = scoped(this, () => {
      assertRegion('region', props.region);
      if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(name)) throw new FortressError('INVALID_NAME', `name must be lower-case letters, digits and "-" (at most 31), got ${show(name)}.`);
      if (props.internetFacingReason !== undefined) relaxations.push({ id: 'NET-3', prop: 'internetFacingReason', reason: assertReason('internetFacingReason', props.internetFacingReason) });
      const profile = assertCostProfile('costProfile', props.costProfile);
      const retention = props.flowLogRetentionDays ?? (profile === 'non-production' ? 90 : 365);
      if (props.organizationId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(props.organizationId))
        throw new FortressError('AWS_ID', `organizationId must be an AWS Organizations id such as "o-a1b2c3d4e5", got ${show(props.organizationId)}.`);
      if (props.unrestrictedEndpointsReason !== undefined)
        relaxations.push({ id: 'NET-3', prop: 'unrestrictedEndpointsReason', reason: assertReason('unrestrictedEndpointsReason', props.unrestrictedEndpointsReason), appliesTo: [] }); // no audit finding is its to suppress: listed only (suppressions match whole keys)
      if (![90, 180, 365, 400, 545, 731, 1096, 1827, 3653].includes(retention))
        throw new FortressError('INVALID_NUMBER', `flowLogRetentionDays must be a CloudWatch retention of at least 90 days (90, 180, 365, 731, ...), got ${show(retention)}.`);
      const ep = props.interfaceEndpoints ?? INTERFACE_ENDPOINTS;
      for (const e of ep) if (!/^[a-z0-9.-]+$/.test(e)) throw new FortressError('NET_ENDPOINT', `interfaceEndpoints contains ${show(e)}, which is not a service name such as "ecr.api".`);
      if (props.existingVpc) {
        const v = props.existingVpc;
        assertAwsId('existingVpc.vpcId', 'vpc', v.vpcId);
        ipv4Range('existingVpc.vpcCidr', v.vpcCidr);
        if ((v.privateSubnetIds ?? []).length < 2)
          throw new FortressError(
            'NET_AZ_COUNT',
            `existingVpc.privateSubnetIds lists ${(v.privateSubnetIds ?? []).length} subnet(s); EKS and a zone-tolerant broker need private subnets in at least 2 zones.`,
          );
        v.privateSubnetIds.forEach((s, i) => {
          assertAwsId(`existingVpc.privateSubnetIds[${i}]`, 'subnet', s);
        });
        v.privateRouteTableIds.forEach((s, i) => {
          if (!/^rtb-[0-9a-f]{8}([0-9a-f]{9})?$/.test(s))
            throw new FortressError('AWS_ID', `existingVpc.privateRouteTableIds[${i}] must be a route table id such as "rtb-0123456789abcdef0", got ${show(s)}.`);
        });
        if ((v.loadBalancerSubnets ?? []).length < 2)
          throw new FortressError(
            'NET_AZ_COUNT',
            'existingVpc.loadBalancerSubnets needs at least 2 subnets (in different zones) that hold only the internal load balancer: their CIDRs are admitted by the broker NetworkPolicy for health checks, so no node or pod may live in them.',
          );
        v.loadBalancerSubnets.forEach((x, i) => {
          assertAwsId(`existingVpc.loadBalancerSubnets[${i}].id`, 'subnet', x.id);
          ipv4Range(`existingVpc.loadBalancerSubnets[${i}].cidr`, x.cidr);
        });
        if (props.internetFacingReason)
          throw new FortressError(
            'NET_IMPORTED_PUBLIC',
            'internetFacingReason creates public subnets, which the kit does not add to an imported VPC; tag your existing public subnets for the load balancer instead.',
          );
        return { layout: undefined, retention, ep, profile };
      }
      const azs = props.availabilityZones ?? defaultZones(props.region, 3);
      azs.forEach((z, i) => {
        if (!z.startsWith(props.region)) throw new FortressError('NET_AZ', `availabilityZones[${i}] ${show(z)} is not a zone of region ${props.region}.`);
      });
      return { layout: subnetLayout(props.vpcCidr ?? '10.42.0.0/16', azs), retention, ep, profile };
    });
    this.relaxations = relaxations;
    Relaxations.register(this);
    this.costProfile = plan.profile;
    this.endpointServices = [...plan.ep, ...GATEWAY_ENDPOINTS];
    this.name = name;
    const tags = { 'mqtt-fortress:network': name };

    let routeTableIds: string[];
    if (plan.layout) {
      const vpc = new Vpc(this, 'Vpc', { cidrBlock: props.vpcCidr ?? '10.42.0.0/16', enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: name } });
      this.vpcId = vpc.id;
      this.vpcCidr = props.vpcCidr ?? '10.42.0.0/16';
      this.availabilityZones = plan.layout.availabilityZones;
      // No route to the internet: AWS APIs through endpoints only.
      const rt = new RouteTable(this, 'PrivateRoutes', { vpcId: vpc.id, tags: { ...tags, Name: `${name}-private` } });
      routeTableIds = [rt.id];
      const layout = plan.layout;
      // One subnet per zone, each associated with its route table.
      const subnets = (id: string, label: string, cidrs: readonly string[], routeTableId: string, roleTags: Record<string, string> = {}) =>
        cidrs.map((cidr, i) => {
          const az = layout.availabilityZones[i];
          const s = new Subnet(this, `${id}${i}`, { vpcId: vpc.id, cidrBlock: cidr, availabilityZone: az, mapPublicIpOnLaunch: false, tags: { ...tags, Name: `${name}-${label}-${az}`, ...roleTags } });
          new RouteTableAssociation(this, `${id}${i}Routes`, { subnetId: s.id, routeTableId });
          return s.id;
        });
      this.privateSubnetIds = subnets('Private', 'private', layout.private, rt.id);
      this.loadBalancerSubnetCidrs = layout.loadBalancer;
      this.loadBalancerSubnetIds = subnets('LoadBalancer', 'lb', layout.loadBalancer, rt.id, { 'kubernetes.io/role/internal-elb': '1' });
      this.publicSubnetIds = [];
      if (props.internetFacingReason) {
        const igw = new InternetGateway(this, 'InternetGateway', { vpcId: vpc.id, tags: { ...tags, Name: name } });
        const prt = new RouteTable(this, 'PublicRoutes', { vpcId: vpc.id, route: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }], tags: { ...tags, Name: `${name}-public` } });
        this.publicSubnetIds = subnets('Public', 'public', layout.public, prt.id, { 'kubernetes.io/role/elb': '1' });
      }
      // The default security group admits nothing and sends nothing.
      new DefaultSecurityGroup(this, 'DefaultSecurityGroupLocked', { vpcId: vpc.id, tags: { ...tags, Name: `${name}-default-unused` } });
    } else {
      const v = props.existingVpc!;
      this.vpcId = v.vpcId;
      this.vpcCidr = v.vpcCidr;
      this.privateSubnetIds = [...v.privateSubnetIds];
      this.publicSubnetIds = [];
      this.loadBalancerSubnetIds = v.loadBalancerSubnets.map((x) => x.id);
      this.loadBalancerSubnetCidrs = v.loadBalancerSubnets.map((x) => x.cidr);
      this.availabilityZones = [];
      routeTableIds = [...v.privateRouteTableIds];
    }

    // The flow log role comes first: its ARN gives account and partition at apply time (no data source at plan).
    const logRole = new IamRole(this, 'FlowLogRole', {
      name: `${name}-flow-logs`,
      assumeRolePolicy: policyDocument([{ Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole' }]),
      tags,
    });
    const { account, partition } = accountOf(logRole.arn);
    const costTags = { [COST_PROFILE_TAG]: plan.profile };
    const policyFor = (svc: string) => {
      if (props.unrestrictedEndpointsReason !== undefined) return {};
      const st = endpointPolicyStatements(svc, { partition, region: props.region, account, ...(props.organizationId ? { organizationId: props.organizationId } : {}) });
      return st ? { policy: policyDocument(st) } : {};
    };
    // VPC endpoints: interface endpoints reachable on 443 from the VPC only. Each endpoint is
    // billed per zone and hour; the non-production profile places them in 2 zones (nodes in the
    // third reach them across zones).
    const endpointSubnets = plan.profile === 'non-production' ? this.privateSubnetIds.slice(0, 2) : this.privateSubnetIds;
    const endpointSg = new SecurityGroup(this, 'EndpointSecurityGroup', { name: `${name}-endpoints`, description: 'VPC interface endpoints: HTTPS from inside the VPC', vpcId: this.vpcId, tags });
    new VpcSecurityGroupIngressRule(this, 'EndpointHttpsFromVpc', {
      securityGroupId: endpointSg.id,
      cidrIpv4: this.vpcCidr,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'HTTPS to AWS APIs from inside the VPC',
    });
    for (const svc of plan.ep) {
      new VpcEndpoint(this, `Endpoint-${svc}`, {
        vpcId: this.vpcId,
        serviceName: `com.amazonaws.${props.region}.${svc}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: endpointSubnets,
        securityGroupIds: [endpointSg.id],
        ...policyFor(svc),
        tags: { ...tags, ...costTags, Name: `${name}-${svc}` },
      });
    }
    for (const svc of GATEWAY_ENDPOINTS) {
      new VpcEndpoint(this, `Endpoint-${svc}`, {
        vpcId: this.vpcId,
        serviceName: `com.amazonaws.${props.region}.${svc}`,
        vpcEndpointType: 'Gateway',
        routeTableIds,
        ...policyFor(svc),
        tags: { ...tags, ...costTags, Name: `${name}-${svc}` },
      });
    }

    // Flow logs of all traffic (non-production: rejected traffic only), to a KMS-encrypted log group with retention.
    const logName = `/mqtt-fortress/${name}/vpc-flow-logs`;
    const key = logsKey(this, 'FlowLogKey', {
      description: `Encrypts the VPC flow logs of ${name} (mqtt-fortress)`,
      region: props.region,
      logGroupName: logName,
      arnForAccount: logRole.arn,
      sid: 'CloudWatchLogsEncryptsFlowLogs',
      tags,
    });
    this.flowLogGroup = new CloudwatchLogGroup(this, 'FlowLogs', { name: logName, retentionInDays: plan.retention, kmsKeyId: key.arn, tags: { ...tags, ...costTags } });
    new IamRolePolicy(this, 'FlowLogPolicy', {
      role: logRole.id,
      name: 'write-flow-logs',
      policy: policyDocument([{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], Resource: `${this.flowLogGroup.arn}:*` }]),
    });
    new FlowLog(this, 'FlowLog', {
      vpcId: this.vpcId,
      trafficType: plan.profile === 'non-production' ? 'REJECT' : 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: logRole.arn,
      maxAggregationInterval: 60,
      tags,
    });
  }
}
