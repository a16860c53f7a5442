/**
 * PrivateEksCluster: an EKS cluster for the brokers with a private API endpoint (public only by
 * an opt-out with CIDRs and a reason), Kubernetes secrets envelope-encrypted with KMS, every
 * control-plane log on, a managed node group in private subnets with IMDSv2 required and hop
 * limit 1 (pods cannot reach the node's credentials), the VPC CNI with NetworkPolicy enforcement
 * on (so the brokers' NetworkPolicies mean something), the Pod Identity agent and the EBS CSI
 * driver (its role through Pod Identity) for the brokers' volumes.
 *
 * Deploying into it: the Kubernetes stacks are planned from wherever `cdktf deploy` runs, so that
 * machine needs a network path to the API (`apiClients`: HTTPS rules on the cluster security
 * group for a runner inside the VPC or a connected network; or `publicEndpoint`, a recorded
 * relaxation) and cluster access (`deployerRoleArns`: EKS access entries). The external-secrets
 * controller gets one identity for every broker (`externalSecretsRole`), which assumes each
 * broker's reader role, so several brokers' credentials sync side by side.
 */

import type * as P_cloudwatch_log_group from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import type * as P_eks_access_entry from '@cdktf/provider-aws/lib/eks-access-entry/index.js';
import type * as P_eks_access_policy_association from '@cdktf/provider-aws/lib/eks-access-policy-association/index.js';
import type * as P_eks_addon from '@cdktf/provider-aws/lib/eks-addon/index.js';
import type * as P_eks_cluster from '@cdktf/provider-aws/lib/eks-cluster/index.js';
import type * as P_eks_node_group from '@cdktf/provider-aws/lib/eks-node-group/index.js';
import type * as P_eks_pod_identity_association from '@cdktf/provider-aws/lib/eks-pod-identity-association/index.js';
import type * as P_iam_role from '@cdktf/provider-aws/lib/iam-role/index.js';
import type * as P_iam_role_policy from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import type * as P_iam_role_policy_attachment from '@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js';
import type * as P_launch_template from '@cdktf/provider-aws/lib/launch-template/index.js';
import type * as P_vpc_security_group_ingress_rule from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { policyDocument } from '../aws/iam.js';
import { accountOf, logsKey } from '../aws/logs-key.js';
import { assertDnsLabel, assertInt, assertReason, parseCidr } from '../core/checks.js';
import { FortressError, scoped, show } from '../core/errors.js';
import { checkCidrUnion } from '../core/exposure-union.js';
import { providerModule } from '../core/provider-module.js';
import { type IRelaxed, type Relaxation, Relaxations } from '../core/relaxation.js';
import type { EksConnection } from '../k8s/provider.js';
import { assertAwsId } from './plan.js';

const { CloudwatchLogGroup } = providerModule<typeof P_cloudwatch_log_group>('@cdktf/provider-aws/lib/cloudwatch-log-group/index.js');
const { EksAddon } = providerModule<typeof P_eks_addon>('@cdktf/provider-aws/lib/eks-addon/index.js');
const { EksAccessEntry } = providerModule<typeof P_eks_access_entry>('@cdktf/provider-aws/lib/eks-access-entry/index.js');
const { EksAccessPolicyAssociation } = providerModule<typeof P_eks_access_policy_association>('@cdktf/provider-aws/lib/eks-access-policy-association/index.js');
const { EksCluster } = providerModule<typeof P_eks_cluster>('@cdktf/provider-aws/lib/eks-cluster/index.js');
type EksCluster = P_eks_cluster.EksCluster;
const { EksNodeGroup } = providerModule<typeof P_eks_node_group>('@cdktf/provider-aws/lib/eks-node-group/index.js');
const { EksPodIdentityAssociation } = providerModule<typeof P_eks_pod_identity_association>('@cdktf/provider-aws/lib/eks-pod-identity-association/index.js');
const { IamRole } = providerModule<typeof P_iam_role>('@cdktf/provider-aws/lib/iam-role/index.js');
const { IamRolePolicy } = providerModule<typeof P_iam_role_policy>('@cdktf/provider-aws/lib/iam-role-policy/index.js');
const { IamRolePolicyAttachment } = providerModule<typeof P_iam_role_policy_attachment>('@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js');
const { LaunchTemplate } = providerModule<typeof P_launch_template>('@cdktf/provider-aws/lib/launch-template/index.js');
const { VpcSecurityGroupIngressRule } = providerModule<typeof P_vpc_security_group_ingress_rule>('@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js');
type IamRole = P_iam_role.IamRole;

