/** The Kubernetes provider, configured the way users expect: never with credentials in code. */
import type { Construct } from 'constructs';
import type * as P_provider from '@cdktf/provider-kubernetes/lib/provider/index.js';
import { providerModule } from '../core/provider-module.js';
const { KubernetesProvider } = providerModule<typeof P_provider>('@cdktf/provider-kubernetes/lib/provider/index.js');
type KubernetesProvider = P_provider.KubernetesProvider;

export interface KubernetesAccessProps {
  /**
   * Path of the kubeconfig file.
   * @default - the provider's standard variables: KUBE_CONFIG_PATH / KUBE_CONFIG_PATHS
   */
  readonly kubeconfigPath?: string;
  /** kubeconfig context. @default - KUBE_CTX, else the kubeconfig's current context */
  readonly kubeContext?: string;
}

export function kubernetesProvider(scope: Construct, props: KubernetesAccessProps = {}): KubernetesProvider {
  return new KubernetesProvider(scope, 'kubernetes', {
    ...(props.kubeconfigPath ? { configPath: props.kubeconfigPath } : {}),
    ...(props.kubeContext ? { configContext: props.kubeContext } : {}),
  });
}
