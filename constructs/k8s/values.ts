/** Validation of Kubernetes values that props carry: resource quantities, labels, peers. */

import { assertInt, assertResolved, parseCidr } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';
import { checkPeerUnion } from '../core/exposure-union.js';
import type { Relaxation } from '../core/relaxation.js';
import type { K8sObject } from './objects.js';

const QUANTITY = /^([0-9]+(\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
const FACTOR: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

export function parseQuantity(prop: string, q: string): number {
  assertResolved(prop, q);
  const m = typeof q === 'string' ? QUANTITY.exec(q) : null;
  if (!m) throw new FortressError('INVALID_QUANTITY', `${prop} must be a Kubernetes quantity such as "250m", "1", "512Mi" or "1Gi", got ${show(q)}.`);
  const v = Number(m[1]) * FACTOR[m[3] ?? '']!;
  if (v <= 0) throw new FortressError('INVALID_QUANTITY', `${prop} must be greater than zero, got ${show(q)}.`);
  return v;
}

export interface ResourceAmounts {
  readonly cpu?: string;
  readonly memory?: string;
  readonly ephemeralStorage?: string;
}

export interface ResourceRequirements {
  /** @default - the component's documented requests */
  readonly requests?: ResourceAmounts;
  /** @default - the component's documented limits */
  readonly limits?: ResourceAmounts;
}

/** Merges with defaults, checks every quantity and that requests do not exceed limits (DOS-2). */
export function resolveResources(
  prop: string,
  given: ResourceRequirements | undefined,
  defaults: Required<{ requests: Required<ResourceAmounts>; limits: Required<ResourceAmounts> }>,
): {
  requests: Record<string, string>;
  limits: Record<string, string>;
} {
  const req = { ...defaults.requests, ...stripUndefined(given?.requests) };
  const lim = { ...defaults.limits, ...stripUndefined(given?.limits) };
  const out = { requests: {} as Record<string, string>, limits: {} as Record<string, string> };
  for (const key of ['cpu', 'memory', 'ephemeralStorage'] as const) {
    const r = parseQuantity(`${prop}.requests.${key}`, req[key]);
    const l = parseQuantity(`${prop}.limits.${key}`, lim[key]);
    if (r > l) throw new FortressError('RESOURCES_INCONSISTENT', `${prop}.requests.${key} (${req[key]}) exceeds ${prop}.limits.${key} (${lim[key]}). Lower the request or raise the limit.`);
    const k8sKey = key === 'ephemeralStorage' ? 'ephemeral-storage' : key;
    out.requests[k8sKey] = req[key];
    out.limits[k8sKey] = lim[key];
  }
  return out;
}

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export function assertLabels(prop: string, labels: Record<string, string> | undefined): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (!LABEL_KEY.test(k))
      throw new FortressError('INVALID_LABEL', `${prop} has an invalid label key ${show(k)}; see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set`);
    if (typeof v !== 'string' || !LABEL_VALUE.test(v))
      throw new FortressError('INVALID_LABEL', `${prop}[${show(k)}] has an invalid label value ${show(v)}: at most 63 characters, alphanumeric at both ends.`);
  }
}

/**
 * A source that may open MQTT connections to the broker (NetworkPolicy `from` entry).
 * Exactly one of `namespace`, `namespaceLabels` or `cidr`.
 */
export interface MqttPeer {
  /** Pods in the namespace with this name (matched by `kubernetes.io/metadata.name`). */
  readonly namespace?: string;
  /** Pods in namespaces carrying these labels. */
  readonly namespaceLabels?: Record<string, string>;
  /** Narrows a namespace peer to pods with these labels. @default - every pod of the namespace */
  readonly podLabels?: Record<string, string>;
  /** An address range outside the cluster, e.g. the NLB subnets or a VPN range. */
  readonly cidr?: string;
  /** Ranges inside `cidr` that stay refused. @default - none */
  readonly except?: readonly string[];
  /**
   * Required when the peers together admit the internet (baseline NET-2: `0.0.0.0/0`, `::/0`, or
   * ranges whose union holds a /8 of public IPv4 or a /32 of global IPv6, such as `0.0.0.0/1` +
   * `128.0.0.0/1`), on one of those cidr peers; and on a `namespaceLabels: {}` peer, which
   * selects every namespace. Why, in words; shown in the security report.
   * @default - none; an open set of peers is refused
   */
  readonly openToWorldReason?: string;
}

/**
 * Checks one peer's shape. Whether the peers together open the broker to the world is judged on
 * their union by {@link checkPeers}.
 */
