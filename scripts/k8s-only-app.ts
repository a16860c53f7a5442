/** Benchmark case: the default Kubernetes stack alone (the scope of the foundation issue's 2x target). */
import { App } from 'cdktf';
import { defaultMosquittoOptions } from '../stacks/defaults.js';
import { MosquittoKubernetesStack } from '../stacks/mosquitto-k8s-stack.js';

export function buildApp(outdir?: string): App {
  const app = new App(outdir ? { outdir } : {});
  new MosquittoKubernetesStack(app, 'mosquitto-k8s', { broker: defaultMosquittoOptions(), certificates: { issuer: { kind: 'bootstrap' } } });
  return app;
}
