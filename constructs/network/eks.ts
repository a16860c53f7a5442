/**
 * PrivateEksCluster: an EKS cluster for the brokers with a private API endpoint (public only by
 * an opt-out with CIDRs and a reason), Kubernetes secrets envelope-encrypted with KMS, every
 * control-plane log on, a managed node group in private subnets with IMDSv2 required and hop
 * limit 1 (pods cannot reach the node's credentials), the VPC CNI with NetworkPolicy enforcement
 * on (so the brokers' NetworkPolicies mean something), and the Pod Identity agent.
 */
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import type * as P_cloudwatch_log_group from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import type * as P_eks_addon from '@cdktf/provider-aws/lib/eks-addon/index.js';
import type * as P_eks_cluster from '@cdktf/provider-aws/lib/eks-cluster/index.js';
import type * as P_eks_node_group from '@cdktf/provider-aws/lib/eks-node-group/index.js';
import type * as P_eks_pod_identity_association from '@cdktf/provider-aws/lib/eks-pod-identity-association/index.js';
import type * as P_iam_role from '@cdktf/provider-aws/lib/iam-role/index.js';
import type * as P_iam_role_policy from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import type * as P_iam_role_policy_attachment from '@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js';
import type * as P_launch_template from '@cdktf/provider-aws/lib/launch-template/index.js';
import { providerModule } from '../core/provider-module.js';
import { accountOf, logsKey } from '../core/logs-key.js';
import { assertReason, parseCidr, assertInt } from '../core/checks.js';
import { checkCidrUnion } from '../core/exposure-union.js';
import { FortressError, scoped, show } from '../core/errors.js';
import type { Relaxation } from '../core/relaxation.js';
import { policyDocument } from '../credentials/iam.js';
import { assertAwsId } from './plan.js';
const { CloudwatchLogGroup } = providerModule<typeof P_cloudwatch_log_group>('@cdktf/provider-aws/lib/cloudwatch-log-group/index.js');
const { EksAddon } = providerModule<typeof P_eks_addon>('@cdktf/provider-aws/lib/eks-addon/index.js');
const { EksCluster } = providerModule<typeof P_eks_cluster>('@cdktf/provider-aws/lib/eks-cluster/index.js');
type EksCluster = P_eks_cluster.EksCluster;
const { EksNodeGroup } = providerModule<typeof P_eks_node_group>('@cdktf/provider-aws/lib/eks-node-group/index.js');
const { EksPodIdentityAssociation } = providerModule<typeof P_eks_pod_identity_association>('@cdktf/provider-aws/lib/eks-pod-identity-association/index.js');
const { IamRole } = providerModule<typeof P_iam_role>('@cdktf/provider-aws/lib/iam-role/index.js');
const { IamRolePolicy } = providerModule<typeof P_iam_role_policy>('@cdktf/provider-aws/lib/iam-role-policy/index.js');
const { IamRolePolicyAttachment } = providerModule<typeof P_iam_role_policy_attachment>('@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js');
const { LaunchTemplate } = providerModule<typeof P_launch_template>('@cdktf/provider-aws/lib/launch-template/index.js');

export const EKS_LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] as const;

export interface PrivateEksClusterProps {
  readonly region: string;
  /** @default 'mqtt-fortress' (the name the credentials stack's Pod Identity association uses) */
  readonly name?: string;
  /** Kubernetes version. @default '1.34' */
  readonly version?: string;
  readonly vpcId: string;
  readonly privateSubnetIds: readonly string[];
  /**
   * Open the API endpoint to these CIDRs as well (baseline NET-3 opt-out); needs `reason`.
   * @default - private endpoint only
   */
  readonly publicEndpoint?: { readonly cidrs: readonly string[]; readonly reason: string };
  /** @default { instanceTypes: ['m6i.large'], min: 2, desired: 3, max: 6 } */
  readonly nodes?: { readonly instanceTypes?: readonly string[]; readonly min?: number; readonly desired?: number; readonly max?: number; readonly diskGiB?: number };
  /** Days control-plane logs are kept. @default 365 */
  readonly logRetentionDays?: number;
  /**
   * Route 53 hosted zones cert-manager may answer DNS-01 challenges in (ACME issuer): creates a
   * role limited to those zones and its Pod Identity association for cert-manager/cert-manager.
   * @default - none
   */
  readonly certManagerRoute53ZoneIds?: readonly string[];
}

