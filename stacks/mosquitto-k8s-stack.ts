import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AttackCanary, type AttackCanaryProps } from '../constructs/canary/attack-canary.js';
import { canaryPeer } from '../constructs/canary/objects.js';
import { SecretsManagerDelivery, type SecretsManagerDeliveryProps } from '../constructs/credentials/delivery.js';
import { type KubernetesAccessProps, kubernetesProvider } from '../constructs/k8s/provider.js';
import { BrokerMonitoring, type BrokerMonitoringProps } from '../constructs/monitoring/monitoring.js';
import { MosquittoBroker } from '../constructs/mosquitto/broker.js';
import type { MosquittoBrokerOptions } from '../constructs/mosquitto/props.js';
import { BrokerCertificates, type BrokerCertificatesProps } from '../constructs/tls/certificates.js';
import { requireTerraform } from './backend.js';

export interface MosquittoKubernetesStackProps extends KubernetesAccessProps {
  readonly broker: MosquittoBrokerOptions;
  /**
   * Deliver the credentials Secret from AWS Secrets Manager through external-secrets.
   * @default - the Secret `broker.credentialsSecretName` must already exist
   */
  readonly credentials?: Omit<SecretsManagerDeliveryProps, 'broker' | 'targetSecretName'>;
  /**
   * Issue the broker's certificates with cert-manager.
   * @default - the Secret `broker.tls.secretName` must already exist
   */
  readonly certificates?: Omit<BrokerCertificatesProps, 'broker'>;
  /**
   * PodMonitor, PrometheusRule and dashboard for the Prometheus operator.
   * @default - none
   */
  readonly monitoring?: Omit<BrokerMonitoringProps, 'broker'>;
  /**
   * The attack canary (docs/canary.md): a CronJob of hostile-client checks against the broker.
   * With `credentials`, its password comes through the broker's ClusterSecretStore.
   * @default - none
   */
  readonly canary?: Omit<AttackCanaryProps, 'broker' | 'dependsOn'>;
}

/** A ready-to-deploy stack: one hardened Mosquitto broker in an existing cluster. */
export class MosquittoKubernetesStack extends TerraformStack {
  public readonly broker: MosquittoBroker;
  public readonly delivery: SecretsManagerDelivery | undefined;
  public readonly certificates: BrokerCertificates | undefined;
  public readonly monitoring: BrokerMonitoring | undefined;
  public readonly canary: AttackCanary | undefined;
  constructor(scope: Construct, id: string, props: MosquittoKubernetesStackProps) {
    super(scope, id);
    requireTerraform(this);
    kubernetesProvider(this, props);
    // The canary's pods are a declared client of the broker (its NetworkPolicy admits them).
    const peer = props.canary ? canaryPeer({ name: props.broker.name ?? 'mosquitto', namespace: props.broker.namespace ?? 'mqtt' }) : undefined;
    this.broker = new MosquittoBroker(this, 'Broker', peer ? { ...props.broker, allowFrom: [...(props.broker.allowFrom ?? []), peer] } : props.broker);
    this.delivery = props.credentials
      ? new SecretsManagerDelivery(this, 'Credentials', { ...props.credentials, broker: this.broker, targetSecretName: props.broker.credentialsSecretName })
      : undefined;
    this.certificates = props.certificates ? new BrokerCertificates(this, 'Certificates', { ...props.certificates, broker: this.broker }) : undefined;
    this.monitoring = props.monitoring ? new BrokerMonitoring(this, 'Monitoring', { ...props.monitoring, broker: this.broker, certificates: Boolean(props.certificates) }) : undefined;
    this.canary = props.canary
      ? new AttackCanary(this, 'Canary', { ...props.canary, broker: this.broker, ...(this.delivery && props.canary.credentials ? { dependsOn: [...this.delivery.externalSecrets] } : {}) })
      : undefined;
  }
}