export function checkPeer(prop: string, p: MqttPeer): void {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new FortressError('PEER_SHAPE', `${prop} must be a peer object with one of namespace, namespaceLabels or cidr, got ${show(p)}.`);
  const set = [p.namespace !== undefined, p.namespaceLabels !== undefined, p.cidr !== undefined].filter(Boolean).length;
  if (set !== 1) throw new FortressError('PEER_SHAPE', `${prop} must set exactly one of namespace, namespaceLabels or cidr, got ${show(p)}.`);
  if (p.cidr !== undefined) {
    if (p.podLabels) throw new FortressError('PEER_SHAPE', `${prop}.podLabels only applies to namespace peers, not to cidr ${show(p.cidr)}.`);
    parseCidr(`${prop}.cidr`, p.cidr);
    if (p.except !== undefined && !Array.isArray(p.except)) throw new FortressError('PEER_SHAPE', `${prop}.except must be a list of CIDRs, got ${show(p.except)}.`);
    for (const [i, e] of (p.except ?? []).entries()) parseCidr(`${prop}.except[${i}]`, e);
  } else if (p.except) {
    throw new FortressError('PEER_SHAPE', `${prop}.except only applies to cidr peers.`);
  }
  if (p.namespace !== undefined && (typeof p.namespace !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p.namespace) || p.namespace.length > 63)) {
    throw new FortressError('INVALID_NAME', `${prop}.namespace must be a namespace name, got ${show(p.namespace)}.`);
  }
  for (const k of ['namespaceLabels', 'podLabels'] as const) {
    const v = p[k];
    if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v))) throw new FortressError('PEER_SHAPE', `${prop}.${k} must be a map of labels, got ${show(v)}.`);
  }
  assertLabels(`${prop}.namespaceLabels`, p.namespaceLabels);
  assertLabels(`${prop}.podLabels`, p.podLabels);
}

/**
 * Checks every peer, then the list as a whole (baseline NET-2): a CIDR union that admits the
 * internet, or a namespace selector without labels, needs `openToWorldReason` on a peer.
 * Returns the relaxations to record.
 */
export function checkPeers(prop: string, peers: readonly MqttPeer[] | undefined): Relaxation[] {
  if (peers !== undefined && !Array.isArray(peers)) throw new FortressError('PEER_SHAPE', `${prop} must be a list of peers, got ${show(peers)}.`);
  (peers ?? []).forEach((p, i) => {
    checkPeer(`${prop}[${i}]`, p);
  });
  return checkPeerUnion(prop, peers ?? []).map((r) => ({ id: 'NET-2', prop: r.prop, reason: r.reason }));
}

export function peerToK8s(p: MqttPeer): Record<string, unknown> {
  if (p.cidr !== undefined) return { ipBlock: { cidr: p.cidr, ...(p.except?.length ? { except: [...p.except] } : {}) } };
  const ns = p.namespace !== undefined ? { 'kubernetes.io/metadata.name': p.namespace } : p.namespaceLabels!;
  return { namespaceSelector: { matchLabels: { ...ns } }, ...(p.podLabels ? { podSelector: { matchLabels: { ...p.podLabels } } } : {}) };
}

export { assertInt };

/** A NetworkPolicy `from`/`to` entry for every pod of one namespace. */
export function namespacePeer(namespace: string): Record<string, unknown> {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } };
}

/** Denies all ingress and egress of the pods `selector` matches, or of every pod of the namespace without one. */
export function denyAllPolicy(metadata: K8sObject['metadata'], selector?: Record<string, string>): K8sObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata, spec: { podSelector: selector ? { matchLabels: { ...selector } } : {}, policyTypes: ['Ingress', 'Egress'] } };
}

/** Admits TCP `ports` of the pods `selector` matches from `from`, and nothing else. */
export function ingressPolicy(metadata: K8sObject['metadata'], selector: Record<string, string>, from: readonly unknown[], ports: readonly number[]): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata,
    spec: { podSelector: { matchLabels: { ...selector } }, policyTypes: ['Ingress'], ingress: [{ from, ports: ports.map((port) => ({ protocol: 'TCP', port })) }] },
  };
}

/** A namespace labelled for Pod Security `restricted` (enforce, audit, warn; baseline POD-1). */
export function restrictedNamespace(name: string): K8sObject {
  const pss = Object.fromEntries(
    ['enforce', 'audit', 'warn'].flatMap((m) => [
      [`pod-security.kubernetes.io/${m}`, 'restricted'],
      [`pod-security.kubernetes.io/${m}-version`, 'latest'],
    ]),
  );
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'app.kubernetes.io/part-of': 'mqtt-fortress', ...pss } } };
}

/** Container securityContext meeting Pod Security `restricted`, with a read-only root filesystem. */
export function restrictedContainer(): Record<string, unknown> {
  return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
}

/** Pod securityContext: a non-root user and group that also own the volumes. */
export function restrictedPod(runAsUser: number, runAsGroup: number): Record<string, unknown> {
  return { runAsNonRoot: true, runAsUser, runAsGroup, fsGroup: runAsGroup, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } };
}
