/**
 * Maps a Kubernetes-shaped object to the configuration of the matching typed resource of
 * `@cdktf/provider-kubernetes`. The provider's shape is Terraform's: list blocks are singular,
 * some single objects are one-element lists, and several integers are strings. cdktf drops keys
 * it does not know without a word, so test/k8s/to-terraform.test.ts checks that every leaf of
 * every object survives synthesis.
 */

/** Plural list fields whose Terraform block name is singular. */
const RENAME: Record<string, string> = {
  containers: 'container',
  initContainers: 'initContainer',
  volumes: 'volume',
  volumeMounts: 'volumeMount',
  tolerations: 'toleration',
  topologySpreadConstraints: 'topologySpreadConstraint',
  volumeClaimTemplates: 'volumeClaimTemplate',
  nodeSelectorTerms: 'nodeSelectorTerm',
  readinessGates: 'readinessGate',
  // Acronyms: Kubernetes writes IP, the provider's camelCase writes Ip.
  clusterIP: 'clusterIp',
  clusterIPs: 'clusterIps',
  externalIPs: 'externalIps',
  loadBalancerIP: 'loadBalancerIp',
  hostIP: 'hostIp',
};

/** Single objects that Terraform models as a list of one block. */
const WRAP = new Set(['tcpSocket', 'grpc', 'updateStrategy', 'rollingUpdate', 'persistentVolumeClaimRetentionPolicy', 'labelSelector']);

/** Integer fields that the provider types as strings. */
const STRINGIFY = new Set(['replicas', 'runAsUser', 'runAsGroup', 'fsGroup', 'defaultMode', 'mode', 'minAvailable', 'maxUnavailable', 'targetPort']);
/** `port` is a string inside these parents (probes; `ports` of a NetworkPolicy only), a number elsewhere (Service). */
const STRING_PORT_PARENTS = new Set(['tcpSocket', 'httpGet', 'ports', 'grpc']);

/** Maps whose keys are data (label names, file names, resource names), not schema attributes. */
function isFreeForm(key: string, kind: string): boolean {
  return (
    key === 'labels' ||
    key === 'annotations' ||
    key === 'matchLabels' ||
    key === 'data' ||
    key === 'binaryData' ||
    key === 'limits' ||
    key === 'requests' ||
    (key === 'selector' && kind === 'Service') ||
    key === 'nodeSelector'
  );
}

function mapValue(value: unknown, key: string, parent: string, kind: string): unknown {
  if (Array.isArray(value)) return value.map((v) => mapValue(v, key, parent, kind));
  if (value !== null && typeof value === 'object') {
    // Free-form string maps stay as they are.
    if (isFreeForm(key, kind)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      let name = RENAME[k] ?? k;
      if (k === 'ports' && kind !== 'NetworkPolicy') name = 'port';
      let mapped = mapValue(v, k, key, kind);
      if (STRINGIFY.has(k) && typeof mapped === 'number') mapped = String(mapped);
      if (k === 'port' && STRING_PORT_PARENTS.has(key) && (key !== 'ports' || kind === 'NetworkPolicy') && typeof mapped === 'number') mapped = String(mapped);
      if (k === 'defaultMode' || k === 'mode') mapped = typeof v === 'number' ? `0${v.toString(8)}` : mapped;
      if (WRAP.has(k) && !Array.isArray(mapped)) mapped = [mapped];
      out[name] = mapped;
    }
    return out;
  }
  return value;
}

/** `{ metadata, spec }` (or `{ metadata, data }`, ...) for the typed resource's constructor. */
export function toTypedConfig(obj: { kind: string; [k: string]: unknown }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || v === undefined) continue;
    out[k] = mapValue(v, k, '', obj.kind);
  }
  return out;
}

function snake(value: unknown, key: string, kind: string): unknown {
  if (Array.isArray(value)) return value.map((v) => snake(v, key, kind));
  if (value === null || typeof value !== 'object' || isFreeForm(key, kind)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snake(v, k, kind)]));
}

/**
 * The Terraform JSON attributes of the typed resource, as the provider's generated class would
 * synthesize them (test/k8s/to-terraform.test.ts proves the two equal for every object the kit
 * makes), without loading that class: `kubernetes_stateful_set_v1` alone is 4.8 MB of JavaScript.
 */
export function toTerraformAttributes(obj: { kind: string; [k: string]: unknown }): Record<string, unknown> {
  return snake(toTypedConfig(obj), '', obj.kind) as Record<string, unknown>;
}
