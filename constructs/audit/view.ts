/**
 * A normalized view of a synthesized stack (its Terraform JSON) for the audit rules and the
 * report: resources with their construct paths, Kubernetes objects in one shape whether they are
 * typed resources (snake_case) or kubernetes_manifest (camelCase), and the broker files parsed.
 * Pure: it reads JSON, so escape hatches and hand-written resources are audited too.
 *
 * Normalize first, then check: typed resources (snake_case blocks, singular block names such as
 * `container` and `port`, one-element lists for single blocks) are rewritten into the Kubernetes
 * API's own field names (`containers`, `ports`, `hostPID`, `externalIPs`), so a rule reads one
 * shape whatever resource type, legacy or `_v1`, or manifest carried the object.
 */
import { gunzipSync } from 'node:zlib';

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

const list = (v: any): any[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
/** A Terraform block given as an object or as a one-element list. */
const one = (v: any): any => (Array.isArray(v) ? v[0] : v);
const obj = (v: any): any => one(v) ?? {};

function normSecurityContext(sc: any): any {
  const s = obj(sc);
  const caps = one(s.capabilities);
  return { ...s, ...(caps ? { capabilities: { ...caps, add: list(caps.add), drop: list(caps.drop) } } : {}), ...(s.seccompProfile ? { seccompProfile: obj(s.seccompProfile) } : {}) };
}

function normContainer(c: any): any {
  return {
    ...c,
    ports: list(c.ports ?? c.port).map((p: any) => ({ ...p, containerPort: Number(p.containerPort), ...(p.hostPort !== undefined ? { hostPort: Number(p.hostPort) } : {}) })),
    securityContext: normSecurityContext(c.securityContext),
    resources: obj(c.resources),
    volumeMounts: list(c.volumeMounts ?? c.volumeMount),
    env: list(c.env),
    command: list(c.command),
    args: list(c.args),
  };
}

/** A pod spec in the API's field names, from a typed block or a manifest. */
export function normPodSpec(spec: any): any {
  const s = obj(spec);
  return {
    ...s,
    containers: list(s.containers ?? s.container).map(normContainer),
    initContainers: list(s.initContainers ?? s.initContainer).map(normContainer),
    volumes: list(s.volumes ?? s.volume).map((v: any) => Object.fromEntries(Object.entries<any>(v).map(([k, x]) => [k, k === 'name' ? x : one(x)]))),
    securityContext: normSecurityContext(s.securityContext),
    hostNetwork: s.hostNetwork,
    hostPID: s.hostPID ?? s.hostPid,
    hostIPC: s.hostIPC ?? s.hostIpc,
    topologySpreadConstraints: list(s.topologySpreadConstraints ?? s.topologySpreadConstraint),
  };
}

const normTemplate = (t: any) => ({ ...obj(t), metadata: obj(obj(t).metadata), spec: normPodSpec(obj(t).spec) });
const normPeer = (p: any) => Object.fromEntries(Object.entries<any>(obj(p)).map(([k, v]) => [k, one(v)]));

function normSpec(kind: string, spec: any): any {
  const s = obj(spec);
  switch (kind) {
    case 'Pod':
      return normPodSpec(s);
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'ReplicationController':
    case 'Job':
      return { ...s, ...(s.selector !== undefined ? { selector: one(s.selector) } : {}), template: normTemplate(s.template) };
    case 'CronJob': {
      const jt = obj(s.jobTemplate);
      return { ...s, jobTemplate: { ...jt, metadata: obj(jt.metadata), spec: { ...obj(jt.spec), template: normTemplate(obj(jt.spec).template) } } };
    }
    case 'Service':
      return {
        ...s,
        type: s.type ?? 'ClusterIP',
        ports: list(s.ports ?? s.port).map((p: any) => ({ ...p, port: Number(p.port), ...(p.nodePort !== undefined ? { nodePort: Number(p.nodePort) } : {}) })),
        externalIPs: list(s.externalIPs ?? s.externalIps),
        loadBalancerSourceRanges: list(s.loadBalancerSourceRanges),
        clusterIP: s.clusterIP ?? s.clusterIp,
      };
    case 'NetworkPolicy':
      return {
        ...s,
        podSelector: obj(s.podSelector),
        policyTypes: list(s.policyTypes),
        ingress: list(s.ingress).map((r: any) => ({ ...r, from: list(r.from).map(normPeer), ports: list(r.ports) })),
        egress: list(s.egress).map((r: any) => ({ ...r, to: list(r.to).map(normPeer), ports: list(r.ports) })),
      };
    case 'PodDisruptionBudget':
      return { ...s, ...(s.selector !== undefined ? { selector: one(s.selector) } : {}) };
    default:
      return s;
  }
}

function normObject(kind: string, raw: any): any {
  const body = { ...raw, metadata: obj(raw?.metadata) };
  if (raw?.spec !== undefined) body.spec = normSpec(kind, raw.spec);
  return body;
}

const key = (kind: string, ns: string | undefined, name: string) => `${kind}/${ns ?? 'default'}/${name}`;

/** Kinds whose spec names cloud identities and stores by reference (role ARNs, regions); no rule reads them. */
const REFERENCE_KINDS = new Set(['ExternalSecret', 'SecretStore', 'ClusterSecretStore', 'Issuer', 'ClusterIssuer']);
/** Annotations a rule reads: their values must be literal. */
const READ_ANNOTATIONS = new Set(['service.beta.kubernetes.io/aws-load-balancer-scheme', 'service.beta.kubernetes.io/aws-load-balancer-internal']);
/** Terraform meta-arguments of a resource: not part of the object it carries. */
const META_ARGS = new Set([
  '//',
  'for_each',
  'count',
  'depends_on',
  'provider',
  'lifecycle',
  'timeouts',
  'field_manager',
  'computed_fields',
  'wait',
  'wait_for',
  'wait_for_rollout',
  'wait_for_load_balancer',
  'wait_for_completion',
  'wait_for_default_service_account',
]);
/** An unescaped Terraform interpolation (`${...}`) or template directive (`%{...}`); `$${` and `%%{` are literal. */
const EXPRESSION = /(^|[^$%])[$%]\{/;

/**
 * Where a resource's object holds something Terraform computes at plan time, so the audit reads
 * text in place of the value: an expression (`${var.type}`, `${jsondecode(file(...))}`, an
 * `each.value`) or a `dynamic` block (its blocks exist only after Terraform expands them).
 * Names and namespaces may be references (the audit keys objects by them and reports a patch it
 * cannot place); anything else is a value some rule may read.
 */
export function computedFields(v: any, at: string[] = []): string[] {
  // An image from a registry reference is still pinned by its literal digest (POD-2 reads that).
  if (typeof v === 'string') return EXPRESSION.test(v) && !(at.at(-1) === 'image' && /@sha256:[0-9a-f]{64}$/.test(v)) ? [at.join('.')] : [];
  if (v === null || typeof v !== 'object') return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => computedFields(x, [...at, String(i)]));
  return Object.entries(v).flatMap(([k, x]) => {
    if (at.length === 0 && META_ARGS.has(k)) return [];
    if (k === 'dynamic' && x && typeof x === 'object') return Object.keys(x).map((b) => [...at, `dynamic.${b}`].join('.'));
    const meta = at.at(-1) === 'metadata' || (at.at(-2) === 'metadata' && /^\d+$/.test(at.at(-1)!));
    if (meta && ['name', 'namespace', 'generate_name', 'generateName'].includes(k)) return [];
    // Annotation values no rule reads (load balancer subnets and security groups are references).
    if (at.at(-1) === 'annotations' && !READ_ANNOTATIONS.has(k)) return [];
    return computedFields(x, [...at, k]);
  });
}

export interface StackView {
  readonly objects: K8sView[];
  /** Resources the audit cannot read or place (unknown types, opaque ones, patches of objects outside the stack). */
  readonly unseen: UnseenResource[];
}

/** Every Kubernetes object of a stack, typed, legacy and manifest forms alike, patches merged. */
export function k8sView(json: any): StackView {
  const out: K8sView[] = [];
  const unseen: UnseenResource[] = [];
  const patches: { r: TfResource; cls: { patch: string; kind?: string } }[] = [];
  for (const r of resourcesOf(json)) {
    if (!r.type.startsWith('kubernetes_')) continue;
    const cls = K8S_RESOURCE_TYPES[r.type];
    if (!cls) {
      unseen.push({ path: r.path, type: r.type, id: r.id, why: `resource type ${r.type} is not one of the Kubernetes provider 12.1.1 types the audit knows` });
      continue;
    }
    if ('opaque' in cls) unseen.push({ path: r.path, type: r.type, id: r.id, why: cls.opaque });
    const manifestKind = r.type === 'kubernetes_manifest' ? String(r.config?.manifest?.kind) : undefined;
    if (!('inert' in cls) && !(manifestKind && REFERENCE_KINDS.has(manifestKind))) {
      const computed = computedFields(r.config);
      if (computed.length)
        unseen.push({
          path: r.path,
          type: r.type,
          id: r.id,
          why: `Terraform computes ${computed.slice(0, 5).join(', ')}${computed.length > 5 ? ` and ${computed.length - 5} more` : ''} at plan time (an expression or a dynamic block), so the audit cannot read the value it will have`,
        });
    }
    if ('patch' in cls) {
      patches.push({ r, cls });
      continue;
    }
    if (!('kind' in cls)) continue;
    let kind: string;
    let raw: any;
    if (r.type === 'kubernetes_manifest') {
      raw = r.config.manifest;
      kind = String(raw?.kind);
      if (!KNOWN_MANIFEST_KINDS.has(kind)) unseen.push({ path: r.path, type: r.type, id: r.id, why: `manifest of kind ${JSON.stringify(kind)} (${raw?.apiVersion}) is not a kind the audit reads` });
    } else {
      raw = camelize(r.config);
      kind = cls.kind;
    }
    const body = normObject(kind, raw ?? {});
    out.push({ path: r.path, kind, name: body.metadata?.name, namespace: body.metadata?.namespace, body, type: r.type, patchedBy: [] });
  }
  const byKey = new Map(out.map((o, i) => [key(o.kind, o.namespace, o.name), i]));
  for (const { r, cls } of patches) {
    const c = camelize(r.config);
    const m = obj(c.metadata);
    const kind = cls.kind ?? c.kind;
    const i = byKey.get(key(kind, m.namespace, m.name));
    const target = i === undefined ? undefined : out[i]!;
    if (cls.patch === 'data') {
      // Without `force` the apply fails only when another field manager owns the keys; assume the worst: it applies.
      if (target) out[i!] = { ...target, body: { ...target.body, data: { ...(target.body.data ?? {}), ...(c.data ?? {}) } }, patchedBy: [...target.patchedBy, r.path] };
      else {
        const v: K8sView = { path: r.path, kind, name: m.name, namespace: m.namespace, body: { metadata: m, data: { ...(c.data ?? {}) } }, type: r.type, patchedBy: [r.path] };
        byKey.set(key(kind, m.namespace, m.name), out.push(v) - 1);
      }
      continue;
    }
    if (!target) {
      unseen.push({ path: r.path, type: r.type, id: r.id, why: `patches ${kind} ${m.namespace ?? 'default'}/${m.name}, which is not in this stack, so the audit cannot see the result` });
      continue;
    }
    const b = structuredClone(target.body);
    if (cls.patch === 'labels') b.metadata.labels = { ...(b.metadata.labels ?? {}), ...(c.labels ?? {}) };
    if (cls.patch === 'annotations') {
      b.metadata.annotations = { ...(b.metadata.annotations ?? {}), ...(c.annotations ?? {}) };
      if (c.templateAnnotations && b.spec?.template)
        b.spec.template.metadata = { ...b.spec.template.metadata, annotations: { ...(b.spec.template.metadata?.annotations ?? {}), ...c.templateAnnotations } };
    }
    if (cls.patch === 'env') {
      const pod = b.spec?.jobTemplate?.spec?.template?.spec ?? b.spec?.template?.spec ?? (target.kind === 'Pod' ? b.spec : undefined);
      const name = c.container ?? c.initContainer;
      const k = [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])].find((x: any) => x.name === name);
      if (!k) {
        unseen.push({ path: r.path, type: r.type, id: r.id, why: `sets env of container ${JSON.stringify(name)}, which ${kind} ${m.name} does not have` });
        continue;
      }
      k.env = [...k.env.filter((e: any) => !list(c.env).some((n: any) => n.name === e.name)), ...list(c.env)];
    }
    out[i!] = { ...target, body: b, patchedBy: [...target.patchedBy, r.path] };
  }
  return { objects: out, unseen };
}

