/**
 * A plan-time prerequisite check: custom resources (kubernetes_manifest) need their CRD in the
 * cluster when Terraform plans. This data source lists the CRD by name and fails the plan with the
 * kit's message when the list is empty; every custom resource depends on it.
 *
 * Why a list: the single-object data source (`kubernetes_resource`) returns no state at all for a
 * missing object (the provider's ReadDataSource returns early on NotFound), so Terraform stops
 * with "Provider produced null object ... bug in the provider" before any postcondition runs.
 * The list data source (`kubernetes_resources`) returns an empty `objects` list instead, which
 * the postcondition can test.
 */

import type * as P_data_kubernetes_resources from '@cdktf/provider-kubernetes/lib/data-kubernetes-resources/index.js';
import type { Construct } from 'constructs';
import { providerModule } from '../core/provider-module.js';

const { DataKubernetesResources } = providerModule<typeof P_data_kubernetes_resources>('@cdktf/provider-kubernetes/lib/data-kubernetes-resources/index.js');
type DataKubernetesResources = P_data_kubernetes_resources.DataKubernetesResources;

/** The CRDs the kit's Kubernetes stacks use, by the prerequisite that installs them. */
export const PREREQUISITE_CRDS = {
  'external-secrets': ['clustersecretstores.external-secrets.io', 'externalsecrets.external-secrets.io'],
  'cert-manager': ['certificates.cert-manager.io', 'issuers.cert-manager.io'],
  'prometheus-operator': ['podmonitors.monitoring.coreos.com', 'prometheusrules.monitoring.coreos.com'],
} as const;

export function crdCheck(scope: Construct, id: string, crdName: string, errorMessage: string): DataKubernetesResources {
  return new DataKubernetesResources(scope, id, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    fieldSelector: `metadata.name=${crdName}`,
    lifecycle: { postcondition: [{ condition: '${length(self.objects) > 0}', errorMessage }] },
  });
}
