import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { MosquittoBroker } from '../constructs/mosquitto/broker.js';
import type { MosquittoBrokerOptions } from '../constructs/mosquitto/manifests.js';
import { kubernetesProvider, type KubernetesAccessProps } from '../constructs/k8s/provider.js';

export interface MosquittoKubernetesStackProps extends KubernetesAccessProps {
  readonly broker: MosquittoBrokerOptions;
}

/** A ready-to-deploy stack: one hardened Mosquitto broker in an existing cluster. */
export class MosquittoKubernetesStack extends TerraformStack {
  public readonly broker: MosquittoBroker;
  constructor(scope: Construct, id: string, props: MosquittoKubernetesStackProps) {
    super(scope, id);
    kubernetesProvider(this, props);
    this.broker = new MosquittoBroker(this, 'Broker', props.broker);
  }
}
