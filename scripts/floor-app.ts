/** The benchmark floor: one stack with the AWS and Kubernetes providers configured, nothing else. */

import type * as P_aws from '@cdktf/provider-aws/lib/provider/index.js';
import type * as P_k8s from '@cdktf/provider-kubernetes/lib/provider/index.js';
import { App, TerraformStack } from 'cdktf';
import { providerModule } from '../constructs/core/provider-module.js';

const { AwsProvider } = providerModule<typeof P_aws>('@cdktf/provider-aws/lib/provider/index.js');
const { KubernetesProvider } = providerModule<typeof P_k8s>('@cdktf/provider-kubernetes/lib/provider/index.js');

export function buildApp(outdir?: string): App {
  const app = new App(outdir ? { outdir } : {});
  const stack = new TerraformStack(app, 'floor');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  new KubernetesProvider(stack, 'kubernetes', {});
  return app;
}