export function k8sObjects(json: any): K8sView[] {
  return k8sView(json).objects;
}

export interface ContainerView {
  readonly name: string;
  readonly init: boolean;
  readonly image: string;
  readonly securityContext: any;
  readonly resources: { requests: Record<string, string>; limits: Record<string, string> };
  readonly ports: number[];
  /** Ports bound on the node's addresses (`hostPort`). */
  readonly hostPorts: number[];
  readonly command: string[];
  /** The container's `args` (Kubernetes appends them to `command`). */
  readonly args: string[];
  readonly env: { name: string; value?: string }[];
  readonly volumeMounts: { name: string; mountPath?: string; subPath?: string; readOnly?: boolean }[];
}

export interface PodView {
  readonly owner: K8sView;
  readonly podSecurityContext: any;
  readonly automountServiceAccountToken: unknown;
  readonly hostNetwork: unknown;
  readonly hostPID: unknown;
  readonly hostIPC: unknown;
  readonly containers: ContainerView[];
  readonly volumes: any[];
  readonly labels: Record<string, string>;
  readonly replicas: number;
  readonly topologySpread: any[];
}

/** The pod spec and pod labels of a workload of any kind. */
export function podTemplate(o: K8sView): { spec: any; labels: Record<string, string> } | undefined {
  if (o.kind === 'Pod') return { spec: o.body.spec ?? normPodSpec({}), labels: o.body.metadata?.labels ?? {} };
  const t = o.kind === 'CronJob' ? o.body.spec?.jobTemplate?.spec?.template : o.body.spec?.template;
  return (WORKLOAD_KINDS as readonly string[]).includes(o.kind) ? { spec: t?.spec ?? normPodSpec({}), labels: t?.metadata?.labels ?? {} } : undefined;
}

