/**
 * A normalized view of a synthesized stack (its Terraform JSON) for the audit rules and the
 * report: resources with their construct paths, Kubernetes objects in one shape whether they are
 * typed resources (snake_case) or kubernetes_manifest (camelCase), and the broker files parsed.
 * Pure: it reads JSON, so escape hatches and hand-written resources are audited too.
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
  if (['labels', 'annotations', 'data', 'binaryData', 'binary_data', 'matchLabels', 'match_labels', 'limits', 'requests', 'selector'].includes(key) && !Object.values(v).some((x) => x !== null && typeof x === 'object')) return { ...v };
  return Object.fromEntries(Object.entries(v).filter(([k]) => k !== '//').map(([k, x]) => [camel(k), camelize(x, k)]));
}

const TYPED_KIND: Record<string, string> = {
  kubernetes_namespace_v1: 'Namespace',
  kubernetes_service_account_v1: 'ServiceAccount',
  kubernetes_config_map_v1: 'ConfigMap',
  kubernetes_service_v1: 'Service',
  kubernetes_stateful_set_v1: 'StatefulSet',
  kubernetes_deployment_v1: 'Deployment',
  kubernetes_network_policy_v1: 'NetworkPolicy',
  kubernetes_pod_disruption_budget_v1: 'PodDisruptionBudget',
};

export interface K8sView {
  readonly path: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  /** camelCase body: metadata, spec, data, ... */
  readonly body: any;
}

const list = (v: any): any[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

export function k8sObjects(json: any): K8sView[] {
  const out: K8sView[] = [];
  for (const r of resourcesOf(json)) {
    let body: any;
    let kind: string | undefined;
    if (r.type === 'kubernetes_manifest') {
      body = r.config.manifest;
      kind = body?.kind;
    } else if (TYPED_KIND[r.type]) {
      body = camelize(r.config);
      kind = TYPED_KIND[r.type];
    } else continue;
    out.push({ path: r.path, kind: kind!, name: body?.metadata?.name, namespace: body?.metadata?.namespace, body });
  }
  return out;
}

export interface ContainerView {
  readonly name: string;
  readonly init: boolean;
  readonly image: string;
  readonly securityContext: any;
  readonly resources: { requests: Record<string, string>; limits: Record<string, string> };
  readonly ports: number[];
  readonly command: string[];
  readonly env: { name: string; value?: string }[];
  readonly volumeMounts: { name: string; subPath?: string; readOnly?: boolean }[];
}

export interface PodView {
  readonly owner: K8sView;
  readonly podSecurityContext: any;
  readonly automountServiceAccountToken: unknown;
  readonly hostNetwork: unknown;
  readonly hostPID: unknown;
  readonly containers: ContainerView[];
  readonly volumes: any[];
  readonly labels: Record<string, string>;
  readonly replicas: number;
  readonly topologySpread: any[];
}

/** Pod templates of workloads, whatever resource carries them. */
export function pods(objs: K8sView[]): PodView[] {
  return objs
    .filter((o) => ['StatefulSet', 'Deployment', 'DaemonSet'].includes(o.kind))
    .map((o) => {
      const spec = o.body.spec?.template?.spec ?? {};
      const c = (x: any, init: boolean): ContainerView => ({
        name: x.name,
        init,
        image: x.image ?? '',
        securityContext: x.securityContext ?? {},
        resources: { requests: x.resources?.requests ?? {}, limits: x.resources?.limits ?? {} },
        ports: list(x.ports ?? x.port).map((p: any) => Number(p.containerPort)),
        command: list(x.command),
        env: list(x.env),
        volumeMounts: list(x.volumeMounts ?? x.volumeMount),
      });
      return {
        owner: o,
        podSecurityContext: spec.securityContext ?? {},
        automountServiceAccountToken: spec.automountServiceAccountToken,
        hostNetwork: spec.hostNetwork,
        hostPID: spec.hostPid ?? spec.hostPID,
        containers: [...list(spec.initContainers ?? spec.initContainer).map((x: any) => c(x, true)), ...list(spec.containers ?? spec.container).map((x: any) => c(x, false))],
        volumes: list(spec.volumes ?? spec.volume),
        labels: o.body.spec?.template?.metadata?.labels ?? {},
        replicas: Number(o.body.spec?.replicas ?? 1),
        topologySpread: list(spec.topologySpreadConstraints ?? spec.topologySpreadConstraint),
      };
    });
}

/** A ConfigMap's files, binaryData `*.gz` entries unpacked. */
export function configMapFiles(cm: K8sView): Record<string, string> {
  const files: Record<string, string> = { ...(cm.body.data ?? {}) };
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
}

export function parseMosquittoConf(text: string): MosquittoConfView {
  const global = new Map<string, string[]>();
  const listeners: ListenerView[] = [];
  const order: string[] = [];
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
    if (cur === global) order.push(k!);
    cur.set(k!, [...(cur.get(k!) ?? []), v]);
  }
  return { global, listeners, order };
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
