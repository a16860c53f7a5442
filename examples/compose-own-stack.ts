// example.ts: the hardened broker inside your own TerraformStack. Your app's entry point
// (cdktf.json "app") runs `synthExample().synth()`, which writes cdktf.out.

import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider/index.js';
import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { MosquittoBroker, Policy } from 'mqtt-fortress';

class TelemetryStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new KubernetesProvider(this, 'kubernetes', {}); // KUBE_CONFIG_PATH / KUBE_CTX at plan time
    const policy = Policy.from({
      roles: [
        { name: 'device', rules: [{ action: 'publish', topics: ['plant/{username}/metrics'] }] },
        { name: 'historian', rules: [{ action: 'subscribe', topics: ['plant/+/metrics'] }] },
      ],
      identities: [
        { name: 'presses', kind: 'device', roles: ['device'], members: ['press-01', 'press-02'] },
        { name: 'historian', kind: 'service', roles: ['historian'] },
      ],
    });
    new MosquittoBroker(this, 'Broker', {
      policy,
      namespace: 'plant-mqtt',
      credentialsSecretName: 'plant-mqtt-credentials',
      tls: { secretName: 'plant-mqtt-tls' },
      allowFrom: [{ namespace: 'historian' }, { cidr: '10.42.0.0/16' }],
    });
  }
}

export function synthExample(outdir?: string): App {
  const app = new App(outdir ? { outdir } : {});
  new TelemetryStack(app, 'plant-telemetry');
  return app;
}