/** Pod templates of workloads, whatever resource carries them (every workload kind). */
export function pods(objs: K8sView[]): PodView[] {
  return objs.flatMap((o) => {
    const t = podTemplate(o);
    if (!t) return [];
    const spec = t.spec;
    const c = (x: any, init: boolean): ContainerView => ({
      name: x.name,
      init,
      image: x.image ?? '',
      securityContext: x.securityContext ?? {},
      resources: { requests: x.resources?.requests ?? {}, limits: x.resources?.limits ?? {} },
      ports: x.ports.map((p: any) => p.containerPort),
      hostPorts: x.ports.filter((p: any) => p.hostPort !== undefined && p.hostPort !== 0).map((p: any) => p.hostPort),
      command: x.command,
      args: x.args,
      env: x.env,
      volumeMounts: x.volumeMounts,
    });
    return [
      {
        owner: o,
        podSecurityContext: spec.securityContext ?? {},
        automountServiceAccountToken: spec.automountServiceAccountToken,
        hostNetwork: spec.hostNetwork,
        hostPID: spec.hostPID,
        hostIPC: spec.hostIPC,
        containers: [...spec.initContainers.map((x: any) => c(x, true)), ...spec.containers.map((x: any) => c(x, false))],
        volumes: spec.volumes,
        labels: t.labels,
        replicas: o.kind === 'Pod' || o.kind === 'Job' || o.kind === 'CronJob' ? 1 : Number(o.body.spec?.replicas ?? 1),
        topologySpread: spec.topologySpreadConstraints,
      },
    ];
  });
}

