/** App entry of the default stacks: `npm run synth` / `npx cdktf synth|diff|deploy`. */
import { App } from 'cdktf';
import { defaultClusterName, defaultMosquittoOptions, defaultRegion } from './defaults.js';
import { MosquittoKubernetesStack } from './mosquitto-k8s-stack.js';
import { CredentialsAwsStack } from './credentials-aws-stack.js';
import { FortressError } from '../constructs/core/errors.js';

export function buildApp(outdir?: string): App {
  const app = new App(outdir ? { outdir } : {});
  const broker = defaultMosquittoOptions();
  const region = defaultRegion();
  new CredentialsAwsStack(app, 'mosquitto-credentials', {
    store: { policy: broker.policy, region, brokerName: broker.name ?? 'mosquitto', reader: { kind: 'pod-identity', clusterName: defaultClusterName() } },
  });
  new MosquittoKubernetesStack(app, 'mosquitto-k8s', {
    broker,
    credentials: { region, brokerName: broker.name ?? 'mosquitto' },
    // A per-broker CA bootstrapped by cert-manager; replace with acme / aws-pca / an existing CA.
    certificates: { issuer: { kind: 'bootstrap' } },
    ...(process.env.FORTRESS_KUBECONFIG ? { kubeconfigPath: process.env.FORTRESS_KUBECONFIG } : {}),
    ...(process.env.FORTRESS_KUBE_CONTEXT ? { kubeContext: process.env.FORTRESS_KUBE_CONTEXT } : {}),
  });
  return app;
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  try {
    buildApp().synth();
  } catch (e) {
    if (e instanceof FortressError) {
      console.error(`error ${e.code}: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
}
