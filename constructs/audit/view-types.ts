/**
 * The audit's reading of a synthesized stack, part 1: Terraform resources with their construct
 * paths, and the Kubernetes resource types and kinds the view knows how to read (view.ts
 * re-exports it; the normalisation is in k8s-view.ts).
 */
export interface TfResource {
  readonly type: string;
  readonly id: string;
  readonly path: string;
  readonly config: any;
}

export function resourcesOf(json: any): TfResource[] {
  const out: TfResource[] = [];
  for (const [type, byId] of Object.entries<any>(json?.resource ?? {})) {
    for (const [id, config] of Object.entries<any>(byId)) out.push({ type, id, path: config?.['//']?.metadata?.path ?? `${type}.${id}`, config });
  }
  return out;
}

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Converts keys to camelCase (maps of labels, annotations and data keep their keys). */
export function camelize(v: any, key = ''): any {
  if (Array.isArray(v)) return v.map((x) => camelize(x, key));
  if (v === null || typeof v !== 'object') return v;
  if (
    ['labels', 'annotations', 'template_annotations', 'data', 'binaryData', 'binary_data', 'string_data', 'matchLabels', 'match_labels', 'node_selector', 'limits', 'requests', 'selector'].includes(
      key,
    ) &&
    !Object.values(v).some((x) => x !== null && typeof x === 'object')
  )
    return { ...v };
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => k !== '//')
      .map(([k, x]) => [camel(k), camelize(x, k)]),
  );
}

/**
 * Every resource type of the Kubernetes provider (@cdktf/provider-kubernetes 12.1.1, provider
 * 2.38), and what the audit reads it as. `kind`: the resource carries that object (typed `*_v1`
 * and legacy unversioned forms alike); `patch`: it changes part of an object that another
 * resource (or something outside the stack) owns, and is merged into it; `inert`: it carries no
 * object the rules read (the reason says why); `opaque`: it can change objects in ways the audit
 * cannot see, so it is a finding. A type missing here (a newer provider) is a finding too.
 */
export type K8sTypeClass = { readonly kind: string } | { readonly patch: 'data' | 'labels' | 'annotations' | 'env'; readonly kind?: string } | { readonly inert: string } | { readonly opaque: string };

const typed = (kind: string, ...types: string[]) => Object.fromEntries(types.map((t) => [t, { kind }]));
const inert = (why: string, ...types: string[]) => Object.fromEntries(types.map((t) => [t, { inert: why }]));

