/**
 * Step 2 of 4 of an EmqxCluster: validates the props and applies every default ONCE, into a
 * complete {@link ResolvedEmqx}; files.ts and objects.ts read only that value.
 */

import type { ClientAuth } from '../broker/client-auth.js';
import { assertDnsLabel, assertInt, assertReason } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';
import { compareVersions, imageRef } from '../core/image.js';
import type { Relaxation } from '../core/relaxation.js';
import { checkPeers, type MqttPeer, resolveResources } from '../k8s/values.js';
import type { Policy } from '../policy/model.js';
import { checkEmqxAclMeaning } from './acl-meaning.js';
import type { EmqxLimits } from './config.js';
import type { EmqxJwtAuth } from './jwt.js';
import { EMQX_DEFAULT_RESOURCES, EMQX_IMAGE, EMQX_PORTS, EMQX_RESERVED_PORTS, EMQX_VERSION_LINE, type EmqxClusterOptions } from './props.js';
import { type ResolvedEmqxRevocation, resolveEmqxRevocation } from './revocation.js';

/** Every setting of a cluster, validated, with every default applied. */
export interface ResolvedEmqx {
  readonly name: string;
  readonly namespace: string;
  readonly createNamespace: boolean;
  readonly image: string;
  readonly replicas: number;
  readonly runAsUser: number;
  readonly policy: Policy;
  readonly credentialsSecretName: string;
  readonly adminSecretName: string;
  readonly tls: {
    readonly secretName: string;
    readonly nodeSecretName: string;
    readonly minVersion: '1.2' | '1.3';
    readonly clientAuth: Exclude<ClientAuth, 'password-or-certificate'>;
    /** Revocation checking and its CRL server. */
    readonly revocation: ResolvedEmqxRevocation | undefined;
  };
  readonly limits: Required<EmqxLimits>;
  readonly wssPort: number | undefined;
  /** As given: jwt.ts validates it where config.ts renders it. */
  readonly jwt: EmqxJwtAuth | undefined;
  readonly allowFrom: readonly MqttPeer[];
  readonly monitoringNamespace: string;
  readonly storageSize: string;
  /** Spread the nodes over zones (replicas > 1 and no singleZoneReason). */
  readonly spreadOverZones: boolean;
  /** Container resources in Kubernetes' shape. */
  readonly resources: ReturnType<typeof resolveResources>;
  readonly relaxations: Relaxation[];
}

/**
 * Every port the cluster opens or keeps reserved, by purpose; refuses a clash (issue: wssPort
 * equal to 18083 would open the dashboard's port to device namespaces).
 */
export function emqxPorts(wssPort: number | undefined): Record<string, number> {
  const ports: Record<string, number> = {
    'MQTT over TLS (mqtts)': EMQX_PORTS.mqtts,
    'dashboard and REST API': EMQX_PORTS.dashboard,
    'Erlang distribution': EMQX_PORTS.dist,
    'cluster RPC': EMQX_PORTS.rpc,
    ...EMQX_RESERVED_PORTS,
  };
  if (wssPort === undefined) return ports;
  assertInt('wssPort', wssPort, 1024, 65535, 'EMQX runs as a non-root user and cannot bind ports below 1024; the usual WSS port is 8084.');
  const clash = Object.entries(ports).find(([, p]) => p === wssPort);
  if (clash) throw new FortressError('EMQX_PORT_CLASH', `wssPort ${wssPort} is already the port of the ${clash[0]}. Every port the cluster opens must differ; the usual WSS port is 8084.`);
  return { ...ports, 'MQTT over secure WebSockets (wss)': wssPort };
}

const DEFAULT_LIMITS: Required<EmqxLimits> = {
  maxConnections: 10000,
  maxConnRatePerSecond: 500,
  messagesPerSecond: 100,
  bytesPerSecond: 524288,
  maxPacketSizeBytes: 262144,
  maxInflight: 20,
  maxQueuedMessages: 1000,
  maxClientIdLength: 128,
  maxTopicLevels: 16,
};

/** Applies the limit defaults and validates every limit; throws FortressError naming the prop. */
export function resolveEmqxLimits(l: EmqxLimits = {}): Required<EmqxLimits> {
  const r = { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)) } as Required<EmqxLimits>;
  assertInt('limits.maxConnections', r.maxConnections, 1, 10_000_000);
  assertInt('limits.maxConnRatePerSecond', r.maxConnRatePerSecond, 1, 100_000);
  assertInt('limits.messagesPerSecond', r.messagesPerSecond, 1, 100_000);
  assertInt('limits.bytesPerSecond', r.bytesPerSecond, 1024, 1_073_741_824);
  assertInt('limits.maxPacketSizeBytes', r.maxPacketSizeBytes, 1024, 268_435_455);
  assertInt('limits.maxInflight', r.maxInflight, 1, 65535);
  assertInt('limits.maxQueuedMessages', r.maxQueuedMessages, 1, 10_000_000);
  assertInt('limits.maxClientIdLength', r.maxClientIdLength, 23, 65535);
  assertInt('limits.maxTopicLevels', r.maxTopicLevels, 1, 65535);
  return r;
}

