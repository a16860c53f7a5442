/**
 * A plan-time prerequisite check: custom resources (kubernetes_manifest) need their CRD in the
 * cluster when Terraform plans. This data source reads the CRD and fails the plan with a clear
 * message when it is missing; every custom resource depends on it.
 */
import type { Construct } from 'constructs';
import { DataKubernetesResource } from '@cdktf/provider-kubernetes/lib/data-kubernetes-resource/index.js';

export function crdCheck(scope: Construct, id: string, crdName: string, errorMessage: string): DataKubernetesResource {
  return new DataKubernetesResource(scope, id, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName },
    lifecycle: { postcondition: [{ condition: '${self.object != null}', errorMessage }] },
  });
}
