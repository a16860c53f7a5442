/**
 * Cross-layer reachability: who can reach which broker listener from where, joined across the
 * layers and stacks of one synthesized output: the load balancer's security group rules (AWS
 * stack, followed through cross-stack references) -> the load balancer (Service type, scheme,
 * `loadBalancerSourceRanges`) -> the Service's ports -> the NetworkPolicies that select the
 * broker's pods -> the broker's listener and how it authenticates. Read from cdk.tf.json alone,
 * plus the declared peers the audit file records, so two outputs can be compared.
 *
 * Semantics (AWS Load Balancer Controller, docs "Security Groups for Load Balancers"): with the
 * annotation `aws-load-balancer-security-groups` the given groups are the load balancer's frontend
 * and the controller creates no rule from `loadBalancerSourceRanges`; without it, the source
 * ranges (none: every address) are the frontend. NetworkPolicies are additive: a pod selected by
 * at least one Ingress policy admits the union of their rules. With client IP preservation
 * (`preserve_client_ip.enabled=true`, IP targets) the pod sees the client's address, so an
 * `ipBlock` filters load balancer clients too.
 */

import { mdCode, mdText } from '../audit/escape.js';
import { exposureOf } from '../audit/exposure.js';
import { auditContext } from '../audit/rules.js';
import { type K8sView, podTemplate } from '../audit/view.js';
import { cidrInterval } from '../core/exposure-union.js';

export interface ReachEntry {
  /** A CIDR, or a namespace / pod selector, as declared (`namespace iot-backend`, `any source`). */
  readonly source: string;
  /** The port the source connects to (the load balancer's or Service's port). */
  readonly port: number;
  /** `namespace/broker:listener-port` (stack in `layers`). */
  readonly target: string;
  /** Each layer on the way, in order, in words. */
  readonly layers: readonly { readonly layer: string; readonly stack: string; readonly detail: string }[];
}

export interface Contradiction {
  readonly kind: 'dead-rule' | 'unexplained-peer' | 'plaintext-listener' | 'unresolved';
  readonly stack: string;
  readonly target: string;
  readonly text: string;
}

export interface Reachability {
  readonly entries: readonly ReachEntry[];
  readonly contradictions: readonly Contradiction[];
}

/** Declared peers of one broker, as the audit file records them. */
export interface DeclaredPeers {
  readonly broker: string;
  readonly allowFrom: readonly { namespace?: string; namespaceLabels?: Record<string, string>; podLabels?: Record<string, string>; cidr?: string; except?: readonly string[] }[];
}

type Interval = readonly [bigint, bigint];
interface Ranges {
  readonly v4: Interval[];
  readonly v6: Interval[];
}

function rangesOf(cidrs: readonly { cidr: string; except?: readonly string[] }[]): Ranges | undefined {
  const out: Ranges = { v4: [], v6: [] };
  try {
    for (const c of cidrs) {
      const x = cidrInterval('cidr', c.cidr);
      let parts: Interval[] = [x.range];
      for (const e of c.except ?? []) {
        const [a, b] = cidrInterval('except', e).range;
        parts = parts.flatMap(([s, t]): Interval[] => (b < s || a > t ? [[s, t]] : [...(s < a ? [[s, a - 1n] as Interval] : []), ...(b < t ? [[b + 1n, t] as Interval] : [])]));
      }
      (x.family === 4 ? out.v4 : out.v6).push(...parts);
    }
  } catch {
    return undefined;
  }
  return out;
}

/** Addresses of `a` that `b` also holds, counted (0 when disjoint). */
function overlap(a: Ranges, b: Ranges): { shared: bigint; total: bigint } {
  const count = (xs: Interval[], ys: Interval[]) => {
    let n = 0n;
    for (const [p, q] of xs)
      for (const [r, s] of ys) {
        // biome-ignore lint/complexity/useMathMinMax: bigint, which Math.max does not take
        const lo = p > r ? p : r;
        // biome-ignore lint/complexity/useMathMinMax: bigint, which Math.min does not take
        const hi = q < s ? q : s;
        if (lo <= hi) n += hi - lo + 1n;
      }
    return n;
  };
  const size = (xs: Interval[]) => xs.reduce((n, [p, q]) => n + (q - p + 1n), 0n);
  return { shared: count(a.v4, b.v4) + count(a.v6, b.v6), total: size(a.v4) + size(a.v6) };
}