export const EKS_LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] as const;

/** The EBS CSI driver's controller service account (the add-on's, in kube-system). */
export const EBS_CSI_SERVICE_ACCOUNT = 'ebs-csi-controller-sa';
/** EKS access policy the deploying principals get: the Kubernetes stacks create namespaces, cluster-scoped stores and CRD-backed objects. */
export const DEPLOYER_ACCESS_POLICY = 'AmazonEKSClusterAdminPolicy';
/** Name pattern of the per-broker reader roles (CredentialStore: `mqtt-fortress-<broker>-secrets-reader`). */
export const READER_ROLE_PATTERN = 'mqtt-fortress-*-secrets-reader';

/** Where the machine running `cdktf deploy` reaches the private API endpoint from (HTTPS, 443). */
export type ApiClient = { readonly cidr: string; readonly description: string } | { readonly securityGroupId: string; readonly description: string };

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
  /**
   * Who may open the private API endpoint (HTTPS 443 on the cluster security group): the CI
   * runner's security group inside the VPC, or the CIDR of a network connected to the VPC
   * (VPN, Transit Gateway, peered tooling VPC). No relaxation: the endpoint stays private.
   * @default - none: only the nodes (and, with `publicEndpoint`, the declared public ranges)
   */
  readonly apiClients?: readonly ApiClient[];
  /**
   * IAM roles that deploy the Kubernetes stacks (a CI role, an operators' SSO role): each gets an
   * EKS access entry with AmazonEKSClusterAdminPolicy on the cluster. When given, the creator of
   * the cluster gets no implicit admin access: access is exactly this list.
   * @default - none: only the principal that created the cluster is admin (EKS bootstrap)
   */
  readonly deployerRoleArns?: readonly string[];
  /**
   * EKS support policy: 'STANDARD' upgrades the control plane at the end of standard support;
   * 'EXTENDED' keeps the version longer at a much higher hourly price. @default 'STANDARD'
   */
  readonly supportType?: 'STANDARD' | 'EXTENDED';
  /**
   * ECR repository prefixes of pull-through cache rules (PullThroughCache.prefixes): the nodes
   * may create the cached repository and import upstream images under them on first pull.
   * @default - none
   */
  readonly pullThroughCachePrefixes?: readonly string[];
  /**
   * The external-secrets controller's service account: one Pod Identity association, to a role
   * that may only assume the brokers' reader roles (`mqtt-fortress-*-secrets-reader`). Created
   * here, with the cluster, so the association exists before external-secrets is installed.
   * `false` when the credentials stack creates its own association (one broker only).
   * @default { namespace: 'external-secrets', serviceAccount: 'external-secrets' }
   */
  readonly externalSecrets?: { readonly namespace?: string; readonly serviceAccount?: string } | false;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

export class PrivateEksCluster extends Construct implements IRelaxed {
  public readonly cluster: EksCluster;
  public readonly name: string;
  public readonly relaxations: readonly Relaxation[];
  /** The role external-secrets runs as (assumes the brokers' reader roles). */
  public readonly externalSecretsRole: IamRole | undefined;
  /** Namespace and service account of the external-secrets controller. */
  public readonly externalSecretsIdentity: { readonly namespace: string; readonly serviceAccount: string } | undefined;
  /** The EBS CSI driver's role. */
  public readonly ebsCsiRole: IamRole;
  public readonly region: string;

