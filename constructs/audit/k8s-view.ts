/**
 * The audit's reading of a synthesized stack, part 2: Kubernetes objects in one shape whether
 * typed resources (snake_case blocks) or kubernetes_manifest carried them, patches merged,
 * workloads read into pod views, ConfigMap files unpacked (view.ts re-exports it).
 */
import { gunzipSync } from 'node:zlib';
import { camelize, K8S_RESOURCE_TYPES, type K8sView, KNOWN_MANIFEST_KINDS, resourcesOf, type TfResource, type UnseenResource, WORKLOAD_KINDS } from './view-types.js';

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
/**
 * Whether text holds an unescaped Terraform interpolation (`${...}`) or template directive
 * (`%{...}`). Scanned left to right as Terraform's template scanner does: `$${` and `%%{` are the
 * literal `${` and `%{`; any other `${` or `%{` is an expression, also right after a `%` or `$`
 * (`%${"..."}` is a literal `%` and an interpolation: a regexp excluding any `$`/`%` before the
 * brace read it as text).
 */
export function hasTerraformExpression(s: string): boolean {
  for (let i = 0; i < s.length - 1; i++) {
    const c = s[i];
    if ((c === '$' || c === '%') && s[i + 1] === c && s[i + 2] === '{') i += 2;
    else if ((c === '$' || c === '%') && s[i + 1] === '{') return true;
  }
  return false;
}

/**
 * Where a resource's object holds something Terraform computes at plan time, so the audit reads
 * text in place of the value: an expression (`${var.type}`, `${jsondecode(file(...))}`, an
 * `each.value`) or a `dynamic` block (its blocks exist only after Terraform expands them).
 * Names and namespaces may be references (the audit keys objects by them and reports a patch it
 * cannot place); anything else is a value some rule may read.
 */
export function computedFields(v: any, at: string[] = []): string[] {
  // An image from a registry reference is still pinned by its literal digest (POD-2 reads that).
  if (typeof v === 'string') return hasTerraformExpression(v) && !(at.at(-1) === 'image' && /@sha256:[0-9a-f]{64}$/.test(v)) ? [at.join('.')] : [];
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