export class PrivateEksCluster extends Construct {
  public readonly cluster: EksCluster;
  public readonly name: string;
  public readonly relaxations: readonly Relaxation[];

  constructor(scope: Construct, id: string, props: PrivateEksClusterProps) {
    super(scope, id);
    const name = props.name ?? 'mqtt-fortress';
    const relaxations: Relaxation[] = [];
    const nodes = { instanceTypes: ['m6i.large'], min: 2, desired: 3, max: 6, diskGiB: 50, ...props.nodes };
    const retention = props.logRetentionDays ?? 365;
    scoped(this, () => {
      if (!/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(name)) throw new FortressError('INVALID_NAME', `name must be an EKS cluster name, got ${show(name)}.`);
      if (!/^1\.(2[89]|3\d)$/.test(props.version ?? '1.34')) throw new FortressError('EKS_VERSION', `version must be a supported Kubernetes minor such as "1.34", got ${show(props.version)}.`);
      assertAwsId('vpcId', 'vpc', props.vpcId);
      if (props.privateSubnetIds.length < 2) throw new FortressError('NET_AZ_COUNT', `privateSubnetIds lists ${props.privateSubnetIds.length} subnet(s); EKS needs at least 2 in different zones.`);
      assertInt('nodes.min', nodes.min, 1, 100);
      assertInt('nodes.max', nodes.max, nodes.min, 1000);
      assertInt('nodes.desired', nodes.desired, nodes.min, nodes.max, 'desired must lie between min and max.');
      assertInt('nodes.diskGiB', nodes.diskGiB, 20, 16384);
      if (props.publicEndpoint) {
        const reason = assertReason('publicEndpoint.reason', props.publicEndpoint.reason);
        if (!props.publicEndpoint.cidrs.length) throw new FortressError('EKS_PUBLIC_ENDPOINT', 'publicEndpoint.cidrs is empty: a public API endpoint must be limited to declared ranges.');
        props.publicEndpoint.cidrs.forEach((c, i) => {
          if (parseCidr(`publicEndpoint.cidrs[${i}]`, c).prefix === 0) throw new FortressError('EKS_PUBLIC_ENDPOINT', `publicEndpoint.cidrs[${i}] is ${c}: the Kubernetes API is never opened to the whole internet.`);
        });
        checkCidrUnion('publicEndpoint.cidrs', props.publicEndpoint.cidrs, 'publicEndpoint.reason', undefined, { never: 'EKS_PUBLIC_ENDPOINT' });
        relaxations.push({ id: 'NET-3', prop: 'publicEndpoint', reason });
      }
      for (const [i, z] of (props.certManagerRoute53ZoneIds ?? []).entries()) if (!/^Z[A-Z0-9]{1,31}$/.test(z)) throw new FortressError('AWS_ID', `certManagerRoute53ZoneIds[${i}] must be a hosted zone id, got ${show(z)}.`);
    });
    this.name = name;
    this.relaxations = relaxations;
    const tags = { 'mqtt-fortress:cluster': name };
    const assume = (service: string) => policyDocument([{ Effect: 'Allow', Principal: { Service: service }, Action: ['sts:AssumeRole', ...(service === 'pods.eks.amazonaws.com' ? ['sts:TagSession'] : [])] }]);

    const clusterRole = new IamRole(this, 'ClusterRole', { name: `${name}-cluster`, assumeRolePolicy: assume('eks.amazonaws.com'), tags });
    new IamRolePolicyAttachment(this, 'ClusterPolicy', { role: clusterRole.name, policyArn: 'arn:aws:iam::aws:policy/AmazonEKSClusterPolicy' });
    const { partition } = accountOf(clusterRole.arn);
    const logGroupName = `/aws/eks/${name}/cluster`;
    const key = logsKey(this, 'Key', {
      description: `Envelope-encrypts the Kubernetes secrets and control-plane logs of ${name} (mqtt-fortress)`,
      region: props.region,
      logGroupName,
      arnForAccount: clusterRole.arn,
      sid: 'CloudWatchLogsEncryptsControlPlaneLogs',
      tags,
    });
    const logs = new CloudwatchLogGroup(this, 'ControlPlaneLogs', { name: logGroupName, retentionInDays: retention, kmsKeyId: key.arn, tags });
    this.cluster = new EksCluster(this, 'Resource', {
      name,
      version: props.version ?? '1.34',
      roleArn: clusterRole.arn,
      vpcConfig: {
        subnetIds: [...props.privateSubnetIds],
        endpointPrivateAccess: true,
        endpointPublicAccess: Boolean(props.publicEndpoint),
        ...(props.publicEndpoint ? { publicAccessCidrs: [...props.publicEndpoint.cidrs] } : {}),
      },
      encryptionConfig: { resources: ['secrets'], provider: { keyArn: key.arn } },
      enabledClusterLogTypes: [...EKS_LOG_TYPES],
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: true },
      dependsOn: [logs],
      tags,
    });

