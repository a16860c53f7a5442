import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type * as P_provider from '@cdktf/provider-aws/lib/provider/index.js';
import { providerModule } from '../constructs/core/provider-module.js';
import { PrivateEksCluster, type PrivateEksClusterProps } from '../constructs/network/eks.js';
import type { BrokerNetwork } from '../constructs/network/network.js';
import { BrokerLogAlarms, type BrokerLogAlarmsProps } from '../constructs/monitoring/cloudwatch.js';
const { AwsProvider } = providerModule<typeof P_provider>('@cdktf/provider-aws/lib/provider/index.js');

export interface ClusterStackProps extends Omit<PrivateEksClusterProps, 'vpcId' | 'privateSubnetIds'> {
  /** The network stack's network: a typed cross-stack reference (cdktf wires the outputs). */
  readonly network: BrokerNetwork;
  /** Container logs, authentication-failure metric and alarm. @default - on, with BrokerLogAlarms' defaults */
  readonly logs?: Omit<BrokerLogAlarmsProps, 'region' | 'clusterName'>;
}

/** A private EKS cluster in the network stack's private subnets. */
export class ClusterStack extends TerraformStack {
  public readonly cluster: PrivateEksCluster;
  public readonly logs: BrokerLogAlarms;
  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: props.region, defaultTags: [{ tags: { 'mqtt-fortress:stack': id } }] });
    const { network, logs, ...rest } = props;
    this.cluster = new PrivateEksCluster(this, 'Cluster', { ...rest, vpcId: network.vpcId, privateSubnetIds: network.privateSubnetIds });
    this.logs = new BrokerLogAlarms(this, 'BrokerLogs', { ...logs, region: props.region, clusterName: this.cluster.cluster.name });
  }
}