const sel = (labels: Record<string, string> | undefined) =>
  Object.entries(labels ?? {})
    .sort(([x], [y]) => (x < y ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** A NetworkPolicy peer as declared, in words (also the key that matches a declared allowFrom peer). */
function peerWords(f: any): string {
  if (f.ipBlock) return `${f.ipBlock.cidr}${f.ipBlock.except?.length ? ` except ${f.ipBlock.except.join(', ')}` : ''}`;
  const ns = f.namespaceSelector;
  const nsName = ns?.matchLabels?.['kubernetes.io/metadata.name'];
  const nsPart =
    ns === undefined
      ? undefined
      : ns.matchExpressions?.length
        ? `namespaces ${JSON.stringify(ns)}`
        : nsName && Object.keys(ns.matchLabels).length === 1
          ? `namespace ${nsName}`
          : `namespaces {${sel(ns.matchLabels)}}`;
  const podPart = f.podSelector === undefined ? undefined : f.podSelector.matchExpressions?.length ? `pods ${JSON.stringify(f.podSelector)}` : `pods {${sel(f.podSelector.matchLabels)}}`;
  if (nsPart && podPart) return `${nsPart} / ${podPart}`;
  return nsPart ?? (podPart ? `${podPart} in the policy's namespace` : 'any source');
}

function declaredWords(p: DeclaredPeers['allowFrom'][number]): string {
  if (p.cidr) return `${p.cidr}${p.except?.length ? ` except ${p.except.join(', ')}` : ''}`;
  const ns = p.namespace !== undefined ? `namespace ${p.namespace}` : `namespaces {${sel(p.namespaceLabels)}}`;
  return p.podLabels && Object.keys(p.podLabels).length ? `${ns} / pods {${sel(p.podLabels)}}` : ns;
}

/** Does the selector (possibly) select pods with these labels? `matchExpressions` are not evaluated: read as matching, which can only add reach. */
const matches = (selector: any, labels: Record<string, string>) => Object.entries<string>(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

/** The broker's listeners with their auth mode, and its pods' labels and named container ports. */
function brokersOf(stack: string, json: any) {
  const c = auditContext(stack, json);
  const listeners = exposureOf(stack, json).listeners;
  return c.all.map((b) => {
    const key = `${b.namespace}/${b.name}`;
    const workload = b.pod?.owner ?? c.k8s.find((o) => o.namespace === b.namespace && o.name === b.name && ['StatefulSet', 'Deployment', 'DaemonSet', 'Pod', 'ReplicaSet'].includes(o.kind));
    const t = workload ? podTemplate(workload) : undefined;
    const named = new Map<string, number>();
    for (const k of t?.spec?.containers ?? []) for (const p of k.ports ?? []) if (p.name) named.set(String(p.name), Number(p.containerPort));
    return {
      key,
      namespace: b.namespace,
      labels: t?.labels ?? {},
      named,
      listeners: b.listeners
        .filter((l) => l.port !== undefined && !l.loopback)
        .map((l) => {
          const x = listeners.find((y) => y.broker === key && y.port === l.port);
          const auth = x ? `${x.anonymous ? 'anonymous allowed' : x.clientCertificate ? 'client certificate' : 'password'}, ${x.authorization}` : 'unknown';
          return { port: l.port!, tls: l.tls, words: `${l.tls ? `TLS${l.tlsVersions.length ? ` ${l.tlsVersions.join('/')}` : ''}` : 'plaintext'}, ${auth}` };
        }),
    };
  });
}

const REF = /\$\{data\.terraform_remote_state\.cross-stack-reference-input-([^.]+)\.outputs\.([A-Za-z0-9_-]+)\}/;

/** Security group ingress rules of one group, followed across stacks: `{ cidr | group, ports }` per rule. */
function groupRules(
  ref: string,
  stack: string,
  outputs: ReadonlyMap<string, any>,
): { stack: string; rules: { source: string; cidr?: string; from: number; to: number; description: string }[] } | undefined {
  let where = stack;
  let expr = ref.trim();
  const m = REF.exec(expr);
  if (m) {
    where = m[1]!;
    expr = String(outputs.get(where)?.output?.[m[2]!]?.value ?? '');
  }
  const res = /^\$\{aws_security_group\.([A-Za-z0-9_-]+)\.id\}$/.exec(expr);
  if (!res) return undefined;
  const json = outputs.get(where);
  const rules: { source: string; cidr?: string; from: number; to: number; description: string }[] = [];
  for (const r of Object.values<any>(json?.resource?.aws_vpc_security_group_ingress_rule ?? {})) {
    if (String(r.security_group_id) !== `\${aws_security_group.${res[1]}.id}`) continue;
    const cidr = r.cidr_ipv4 ?? r.cidr_ipv6;
    const all = r.ip_protocol === '-1' || r.ip_protocol === -1;
    rules.push({
      source: cidr ?? (r.referenced_security_group_id ? `security group ${r.referenced_security_group_id}` : `prefix list ${r.prefix_list_id}`),
      ...(cidr ? { cidr } : {}),
      from: all ? 0 : Number(r.from_port),
      to: all ? 65535 : Number(r.to_port),
      description: String(r.description ?? ''),
    });
  }
  for (const g of [json?.resource?.aws_security_group?.[res[1]!]].filter(Boolean))
    for (const i of g.ingress ?? [])
      for (const cidr of [...(i.cidr_blocks ?? []), ...(i.ipv6_cidr_blocks ?? [])])
        rules.push({ source: cidr, cidr, from: Number(i.from_port), to: Number(i.to_port), description: String(i.description ?? '') });
  return { stack: where, rules };
}

/**
 * Reachability of every broker in one synthesized output: `outputs` maps stack name to its
 * cdk.tf.json, `declared` lists each broker's declared peers (from the audit files).
 */
export function reachabilityOf(outputs: ReadonlyMap<string, any>, declared: readonly DeclaredPeers[] = []): Reachability {
  const entries: ReachEntry[] = [];
  const contradictions: Contradiction[] = [];
  for (const [stack, json] of [...outputs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const k8s: K8sView[] = auditContext(stack, json).k8s;
    for (const b of brokersOf(stack, json)) {
      const policies = k8s.filter(
        (o) => o.kind === 'NetworkPolicy' && (o.namespace ?? 'default') === b.namespace && matches(o.body.spec?.podSelector, b.labels) && (o.body.spec?.policyTypes ?? ['Ingress']).includes('Ingress'),
      );
      const services = k8s.filter((o) => o.kind === 'Service' && (o.namespace ?? 'default') === b.namespace && o.body.spec?.selector && matches({ matchLabels: o.body.spec.selector }, b.labels));
      const declaredPeers = declared.find((d) => d.broker === b.key);
      for (const l of b.listeners) {
        const target = `${b.key}:${l.port}`;
        const listenerLayer = { layer: 'listener', stack, detail: `${b.key} port ${l.port}: ${l.words}` };
        const portHit = (p: any) => p.port === undefined || Number(p.port) === l.port || b.named.get(String(p.port)) === l.port;
        // The NetworkPolicy peers admitted on this listener's port; undefined: no policy, every source.
        const admitted = policies.length
          ? policies.flatMap((np) =>
              (np.body.spec?.ingress ?? [])
                .filter((r: any) => !r.ports?.length || r.ports.some(portHit))
                .flatMap((r: any) => (r.from?.length ? r.from : [{}]).map((f: any) => ({ np, f, words: peerWords(f) }))),
            )
          : undefined;
        const npLayer = (words: string, np?: K8sView) => ({
          layer: 'network-policy',
          stack,
          detail: np ? `${np.namespace}/${np.name} admits ${words}` : `no NetworkPolicy selects the broker: ${words} admitted`,
        });
        if (admitted && declaredPeers) {
          const ok = new Set(declaredPeers.allowFrom.map(declaredWords));
          for (const a of admitted)
            if (!ok.has(a.words))
              contradictions.push({
                kind: 'unexplained-peer',
                stack,
                target,
                text: `NetworkPolicy ${a.np.namespace}/${a.np.name} admits ${a.words} on port ${l.port}, which no declared peer (allowFrom) of ${b.key} explains`,
              });
        }
        const cidrAdmitted = admitted ? rangesOf(admitted.filter((a) => a.f.ipBlock).map((a) => a.f.ipBlock)) : undefined;
        const anyAdmitted = admitted === undefined || admitted.some((a) => a.words === 'any source');
        const servicePorts = services.flatMap((s) =>
          (s.body.spec?.ports ?? []).filter((p: any) => (p.targetPort === undefined ? Number(p.port) === l.port : portHit({ port: p.targetPort }))).map((p: any) => ({ s, p })),
        );
        // In the cluster: each admitted peer, through each Service port (or the pod port).
        const byPort = new Map<number, string[]>();
        for (const { s, p } of servicePorts) byPort.set(Number(p.port), [...(byPort.get(Number(p.port)) ?? []), `${s.namespace}/${s.name}`]);
        const clusterPorts = byPort.size
          ? [...byPort].map(([port, names]) => ({ port, via: `Service${names.length > 1 ? 's' : ''} ${names.join(', ')} port ${port} -> ${l.port}` }))
          : [{ port: l.port, via: 'pod address (no Service)' }];
        for (const { port, via } of clusterPorts)
          for (const a of admitted ?? [{ np: undefined, words: 'any source' }])
            entries.push({ source: a.words, port, target, layers: [{ layer: 'service', stack, detail: via }, npLayer(a.words, a.np), listenerLayer] });
        for (const { s, p } of servicePorts) {
          const spec = s.body.spec;
          if (spec.type !== 'LoadBalancer' && spec.type !== 'NodePort') continue;
          const ann = s.body.metadata?.annotations ?? {};
          const port = spec.type === 'NodePort' ? Number(p.nodePort ?? p.port) : Number(p.port);
          const lbWords =
            spec.type === 'NodePort'
              ? `node port ${port} on every node`
              : `${ann['service.beta.kubernetes.io/aws-load-balancer-scheme'] ?? 'default-scheme (internet-facing on AWS)'} load balancer ${s.namespace}/${s.name} port ${p.port}`;
          const preserved = /preserve_client_ip\.enabled=true/.test(String(ann['service.beta.kubernetes.io/aws-load-balancer-target-group-attributes'] ?? ''));
          const groups = String(ann['service.beta.kubernetes.io/aws-load-balancer-security-groups'] ?? '')
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean);
          const ranges: string[] = spec.loadBalancerSourceRanges ?? [];
          let sources: { source: string; cidr?: string; layer: { layer: string; stack: string; detail: string } }[];
          if (spec.type === 'NodePort') sources = [{ source: 'any address that reaches a node', layer: { layer: 'node', stack, detail: 'NodePort: the nodes\u2019 security groups decide' } }];
          else if (groups.length) {
            sources = [];
            for (const g of groups) {
              const r = groupRules(g, stack, outputs);
              if (!r) {
                contradictions.push({ kind: 'unresolved', stack, target, text: `security group ${g} of ${s.namespace}/${s.name} is not in these outputs: its rules cannot be read` });
                continue;
              }
              for (const x of r.rules.filter((x) => x.from <= port && port <= x.to))
                sources.push({
                  source: x.source,
                  ...(x.cidr ? { cidr: x.cidr } : {}),
                  layer: { layer: 'security-group', stack: r.stack, detail: `admits ${x.source} on ${x.from === x.to ? x.from : `${x.from}-${x.to}`} (${x.description})` },
                });
            }
          } else
            sources = (ranges.length ? ranges : ['0.0.0.0/0', '::/0']).map((cidr) => ({
              source: cidr,
              cidr,
              layer: { layer: 'load-balancer', stack, detail: ranges.length ? `loadBalancerSourceRanges admits ${cidr}` : 'no loadBalancerSourceRanges: every address' },
            }));
          for (const src of sources) {
            const lb = {
              layer: 'load-balancer',
              stack,
              detail: `${lbWords}${groups.length && ranges.length ? ` (loadBalancerSourceRanges ${ranges.join(', ')} not applied: custom security groups)` : ''}`,
            };
            let np: { layer: string; stack: string; detail: string };
            if (anyAdmitted) np = npLayer('any source', admitted?.find((a) => a.words === 'any source')?.np);
            else if (!preserved) np = { layer: 'network-policy', stack, detail: 'client addresses not preserved: the NetworkPolicies see the load balancer, not the client' };
            else {
              const r = src.cidr ? rangesOf([{ cidr: src.cidr }]) : undefined;
              const o = r && cidrAdmitted ? overlap(r, cidrAdmitted) : undefined;
              if (o && o.shared === 0n) {
                contradictions.push({
                  kind: 'dead-rule',
                  stack,
                  target,
                  text: `${src.layer.detail.startsWith('admits') ? `security group (stack ${src.layer.stack})` : 'load balancer'} admits ${src.source} on port ${port}, but no NetworkPolicy selecting ${b.key} admits it: the rule is dead`,
                });
                continue;
              }
              const by = admitted?.find((a) => a.f.ipBlock && r && overlap(r, rangesOf([a.f.ipBlock]) ?? { v4: [], v6: [] }).shared > 0n)?.np;
              np = npLayer(o && o.shared < o.total ? `part of ${src.source} (${o.shared} of ${o.total} addresses)` : src.source, by);
            }
            entries.push({
              source: src.source,
              port,
              target,
              layers: [
                src.layer,
                ...(src.layer.layer === 'load-balancer' ? [] : [lb]),
                { layer: 'service', stack, detail: `Service ${s.namespace}/${s.name} port ${p.port} -> ${l.port}` },
                np,
                listenerLayer,
              ],
            });
          }
        }
        if (!l.tls && entries.some((e) => e.target === target)) contradictions.push({ kind: 'plaintext-listener', stack, target, text: `listener ${target} is reachable without TLS (${l.words})` });
      }
    }
  }
  return { entries, contradictions };
}

/** How a source enters: through a load balancer, a node port, or inside the cluster. */
const entry = (e: ReachEntry) => ({ 'security-group': 'load balancer', 'load-balancer': 'load balancer', node: 'node port' })[e.layers[0]!.layer] ?? 'cluster';

/** Reachability gained and lost between two outputs: an entry (source, port, target, way in) on one side only; a CIDR inside the other side's CIDRs for the same port and target is not new. */
export function diffReachability(before: Reachability, after: Reachability): { gained: ReachEntry[]; lost: ReachEntry[] } {
  const side = (x: Reachability, y: Reachability) =>
    x.entries.filter((e) => {
      const same = y.entries.filter((o) => o.port === e.port && o.target === e.target && entry(o) === entry(e));
      if (same.some((o) => o.source === e.source)) return false;
      const r = rangesOf([{ cidr: e.source }]);
      const others = rangesOf(same.flatMap((o) => (rangesOf([{ cidr: o.source }]) ? [{ cidr: o.source }] : [])));
      if (r && others) {
        const o = overlap(r, others);
        return o.shared < o.total;
      }
      return true;
    });
  const uniq = (xs: ReachEntry[]) => xs.filter((e, i) => xs.findIndex((o) => o.source === e.source && o.port === e.port && o.target === e.target && entry(o) === entry(e)) === i);
  return { gained: uniq(side(after, before)), lost: uniq(side(before, after)) };
}

export interface ReachabilityDiff {
  readonly gained: readonly ReachEntry[];
  readonly lost: readonly ReachEntry[];
  /** Contradictions of AFTER, each with whether BEFORE had it too. */
  readonly contradictions: readonly (Contradiction & { readonly new: boolean })[];
}

/** Widening items: reachability gained, and new contradictions that admit more than declared. */
export function reachabilityWidening(d: ReachabilityDiff): number {
  return d.gained.length + d.contradictions.filter((c) => c.new && c.kind !== 'dead-rule').length;
}

export function compareReachability(before: Reachability, after: Reachability): ReachabilityDiff {
  const had = new Set(before.contradictions.map((c) => `${c.kind}\u0000${c.text}`));
  return { ...diffReachability(before, after), contradictions: after.contradictions.map((c) => ({ ...c, new: !had.has(`${c.kind}\u0000${c.text}`) })) };
}

const path = (e: ReachEntry) => e.layers.map((l) => `${l.layer} (${l.stack}): ${l.detail}`).join(' → ');

/** The reachability of one output as a Markdown section (every value escaped). */
export function renderReachability(r: Reachability): string {
  const L = ['## Reachability', '', 'Who can reach which broker listener from where, joined across stacks: security group, load balancer, Service, NetworkPolicy, listener.', ''];
  if (!r.entries.length) L.push('_no broker listener is reachable_', '');
  else L.push('| Source | Port | Target | Path |', '| --- | --- | --- | --- |', ...r.entries.map((e) => `| ${mdText(e.source)} | ${e.port} | ${mdText(e.target)} | ${mdText(path(e))} |`), '');
  L.push(
    `### Contradictions (${r.contradictions.length})`,
    '',
    ...(r.contradictions.length ? r.contradictions.map((c) => `- **${c.kind}** (stack ${mdCode(c.stack)}): ${mdText(c.text)}`) : ['_none_']),
    '',
  );
  return L.join('\n');
}

/** The diff's "Reachability changes" section: gained first. */
export function renderReachabilityDiff(d: ReachabilityDiff): string {
  const L = ['## Reachability changes', ''];
  const fresh = d.contradictions.filter((c) => c.new);
  if (!d.gained.length && !d.lost.length && !fresh.length) return [...L, '_no change in who can reach which listener_', ''].join('\n');
  const line = (e: ReachEntry) => `- ${mdCode(e.source)} → port ${e.port} → ${mdCode(e.target)}: ${mdText(path(e))}`;
  if (d.gained.length) L.push(`### Reachability gained (${d.gained.length})`, '', ...d.gained.map(line), '');
  if (fresh.length) L.push(`### New contradictions (${fresh.length})`, '', ...fresh.map((c) => `- **${c.kind}** (stack ${mdCode(c.stack)}): ${mdText(c.text)}`), '');
  if (d.lost.length) L.push(`### Reachability lost (${d.lost.length})`, '', ...d.lost.map(line), '');
  return L.join('\n');
}
