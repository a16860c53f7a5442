/** The Kubernetes provider, configured the way users expect: never with credentials in code. */
import type { Construct } from 'constructs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider/index.js';

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