    const nodeRole = new IamRole(this, 'NodeRole', { name: `${name}-nodes`, assumeRolePolicy: assume('ec2.amazonaws.com'), tags });
    for (const p of ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryReadOnly', 'AmazonEKS_CNI_Policy']) {
      new IamRolePolicyAttachment(this, `Node-${p}`, { role: nodeRole.name, policyArn: `arn:aws:iam::aws:policy/${p}` });
    }
    const lt = new LaunchTemplate(this, 'NodeLaunchTemplate', {
      name: `${name}-nodes`,
      description: 'EKS nodes: IMDSv2 only, hop limit 1 (pods cannot reach node credentials), encrypted root volume',
      metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' },
      blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: nodes.diskGiB, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' } }],
      tagSpecifications: [{ resourceType: 'instance', tags: { ...tags, Name: `${name}-node` } }],
      tags,
    });
    const nodeGroup = new EksNodeGroup(this, 'Nodes', {
      clusterName: this.cluster.name,
      nodeGroupName: `${name}-default`,
      nodeRoleArn: nodeRole.arn,
      subnetIds: [...props.privateSubnetIds],
      amiType: 'AL2023_x86_64_STANDARD',
      instanceTypes: [...nodes.instanceTypes],
      scalingConfig: { minSize: nodes.min, desiredSize: nodes.desired, maxSize: nodes.max },
      updateConfig: { maxUnavailable: 1 },
      launchTemplate: { id: lt.id, version: Fn.tostring(lt.latestVersion) },
      tags,
    });
    // NetworkPolicies are enforced only with the VPC CNI's network-policy agent on.
    new EksAddon(this, 'VpcCni', { clusterName: this.cluster.name, addonName: 'vpc-cni', configurationValues: JSON.stringify({ enableNetworkPolicy: 'true' }), resolveConflictsOnUpdate: 'OVERWRITE', tags });
    new EksAddon(this, 'PodIdentityAgent', { clusterName: this.cluster.name, addonName: 'eks-pod-identity-agent', resolveConflictsOnUpdate: 'OVERWRITE', tags });
    new EksAddon(this, 'CoreDns', { clusterName: this.cluster.name, addonName: 'coredns', resolveConflictsOnUpdate: 'OVERWRITE', dependsOn: [nodeGroup], tags });
    new EksAddon(this, 'KubeProxy', { clusterName: this.cluster.name, addonName: 'kube-proxy', resolveConflictsOnUpdate: 'OVERWRITE', tags });

    if (props.certManagerRoute53ZoneIds?.length) {
      const role = new IamRole(this, 'CertManagerRoute53', { name: `${name}-cert-manager-dns01`, assumeRolePolicy: assume('pods.eks.amazonaws.com'), tags });
      new IamRolePolicy(this, 'CertManagerRoute53Policy', {
        role: role.id,
        name: 'dns01-challenges',
        policy: policyDocument([
          { Sid: 'AnswerChallenges', Effect: 'Allow', Action: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'], Resource: props.certManagerRoute53ZoneIds.map((z) => `arn:${partition}:route53:::hostedzone/${z}`) },
          { Sid: 'FollowChanges', Effect: 'Allow', Action: 'route53:GetChange', Resource: `arn:${partition}:route53:::change/*` },
        ]),
      });
      new EksPodIdentityAssociation(this, 'CertManagerPodIdentity', { clusterName: this.cluster.name, namespace: 'cert-manager', serviceAccount: 'cert-manager', roleArn: role.arn, tags });
    }
  }
}