export const K8S_RESOURCE_TYPES: Readonly<Record<string, K8sTypeClass>> = {
  kubernetes_manifest: { kind: '(manifest)' },
  ...typed('Namespace', 'kubernetes_namespace', 'kubernetes_namespace_v1'),
  ...typed('ServiceAccount', 'kubernetes_service_account', 'kubernetes_service_account_v1', 'kubernetes_default_service_account', 'kubernetes_default_service_account_v1'),
  ...typed('ConfigMap', 'kubernetes_config_map', 'kubernetes_config_map_v1'),
  ...typed('Secret', 'kubernetes_secret', 'kubernetes_secret_v1'),
  ...typed('Service', 'kubernetes_service', 'kubernetes_service_v1'),
  ...typed('Pod', 'kubernetes_pod', 'kubernetes_pod_v1'),
  ...typed('Deployment', 'kubernetes_deployment', 'kubernetes_deployment_v1'),
  ...typed('StatefulSet', 'kubernetes_stateful_set', 'kubernetes_stateful_set_v1'),
  ...typed('DaemonSet', 'kubernetes_daemonset', 'kubernetes_daemon_set_v1'),
  ...typed('Job', 'kubernetes_job', 'kubernetes_job_v1'),
  ...typed('CronJob', 'kubernetes_cron_job', 'kubernetes_cron_job_v1'),
  ...typed('ReplicationController', 'kubernetes_replication_controller', 'kubernetes_replication_controller_v1'),
  ...typed('NetworkPolicy', 'kubernetes_network_policy', 'kubernetes_network_policy_v1'),
  ...typed('PodDisruptionBudget', 'kubernetes_pod_disruption_budget', 'kubernetes_pod_disruption_budget_v1'),
  ...typed('Ingress', 'kubernetes_ingress', 'kubernetes_ingress_v1'),
  ...typed('Endpoints', 'kubernetes_endpoints', 'kubernetes_endpoints_v1'),
  ...typed('EndpointSlice', 'kubernetes_endpoint_slice_v1'),
  kubernetes_config_map_v1_data: { patch: 'data', kind: 'ConfigMap' },
  kubernetes_secret_v1_data: { patch: 'data', kind: 'Secret' },
  kubernetes_labels: { patch: 'labels' },
  kubernetes_annotations: { patch: 'annotations' },
  kubernetes_env: { patch: 'env' },
  ...inert(
    'RBAC objects grant API access; no rule of this audit reads them',
    'kubernetes_role',
    'kubernetes_role_v1',
    'kubernetes_role_binding',
    'kubernetes_role_binding_v1',
    'kubernetes_cluster_role',
    'kubernetes_cluster_role_v1',
    'kubernetes_cluster_role_binding',
    'kubernetes_cluster_role_binding_v1',
  ),
  ...inert(
    'capacity and scheduling objects carry no pod, port, policy or broker file',
    'kubernetes_horizontal_pod_autoscaler',
    'kubernetes_horizontal_pod_autoscaler_v1',
    'kubernetes_horizontal_pod_autoscaler_v2',
    'kubernetes_horizontal_pod_autoscaler_v2beta2',
    'kubernetes_limit_range',
    'kubernetes_limit_range_v1',
    'kubernetes_resource_quota',
    'kubernetes_resource_quota_v1',
    'kubernetes_priority_class',
    'kubernetes_priority_class_v1',
    'kubernetes_runtime_class_v1',
    'kubernetes_node_taint',
  ),
  ...inert(
    'storage objects carry no pod, port, policy or broker file',
    'kubernetes_persistent_volume',
    'kubernetes_persistent_volume_v1',
    'kubernetes_persistent_volume_claim',
    'kubernetes_persistent_volume_claim_v1',
    'kubernetes_storage_class',
    'kubernetes_storage_class_v1',
    'kubernetes_csi_driver',
    'kubernetes_csi_driver_v1',
  ),
  ...inert(
    'cluster-level objects outside the broker (ingress classes, pod security policies removed in Kubernetes 1.25, certificate signing requests, token requests)',
    'kubernetes_ingress_class',
    'kubernetes_ingress_class_v1',
    'kubernetes_pod_security_policy',
    'kubernetes_pod_security_policy_v1beta1',
    'kubernetes_certificate_signing_request',
    'kubernetes_certificate_signing_request_v1',
    'kubernetes_token_request_v1',
    'kubernetes_validating_webhook_configuration',
    'kubernetes_validating_webhook_configuration_v1',
  ),
  kubernetes_mutating_webhook_configuration: { opaque: 'a mutating admission webhook can rewrite any object at admission, after this audit read it' },
  kubernetes_mutating_webhook_configuration_v1: { opaque: 'a mutating admission webhook can rewrite any object at admission, after this audit read it' },
  kubernetes_api_service: { opaque: 'an aggregated API service answers API requests with a server the audit cannot read' },
  kubernetes_api_service_v1: { opaque: 'an aggregated API service answers API requests with a server the audit cannot read' },
};

/** Object kinds the view normalizes (from typed resources and from kubernetes_manifest). */
export const WORKLOAD_KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'] as const;
/** kubernetes_manifest kinds the audit knows: the normalized ones, the kit's custom resources, and inert ones. */
export const KNOWN_MANIFEST_KINDS = new Set([
  'Namespace',
  'ServiceAccount',
  'ConfigMap',
  'Secret',
  'Service',
  ...WORKLOAD_KINDS,
  'NetworkPolicy',
  'PodDisruptionBudget',
  'Ingress',
  'Endpoints',
  'EndpointSlice',
  'Certificate',
  'Issuer',
  'ClusterIssuer',
  'ExternalSecret',
  'SecretStore',
  'ClusterSecretStore',
  'PrometheusRule',
  'PodMonitor',
  'ServiceMonitor',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'LimitRange',
  'ResourceQuota',
  'PriorityClass',
  'HorizontalPodAutoscaler',
  'PersistentVolumeClaim',
  'StorageClass',
  'IngressClass',
]);

export interface K8sView {
  readonly path: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  /** camelCase body in the Kubernetes API's own field names (typed blocks normalized): metadata, spec, data, ... */
  readonly body: any;
  /** Terraform resource type that carries the object. */
  readonly type: string;
  /** Paths of patch resources (kubernetes_config_map_v1_data, kubernetes_labels, ...) merged into it. */
  readonly patchedBy: readonly string[];
}

/** A patch or resource the view could not place: the audit reports it (REV-2). */
export interface UnseenResource {
  readonly path: string;
  readonly type: string;
  readonly id: string;
  readonly why: string;
}
