/**
 * A plan-time prerequisite check: custom resources (kubernetes_manifest) need their CRD in the
 * cluster when Terraform plans. This data source reads the CRD and fails the plan with a clear
 * message when it is missing; every custom resource depends on it.
 */
import type { Construct } from 'constructs';
import type * as P_data_kubernetes_resource from '@cdktf/provider-kubernetes/lib/data-kubernetes-resource/index.js';
import { providerModule } from '../core/provider-module.js';
const { DataKubernetesResource } = providerModule<typeof P_data_kubernetes_resource>('@cdktf/provider-kubernetes/lib/data-kubernetes-resource/index.js');
type DataKubernetesResource = P_data_kubernetes_resource.DataKubernetesResource;

export function crdCheck(scope: Construct, id: string, crdName: string, errorMessage: string): DataKubernetesResource {
  return new DataKubernetesResource(scope, id, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName },
    lifecycle: { postcondition: [{ condition: '${self.object != null}', errorMessage }] },
  });
}
