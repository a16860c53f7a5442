import type * as P_provider from '@cdktf/provider-aws/lib/provider/index.js';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { CostProfile } from '../constructs/core/cost-profile.js';
import type { ImageRegistry } from '../constructs/core/image.js';
import { providerModule } from '../constructs/core/provider-module.js';
import { BrokerLogAlarms, type BrokerLogAlarmsProps } from '../constructs/monitoring/cloudwatch.js';
import { PrivateEksCluster, type PrivateEksClusterProps } from '../constructs/network/eks.js';
import type { BrokerNetwork } from '../constructs/network/network.js';
import { PullThroughCache, type PullThroughCacheProps } from '../constructs/network/pull-through-cache.js';
import { requireTerraform } from './backend.js';

const { AwsProvider } = providerModule<typeof P_provider>('@cdktf/provider-aws/lib/provider/index.js');

export interface ClusterStackProps extends Omit<PrivateEksClusterProps, 'vpcId' | 'privateSubnetIds' | 'pullThroughCachePrefixes'> {
  /** The network stack's network: a typed cross-stack reference (cdktf wires the outputs). */
  readonly network: BrokerNetwork;
  /** Container logs, authentication-failure and log-shipping alarms; `alarmTarget` is required (an alarm must page someone). */
  readonly logs: Omit<BrokerLogAlarmsProps, 'region' | 'clusterName'>;
  /** `non-production`: control-plane and container logs kept 90 days (docs/aws-hardening.md, "Cost"). @default 'production' */
  readonly costProfile?: CostProfile;
  /**
   * Docker Hub (and quay.io, registry.k8s.io, optionally ghcr.io) through an ECR pull-through
   * cache in this account and region: the nodes have no route to the internet.
   * @default - none: every image must come from a registry of your own inside AWS
   */
  readonly pullThroughCache?: Omit<PullThroughCacheProps, 'region'>;
}

/** A private EKS cluster in the network stack's private subnets. */
export class ClusterStack extends TerraformStack {
  public readonly cluster: PrivateEksCluster;
  public readonly logs: BrokerLogAlarms;
  public readonly pullThroughCache: PullThroughCache | undefined;
  /** Where the brokers' images come from, when this stack caches them. */
  public readonly registry: ImageRegistry | undefined;
  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id);
    requireTerraform(this);
    new AwsProvider(this, 'aws', { region: props.region, defaultTags: [{ tags: { 'mqtt-fortress:stack': id } }] });
    const { network, logs, costProfile, pullThroughCache, ...rest } = props;
    const cheap = costProfile === 'non-production';
    this.pullThroughCache = pullThroughCache ? new PullThroughCache(this, 'ImageCache', { ...pullThroughCache, region: props.region }) : undefined;
    this.registry = this.pullThroughCache?.registry;
    this.cluster = new PrivateEksCluster(this, 'Cluster', {
      ...(cheap ? { logRetentionDays: 90 } : {}),
      ...rest,
      vpcId: network.vpcId,
      privateSubnetIds: network.privateSubnetIds,
      ...(this.pullThroughCache ? { pullThroughCachePrefixes: this.pullThroughCache.prefixes } : {}),
    });
    this.logs = new BrokerLogAlarms(this, 'BrokerLogs', { ...(costProfile ? { costProfile } : {}), ...logs, region: props.region, clusterName: this.cluster.cluster.name });
  }
}
