/** App entry of the default stacks: `npm run synth` / `npx cdktf synth|diff|deploy`. */
import { App } from 'cdktf';
import { defaultMosquittoOptions } from './defaults.js';
import { MosquittoKubernetesStack } from './mosquitto-k8s-stack.js';
import { FortressError } from '../constructs/core/errors.js';

export function buildApp(outdir?: string): App {
  const app = new App(outdir ? { outdir } : {});
  new MosquittoKubernetesStack(app, 'mosquitto-k8s', {
    broker: defaultMosquittoOptions(),
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
