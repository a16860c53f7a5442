/** Synthesis helpers for construct tests. */
import { type App, TerraformStack, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { kubernetesProvider } from '../../constructs/k8s/provider.js';
import type { MosquittoBrokerOptions } from '../../constructs/mosquitto/props.js';
import type { Policy } from '../../constructs/policy/model.js';
import { policyFromYamlFile } from '../../constructs/policy/yaml.js';
import { EXAMPLE_POLICY_FILE } from '../../stacks/defaults.js';

export type Tf = { resource: Record<string, Record<string, any>>; [k: string]: any };

/** Builds a stack with a Kubernetes provider, runs `fill`, synthesizes with validations. */
export function synth(fill: (stack: TerraformStack) => void, id = 'test'): { stack: TerraformStack; tf: Tf } {
  const app: App = Testing.app();
  const stack = new TerraformStack(app, id);
  kubernetesProvider(stack);
  fill(stack);
  const tf = JSON.parse(Testing.synth(stack, true)) as Tf;
  return { stack, tf };
}

export function resourcesOf(tf: Tf, type: string): any[] {
  return Object.values(tf.resource?.[type] ?? {});
}

export const examplePolicy = (): Policy => policyFromYamlFile(EXAMPLE_POLICY_FILE);

export const minimalBrokerProps = (over: Partial<MosquittoBrokerOptions> = {}): MosquittoBrokerOptions => ({
  policy: examplePolicy(),
  credentialsSecretName: 'creds',
  tls: { secretName: 'tls' },
  allowFrom: [{ namespace: 'iot-backend' }],
  ...over,
});

export type { Construct };