  /** How the Kubernetes provider reaches this cluster: references, so a consumer stack depends on this one. */
  public connection(): EksConnection {
    return { clusterName: this.cluster.name, region: this.region, endpoint: this.cluster.endpoint, certificateAuthorityData: this.cluster.certificateAuthority.get(0).data };
  }

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
          if (parseCidr(`publicEndpoint.cidrs[${i}]`, c).prefix === 0)
            throw new FortressError('EKS_PUBLIC_ENDPOINT', `publicEndpoint.cidrs[${i}] is ${c}: the Kubernetes API is never opened to the whole internet.`);
        });
        checkCidrUnion('publicEndpoint.cidrs', props.publicEndpoint.cidrs, 'publicEndpoint.reason', undefined, { never: 'EKS_PUBLIC_ENDPOINT' });
        relaxations.push({ id: 'NET-3', prop: 'publicEndpoint', reason });
      }
      for (const [i, c] of (props.apiClients ?? []).entries()) {
        if (!c || typeof c.description !== 'string' || c.description.trim().length < 2)
          throw new FortressError('EKS_API_CLIENT', `apiClients[${i}].description must say who connects from there (e.g. "CI runner"), got ${show(c?.description)}.`);
        if ('cidr' in c) {
          if (parseCidr(`apiClients[${i}].cidr`, c.cidr).prefix === 0)
            throw new FortressError('EKS_API_CLIENT', `apiClients[${i}].cidr is ${c.cidr}: the Kubernetes API is never opened to every address; name the runner's range.`);
        } else assertAwsId(`apiClients[${i}].securityGroupId`, 'sg', (c as { securityGroupId: string }).securityGroupId);
      }
      const apiCidrs = (props.apiClients ?? []).flatMap((c) => ('cidr' in c ? [c.cidr] : []));
      if (apiCidrs.length) checkCidrUnion('apiClients[].cidr', apiCidrs, 'apiClients', undefined, { never: 'EKS_API_CLIENT' });
      const arns = props.deployerRoleArns ?? [];
      arns.forEach((a, i) => {
        if (typeof a !== 'string' || !ROLE_ARN.test(a)) {
          throw new FortressError(
            'EKS_DEPLOYER',
            `deployerRoleArns[${i}] must be an IAM role ARN such as "arn:aws:iam::111122223333:role/ci-deploy" (not an assumed-role session "arn:aws:sts::..."), got ${show(a)}.`,
          );
        }
      });
      if (new Set(arns).size !== arns.length) throw new FortressError('EKS_DEPLOYER', `deployerRoleArns lists a role twice: ${show(arns)}; EKS allows one access entry per principal.`);
      if (props.supportType !== undefined && props.supportType !== 'STANDARD' && props.supportType !== 'EXTENDED')
        throw new FortressError('EKS_SUPPORT', `supportType must be "STANDARD" or "EXTENDED", got ${show(props.supportType)}.`);
      for (const [i, p] of (props.pullThroughCachePrefixes ?? []).entries())
        if (!/^[a-z0-9]+([._-][a-z0-9]+)*$/.test(p)) throw new FortressError('ECR_PTC_PREFIX', `pullThroughCachePrefixes[${i}] must be an ECR repository prefix such as "docker-hub", got ${show(p)}.`);
      if (props.externalSecrets) {
        assertDnsLabel('externalSecrets.namespace', props.externalSecrets.namespace ?? 'external-secrets');
        assertDnsLabel('externalSecrets.serviceAccount', props.externalSecrets.serviceAccount ?? 'external-secrets');
      }
      for (const [i, z] of (props.certManagerRoute53ZoneIds ?? []).entries())
        if (!/^Z[A-Z0-9]{1,31}$/.test(z)) throw new FortressError('AWS_ID', `certManagerRoute53ZoneIds[${i}] must be a hosted zone id, got ${show(z)}.`);
    });
    this.name = name;
    this.region = props.region;
    this.relaxations = relaxations;
    Relaxations.register(this);
    const tags = { 'mqtt-fortress:cluster': name };
    const assume = (service: string) =>
      policyDocument([{ Effect: 'Allow', Principal: { Service: service }, Action: ['sts:AssumeRole', ...(service === 'pods.eks.amazonaws.com' ? ['sts:TagSession'] : [])] }]);

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
      // With declared deployers, access is exactly that list (an IAM principal can be in one access
      // entry only, so a bootstrapped creator that is also listed would conflict).
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: !(props.deployerRoleArns ?? []).length },
      // STANDARD: no extended-support surcharge; the control plane is upgraded at end of standard support.
      upgradePolicy: { supportType: props.supportType ?? 'STANDARD' },
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
    // Add-ons take over a self-managed copy on create and on update (EKS installs vpc-cni,
    // coredns and kube-proxy itself on a new cluster): without OVERWRITE on create, creating the
    // add-on can fail on the conflicting fields.
    const addon = { clusterName: this.cluster.name, resolveConflictsOnCreate: 'OVERWRITE', resolveConflictsOnUpdate: 'OVERWRITE', tags };
    // NetworkPolicies are enforced only with the VPC CNI's network-policy agent on.
    new EksAddon(this, 'VpcCni', { ...addon, addonName: 'vpc-cni', configurationValues: JSON.stringify({ enableNetworkPolicy: 'true' }) });
    const podIdentityAgent = new EksAddon(this, 'PodIdentityAgent', { ...addon, addonName: 'eks-pod-identity-agent' });
    new EksAddon(this, 'CoreDns', { ...addon, addonName: 'coredns', dependsOn: [nodeGroup] });
    new EksAddon(this, 'KubeProxy', { ...addon, addonName: 'kube-proxy' });

    // Pod Identity roles: trusted by the EKS Pod Identity service for one cluster, namespace and
    // service account only (the session tags EKS sets on every Pod Identity session).
    const podRole = (id: string, roleName: string, description: string, ns: string, sa: string) =>
      new IamRole(this, id, {
        name: roleName,
        description,
        assumeRolePolicy: policyDocument([
          {
            Effect: 'Allow',
            Principal: { Service: 'pods.eks.amazonaws.com' },
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Condition: { StringEquals: { 'aws:RequestTag/eks-cluster-name': name, 'aws:RequestTag/kubernetes-namespace': ns, 'aws:RequestTag/kubernetes-service-account': sa } },
          },
        ]),
        tags,
      });

    // Storage: the EBS CSI driver (new EKS clusters mark no default StorageClass; the kit's
    // encrypted gp3 class is created by the platform stack and named by the brokers' claims).
    this.ebsCsiRole = podRole('EbsCsiRole', `${name}-ebs-csi`, 'EBS CSI driver controller (kube-system/ebs-csi-controller-sa)', 'kube-system', EBS_CSI_SERVICE_ACCOUNT);
    new IamRolePolicyAttachment(this, 'EbsCsiPolicy', { role: this.ebsCsiRole.name, policyArn: `arn:${partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy` });
    new EksAddon(this, 'EbsCsiDriver', {
      ...addon,
      addonName: 'aws-ebs-csi-driver',
      podIdentityAssociation: [{ roleArn: this.ebsCsiRole.arn, serviceAccount: EBS_CSI_SERVICE_ACCOUNT }],
      dependsOn: [nodeGroup, podIdentityAgent],
    });

    // The machine running `cdktf deploy` reaches the private endpoint through the cluster
    // security group (which EKS attaches to the control plane's network interfaces).
    (props.apiClients ?? []).forEach((c, i) => {
      new VpcSecurityGroupIngressRule(this, `ApiClient${i}`, {
        securityGroupId: this.cluster.vpcConfig.clusterSecurityGroupId,
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        description: `Kubernetes API: ${c.description}`.slice(0, 255),
        ...('cidr' in c ? (c.cidr.includes(':') ? { cidrIpv6: c.cidr } : { cidrIpv4: c.cidr }) : { referencedSecurityGroupId: c.securityGroupId }),
        tags,
      });
    });
    // Cluster access for the deploying principals (authentication mode API: access entries only).
    (props.deployerRoleArns ?? []).forEach((principalArn, i) => {
      const entry = new EksAccessEntry(this, `Deployer${i}`, { clusterName: this.cluster.name, principalArn, type: 'STANDARD', tags });
      new EksAccessPolicyAssociation(this, `Deployer${i}Admin`, {
        clusterName: this.cluster.name,
        principalArn: entry.principalArn,
        policyArn: `arn:${partition}:eks::aws:cluster-access-policy/${DEPLOYER_ACCESS_POLICY}`,
        accessScope: { type: 'cluster' },
      });
    });

    // Pull-through cache: on the first pull of an image, the node's role creates the cached
    // repository and imports the upstream image (ECR: ecr:CreateRepository, ecr:BatchImportUpstreamImage).
    if (props.pullThroughCachePrefixes?.length) {
      const { account } = accountOf(clusterRole.arn);
      new IamRolePolicy(this, 'NodePullThroughCache', {
        role: nodeRole.id,
        name: 'pull-through-cache-import',
        policy: policyDocument([
          {
            Sid: 'ImportCachedImages',
            Effect: 'Allow',
            Action: ['ecr:CreateRepository', 'ecr:BatchImportUpstreamImage'],
            Resource: props.pullThroughCachePrefixes.map((p) => `arn:${partition}:ecr:${props.region}:${account}:repository/${p}/*`),
          },
        ]),
      });
    }

    // One external-secrets identity for every broker: it can only assume the brokers' reader
    // roles, each of which reads only its broker's secrets and trusts only this role.
    if (props.externalSecrets !== false) {
      const ns = props.externalSecrets?.namespace || 'external-secrets';
      const sa = props.externalSecrets?.serviceAccount || 'external-secrets';
      const { account } = accountOf(clusterRole.arn);
      const role = podRole('ExternalSecretsRole', `${name}-external-secrets`, `external-secrets controller (${ns}/${sa}): assumes the brokers' secret reader roles`, ns, sa);
      new IamRolePolicy(this, 'ExternalSecretsAssumesReaders', {
        role: role.id,
        name: 'assume-broker-readers',
        policy: policyDocument([
          { Sid: 'AssumeBrokerReaders', Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: `arn:${partition}:iam::${account}:role/${READER_ROLE_PATTERN}` },
        ]),
      });
      new EksPodIdentityAssociation(this, 'ExternalSecretsPodIdentity', { clusterName: this.cluster.name, namespace: ns, serviceAccount: sa, roleArn: role.arn, tags, dependsOn: [podIdentityAgent] });
      this.externalSecretsRole = role;
      this.externalSecretsIdentity = { namespace: ns, serviceAccount: sa };
    } else {
      this.externalSecretsRole = undefined;
      this.externalSecretsIdentity = undefined;
    }

    if (props.certManagerRoute53ZoneIds?.length) {
      const role = new IamRole(this, 'CertManagerRoute53', { name: `${name}-cert-manager-dns01`, assumeRolePolicy: assume('pods.eks.amazonaws.com'), tags });
      new IamRolePolicy(this, 'CertManagerRoute53Policy', {
        role: role.id,
        name: 'dns01-challenges',
        policy: policyDocument([
          {
            Sid: 'AnswerChallenges',
            Effect: 'Allow',
            Action: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'],
            Resource: props.certManagerRoute53ZoneIds.map((z) => `arn:${partition}:route53:::hostedzone/${z}`),
          },
          { Sid: 'FollowChanges', Effect: 'Allow', Action: 'route53:GetChange', Resource: `arn:${partition}:route53:::change/*` },
        ]),
      });
      new EksPodIdentityAssociation(this, 'CertManagerPodIdentity', { clusterName: this.cluster.name, namespace: 'cert-manager', serviceAccount: 'cert-manager', roleArn: role.arn, tags });
    }
  }
}