/** A ConfigMap's files, binaryData `*.gz` entries unpacked. */
export function configMapFiles(cm: K8sView): Record<string, string> {
  // Data is Terraform text: `$${` and `%%{` are the literal `${` and `%{` the object holds.
  const files: Record<string, string> = Object.fromEntries(Object.entries<any>(cm.body.data ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/([$%])\1\{/g, '$1{') : v]));
  for (const [k, v] of Object.entries<string>(cm.body.binaryData ?? {})) {
    if (k.endsWith('.gz') && typeof v === 'string' && !v.includes('${')) files[k.slice(0, -3)] = gunzipSync(Buffer.from(v, 'base64')).toString('utf8');
  }
  return files;
}

export interface ListenerView {
  readonly port: number;
  readonly bind: string | undefined;
  readonly settings: Map<string, string[]>;
}

export interface MosquittoConfView {
  readonly global: Map<string, string[]>;
  readonly listeners: ListenerView[];
  /** Setting names before the first listener, in order (per_listener_settings must come first). */
  readonly order: string[];
  /** Directories named by include_dir: Mosquitto reads every .conf file in them, the audit does not. */
  readonly includes: string[];
}

export function parseMosquittoConf(text: string): MosquittoConfView {
  const global = new Map<string, string[]>();
  const listeners: ListenerView[] = [];
  const order: string[] = [];
  const includes: string[] = [];
  const defaults: number[] = [];
  let cur: Map<string, string[]> = global;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [k, ...rest] = line.split(/\s+/);
    const v = rest.join(' ');
    if (k === 'listener') {
      const [port, bind] = rest;
      const l = { port: Number(port), bind, settings: new Map<string, string[]>() };
      listeners.push(l);
      cur = l.settings;
      continue;
    }
    if (k === 'include_dir') {
      includes.push(v);
      continue;
    }
    if (k === 'port') {
      // The deprecated `port` still opens Mosquitto's default listener (2.0.21, on every address
      // unless bind_address says otherwise); the settings outside listener blocks are its own.
      defaults.push(Number(rest[0]));
      continue;
    }
    if (cur === global) order.push(k!);
    cur.set(k!, [...(cur.get(k!) ?? []), v]);
  }
  if (defaults.length) listeners.unshift({ port: defaults.at(-1)!, bind: global.get('bind_address')?.at(-1), settings: global });
  return { global, listeners, order, includes };
}