/** Validates the props and resolves every default (pure). Throws FortressError naming the prop. */
export function resolveEmqx(o: EmqxClusterOptions): ResolvedEmqx {
  const relaxations: Relaxation[] = [];
  if (!o?.policy || typeof o.policy.allows !== 'function') throw new FortressError('EMQX_POLICY', 'policy must be a Policy (Policy.from(spec) or policyFromYamlFile(path)).');
  const name = o.name ?? 'emqx';
  const ns = o.namespace ?? 'mqtt';
  assertDnsLabel('name', name);
  assertDnsLabel('namespace', ns);
  assertDnsLabel('credentialsSecretName', o.credentialsSecretName);
  assertDnsLabel('adminSecretName', o.adminSecretName);
  assertDnsLabel('tls.secretName', o.tls?.secretName);
  assertDnsLabel('tls.nodeSecretName', o.tls?.nodeSecretName);
  if (o.tls.secretName === o.tls.nodeSecretName)
    throw new FortressError(
      'EMQX_NODE_TLS',
      'tls.nodeSecretName must differ from tls.secretName: node-to-node traffic gets its own certificate, so a leaked client-facing key cannot join the cluster.',
    );
  const img = { ...EMQX_IMAGE, ...o.image };
  const image = imageRef('image', img);
  if (!/^\d+\.\d+\.\d+/.test(img.tag) || compareVersions(img.tag, '5.8.0') < 0 || compareVersions(img.tag, '5.9.0') >= 0) {
    throw new FortressError(
      'EMQX_VERSION',
      `image.tag ${show(img.tag)} is not an EMQX ${EMQX_VERSION_LINE}.x release. EMQX 5.9 and later are licensed under the BSL and run a single node without a license; 5.8.x is the last Apache-2.0 line with free clustering. Use ${EMQX_IMAGE.tag}.`,
    );
  }
  const replicas = o.replicas ?? 3;
  assertInt('replicas', replicas, 1, 32, 'EMQX core nodes: 3 (the default) tolerate one lost node.');
  if (replicas === 2) throw new FortressError('EMQX_REPLICAS', 'replicas is 2: two core nodes cannot tell a crashed peer from a partition. Use 1, or 3 or more.');
  const runAsUser = o.runAsUser ?? 10883;
  if (!Number.isInteger(runAsUser) || runAsUser < 10000) throw new FortressError('MOSQ_UID', `runAsUser is ${show(runAsUser)}; use an integer of at least 10000.`);
  relaxations.push(...checkPeers('allowFrom', o.allowFrom));
  if (o.singleZoneReason !== undefined) {
    relaxations.push({ id: 'DOS-2', prop: 'singleZoneReason', reason: assertReason('singleZoneReason', o.singleZoneReason) });
  }
  emqxPorts(o.wssPort);
  checkEmqxAclMeaning(o.policy);
  const clientAuth = o.tls.clientAuth ?? 'password';
  const revocation = resolveEmqxRevocation('tls.revocation', o.tls.revocation, clientAuth, name, ns, o.wssPort);
  const monitoringNamespace = o.monitoringNamespace ?? 'monitoring';
  assertDnsLabel('monitoringNamespace', monitoringNamespace);
  const limits = resolveEmqxLimits(o.limits);
  return {
    name,
    namespace: ns,
    createNamespace: o.createNamespace ?? true,
    image,
    replicas,
    runAsUser,
    policy: o.policy,
    credentialsSecretName: o.credentialsSecretName,
    adminSecretName: o.adminSecretName,
    tls: { secretName: o.tls.secretName, nodeSecretName: o.tls.nodeSecretName, minVersion: o.tls.minVersion ?? '1.2', clientAuth, revocation },
    limits,
    wssPort: o.wssPort,
    jwt: o.jwt,
    allowFrom: [...(o.allowFrom ?? [])],
    monitoringNamespace,
    storageSize: o.storageSize ?? '10Gi',
    spreadOverZones: replicas > 1 && !o.singleZoneReason,
    resources: resolveResources('resources', o.resources, EMQX_DEFAULT_RESOURCES),
    relaxations,
  };
}
