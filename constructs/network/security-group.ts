/**
 * BrokerSecurityGroup (baseline NET-2): the security group of the broker's load balancer. It
 * admits MQTT over TLS (and WSS when enabled) only from declared CIDRs or security groups, one
 * rule per source and port, each with a description; 0.0.0.0/0 or ::/0 needs a written reason;
 * 1883 is never admitted; egress only to the brokers inside the VPC.
 */

import type * as P_security_group from '@cdktf/provider-aws/lib/security-group/index.js';
import type * as P_vpc_security_group_egress_rule from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import type * as P_vpc_security_group_ingress_rule from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { Construct } from 'constructs';
import { parseCidr } from '../core/checks.js';
import { FortressError, scoped, show } from '../core/errors.js';
import { checkCidrUnion } from '../core/exposure-union.js';
import { assertTlsPort } from '../core/ports.js';
import { providerModule } from '../core/provider-module.js';
import { type IRelaxed, type Relaxation, Relaxations } from '../core/relaxation.js';
import { assertAwsId, assertNoOverlap } from './plan.js';

const { SecurityGroup } = providerModule<typeof P_security_group>('@cdktf/provider-aws/lib/security-group/index.js');
type SecurityGroup = P_security_group.SecurityGroup;
const { VpcSecurityGroupEgressRule } = providerModule<typeof P_vpc_security_group_egress_rule>('@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js');
const { VpcSecurityGroupIngressRule } = providerModule<typeof P_vpc_security_group_ingress_rule>('@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js');

export interface MqttClientSource {
  /** An IPv4 or IPv6 CIDR. */
  readonly cidr?: string;
  /** Or a security group id. */
  readonly securityGroupId?: string;
  /** Who this is, for the rule description and the report (e.g. "factory VPN"). */
  readonly description: string;
}

export interface BrokerSecurityGroupProps {
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly name: string;
  /** Sources allowed to connect; at least one. */
  readonly allowedClients: readonly MqttClientSource[];
  /** MQTT over TLS port. @default 8883 */
  readonly mqttsPort?: number;
  /** MQTT over secure WebSockets port, when enabled. @default - none */
  readonly wssPort?: number;
  /** Extra TLS ports on the same clients, e.g. the certificate listener 8884. @default - none */
  readonly extraTlsPorts?: readonly number[];
  /** Required when a source is 0.0.0.0/0 or ::/0: why the whole internet may connect. @default - none */
  readonly openToWorldReason?: string;
}

export class BrokerSecurityGroup extends Construct implements IRelaxed {
  public readonly securityGroup: SecurityGroup;
  public readonly relaxations: readonly Relaxation[];
  /** The CIDR sources, for the load balancer's source ranges and the NetworkPolicy. */
  public readonly clientCidrs: readonly string[];
  public readonly ports: readonly number[];

  constructor(scope: Construct, id: string, props: BrokerSecurityGroupProps) {
    super(scope, id);
    const relaxations: Relaxation[] = [];
    const ports = scoped(this, () => {
      if (!props.allowedClients?.length)
        throw new FortressError('NET_NO_CLIENTS', 'allowedClients is empty: the security group would admit nobody. Declare the CIDRs or security groups of the MQTT clients.');
      const ports = [props.mqttsPort ?? 8883, ...(props.wssPort ? [props.wssPort] : []), ...(props.extraTlsPorts ?? [])];
      ports.forEach((p, i) => {
        assertTlsPort(i === 0 ? 'mqttsPort' : i === 1 && props.wssPort ? 'wssPort' : 'extraTlsPorts', p);
      });
      const cidrs: string[] = [];
      props.allowedClients.forEach((c, i) => {
        if ((c.cidr === undefined) === (c.securityGroupId === undefined))
          throw new FortressError('NET_CLIENT_SHAPE', `allowedClients[${i}] must set exactly one of cidr or securityGroupId, got ${show(c)}.`);
        if (typeof c.description !== 'string' || c.description.trim().length < 3)
          throw new FortressError('NET_CLIENT_SHAPE', `allowedClients[${i}].description must say who the clients are (it becomes the rule description).`);
        if (c.securityGroupId !== undefined) assertAwsId(`allowedClients[${i}].securityGroupId`, 'sg', c.securityGroupId);
        if (c.cidr !== undefined) {
          parseCidr(`allowedClients[${i}].cidr`, c.cidr);
          cidrs.push(c.cidr);
        }
      });
      assertNoOverlap('allowedClients.cidr', cidrs);
      // The union decides (0.0.0.0/1 + 128.0.0.0/1 is as open as 0.0.0.0/0).
      const open = checkCidrUnion('allowedClients.cidr', cidrs, 'openToWorldReason', props.openToWorldReason);
      if (open) relaxations.push({ id: 'NET-2', ...open });
      if (props.openToWorldReason !== undefined && relaxations.length === 0)
        throw new FortressError('REASON_UNUSED', 'openToWorldReason is set but the sources together are not open to the internet; remove it.');
      return ports;
    });
    this.relaxations = relaxations;
    Relaxations.register(this);
    this.ports = ports;
    this.clientCidrs = props.allowedClients.flatMap((c) => (c.cidr ? [c.cidr] : []));
    this.securityGroup = new SecurityGroup(this, 'Resource', {
      name: props.name,
      description: 'MQTT broker load balancer: MQTT over TLS from declared clients only (mqtt-fortress)',
      vpcId: props.vpcId,
      tags: { Name: props.name, 'mqtt-fortress:purpose': 'mqtt-clients' },
    });
    props.allowedClients.forEach((c, i) => {
      for (const port of ports) {
        new VpcSecurityGroupIngressRule(this, `Client${i}Port${port}`, {
          securityGroupId: this.securityGroup.id,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          description: `MQTT over TLS (${port}) from ${c.description}`,
          ...(c.securityGroupId ? { referencedSecurityGroupId: c.securityGroupId } : c.cidr!.includes(':') ? { cidrIpv6: c.cidr! } : { cidrIpv4: c.cidr! }),
        });
      }
    });
    for (const port of ports) {
      new VpcSecurityGroupEgressRule(this, `ToBrokers${port}`, {
        securityGroupId: this.securityGroup.id,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        cidrIpv4: props.vpcCidr,
        description: `to the brokers (${port}) inside the VPC`,
      });
    }
  }
}