/**
 * Mosquitto options that follow `per_listener_settings`: with `true` each listener has its own,
 * with `false` (the default) a value anywhere in the file is global and the last one wins
 * (src/conf.c, conf__set_cur_security_options, 2.0.21).
 */
export const SECURITY_OPTIONS = new Set(['allow_anonymous', 'password_file', 'acl_file', 'plugin', 'auth_plugin', 'psk_file', 'auto_id_prefix', 'allow_zero_length_clientid']);

/** The value of `key` that Mosquitto applies to listener `l`. */
export function effectiveSetting(conf: MosquittoConfView, l: ListenerView, key: string): string | undefined {
  if (!SECURITY_OPTIONS.has(key) || conf.global.get('per_listener_settings')?.at(-1) === 'true') return l.settings.get(key)?.at(-1);
  const all = [...(conf.global.get(key) ?? []), ...conf.listeners.flatMap((x) => x.settings.get(key) ?? [])];
  return all.at(-1);
}

export interface AclView {
  /** Lines before the first `user` line apply to anonymous clients. */
  readonly anonymous: string[];
  readonly patterns: { access: string; topic: string }[];
  readonly users: Map<string, { access: string; topic: string }[]>;
}

export function parseMosquittoAcl(text: string): AclView {
  const anonymous: string[] = [];
  const patterns: { access: string; topic: string }[] = [];
  const users = new Map<string, { access: string; topic: string }[]>();
  let user: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || raw.startsWith('#')) continue;
    const m = /^(user|topic|pattern)\s+(?:(read|write|readwrite|deny)\s+)?(.*)$/.exec(line);
    if (!m) {
      if (!user) anonymous.push(line);
      continue;
    }
    if (m[1] === 'user') {
      user = m[3]!;
      if (!users.has(user)) users.set(user, []);
    } else if (m[1] === 'pattern') patterns.push({ access: m[2] ?? 'readwrite', topic: m[3]! });
    else if (user) users.get(user)!.push({ access: m[2] ?? 'readwrite', topic: m[3]! });
    else anonymous.push(line);
  }
  return { anonymous, patterns, users };
}
