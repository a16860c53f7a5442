import type * as P_provider from '@cdktf/provider-aws/lib/provider/index.js';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { providerModule } from '../constructs/core/provider-module.js';
import { BrokerNetwork, type BrokerNetworkProps } from '../constructs/network/network.js';
import { BrokerSecurityGroup, type MqttClientSource } from '../constructs/network/security-group.js';
import { requireTerraform } from './backend.js';

const { AwsProvider } = providerModule<typeof P_provider>('@cdktf/provider-aws/lib/provider/index.js');

export interface NetworkStackProps {
  readonly network: BrokerNetworkProps;
  /**
   * Who may open MQTT connections through the load balancer.
   * @default - none: no load balancer security group (the broker stays in-cluster)
   */
  readonly clients?: readonly MqttClientSource[];
  readonly openToWorldReason?: string;
  /** Extra TLS ports of the broker (e.g. the certificate listener). @default - none */
  readonly extraTlsPorts?: readonly number[];
}

/** AWS network of the brokers: private VPC, endpoints, flow logs, the load balancer's security group. */
export class NetworkStack extends TerraformStack {
  public readonly network: BrokerNetwork;
  public readonly brokerSecurityGroup: BrokerSecurityGroup | undefined;
  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id);
    requireTerraform(this);
    new AwsProvider(this, 'aws', { region: props.network.region, defaultTags: [{ tags: { 'mqtt-fortress:stack': id } }] });
    this.network = new BrokerNetwork(this, 'Network', props.network);
    this.brokerSecurityGroup = props.clients?.length
      ? new BrokerSecurityGroup(this, 'BrokerSecurityGroup', {
          vpcId: this.network.vpcId,
          vpcCidr: this.network.vpcCidr,
          name: `${this.network.name}-mqtt-clients`,
          allowedClients: props.clients,
          ...(props.openToWorldReason ? { openToWorldReason: props.openToWorldReason } : {}),
          ...(props.extraTlsPorts ? { extraTlsPorts: props.extraTlsPorts } : {}),
        })
      : undefined;
  }
}
