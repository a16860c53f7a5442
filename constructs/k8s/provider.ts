/** The Kubernetes provider, configured the way users expect: never with credentials in code. */

import type * as P_provider from '@cdktf/provider-kubernetes/lib/provider/index.js';
import { Fn } from 'cdktf';
import type { Construct } from 'constructs';
import { providerModule } from '../core/provider-module.js';

const { KubernetesProvider } = providerModule<typeof P_provider>('@cdktf/provider-kubernetes/lib/provider/index.js');
type KubernetesProvider = P_provider.KubernetesProvider;

/**
 * An EKS cluster to connect to: endpoint and CA come from the cluster (usually a cross-stack
 * reference, which also orders the stacks), the token from `aws eks get-token` run by the
 * provider at plan and apply time with the deploying machine's AWS credentials (the role needs
 * an EKS access entry: PrivateEksCluster.deployerRoleArns).
 */
export interface EksConnection {
  readonly clusterName: string;
  readonly region: string;
  /** The cluster's API endpoint (aws_eks_cluster.endpoint). */
  readonly endpoint: string;
  /** Base64 CA data (aws_eks_cluster.certificate_authority[0].data). */
  readonly certificateAuthorityData: string;
}

export interface KubernetesAccessProps {
  /**
   * Path of the kubeconfig file.
   * @default - the provider's standard variables: KUBE_CONFIG_PATH / KUBE_CONFIG_PATHS
   */
  readonly kubeconfigPath?: string;
  /** kubeconfig context. @default - KUBE_CTX, else the kubeconfig's current context */
  readonly kubeContext?: string;
  /** Connect to this EKS cluster directly (no kubeconfig needed); wins over kubeconfigPath. @default - kubeconfig */
  readonly eks?: EksConnection;
}

export function kubernetesProvider(scope: Construct, props: KubernetesAccessProps = {}): KubernetesProvider {
  if (props.eks) {
    const e = props.eks;
    return new KubernetesProvider(scope, 'kubernetes', {
      host: e.endpoint,
      clusterCaCertificate: Fn.base64decode(e.certificateAuthorityData),
      exec: [{ apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', args: ['eks', 'get-token', '--cluster-name', e.clusterName, '--region', e.region, '--output', 'json'] }],
    });
  }
  return new KubernetesProvider(scope, 'kubernetes', {
    ...(props.kubeconfigPath ? { configPath: props.kubeconfigPath } : {}),
    ...(props.kubeContext ? { configContext: props.kubeContext } : {}),
  });
}
