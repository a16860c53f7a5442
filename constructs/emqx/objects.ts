/**
 * Kubernetes objects of a hardened EMQX 5.8 cluster (pure). EmqxCluster is a thin construct over
 * {@link buildEmqx}.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ClientAuth } from '../broker/client-auth.js';
import { assertDnsLabel, assertInt, assertReason } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';
import { compareVersions, imageRef } from '../core/image.js';
import type { Relaxation } from '../core/relaxation.js';
import type { K8sObject } from '../k8s/objects.js';
import {
  checkPeers,
  denyAllPolicy,
  ingressPolicy,
  type MqttPeer,
  namespacePeer,
  peerToK8s,
  type ResourceRequirements,
  resolveResources,
  restrictedContainer,
  restrictedNamespace,
  restrictedPod,
} from '../k8s/values.js';
import type { Policy } from '../policy/model.js';
import { renderEmqxAcl } from '../policy/render-emqx.js';
import { templatePath } from '../templates.js';
import { checkEmqxAclMeaning } from './acl-meaning.js';
import { EMQX_PATHS, type EmqxLimits, renderEmqxConfig, renderSslDist } from './config.js';
import { type EmqxSchema, validateEmqxConfig } from './schema.js';

let shippedSchema: EmqxSchema | undefined;

/** EMQX 5.8.x is the last Apache-2.0 line that clusters without a license. */
export const EMQX_VERSION_LINE = '5.8';
export const EMQX_IMAGE = { repository: 'emqx/emqx', tag: '5.8.9' } as const;

export interface EmqxClusterOptions {
  readonly policy: Policy;
  /** Secret with one key per username (plaintext); the init container hashes it. */
  readonly credentialsSecretName: string;
  /**
   * Secret with `cookie` (Erlang distribution cookie), `dashboard-password` and `api-keys`
   * (`key:secret` lines for the Prometheus scraper and `fortress-credential-sync`, the sidecar
   * that imports rotated passwords; no role suffix: the open-source edition has no API key roles,
   * every key has full REST API rights). Never in configuration.
   */
  readonly adminSecretName: string;
  readonly tls: {
    /** kubernetes.io/tls Secret of the MQTT listener (tls.crt, tls.key, ca.crt). */
    readonly secretName: string;
    /** Certificate of the nodes for distribution and RPC, verified both ways. */
    readonly nodeSecretName: string;
    /** @default '1.2' */
    readonly minVersion?: '1.2' | '1.3';
    /** @default 'password' */
    readonly clientAuth?: Exclude<ClientAuth, 'password-or-certificate'>;
  };
  /** The image, pinned by digest (`crane digest emqx/emqx:5.8.9`); 5.8.x only. */
  readonly image: { readonly repository?: string; readonly tag?: string; readonly digest: string };
  /** @default 'emqx' */
  readonly name?: string;
  /** @default 'mqtt' */
  readonly namespace?: string;
  /** @default true */
  readonly createNamespace?: boolean;
  /** Core nodes. @default 3 */
  readonly replicas?: number;
  /** @default 10883 */
  readonly runAsUser?: number;
  readonly resources?: ResourceRequirements;
  readonly limits?: EmqxLimits;
  /** MQTT over secure WebSockets. @default - off */
  readonly wssPort?: number;
  readonly allowFrom?: readonly MqttPeer[];
  /** @default 'monitoring' */
  readonly monitoringNamespace?: string;
  /** @default '10Gi' */
  readonly storageSize?: string;
  /**
   * Allow replicas without zone spread, e.g. in a single-zone test cluster.
   * @default - spread over zones is required when replicas > 1
   */
  readonly singleZoneReason?: string;
}

export const EMQX_DEFAULT_RESOURCES = {
  requests: { cpu: '500m', memory: '1Gi', ephemeralStorage: '256Mi' },
  limits: { cpu: '2', memory: '2Gi', ephemeralStorage: '1Gi' },
};

/** Name of the API key the credential-sync sidecar authenticates with. */
export const EMQX_SYNC_API_KEY = 'fortress-credential-sync';

export const EMQX_PORTS = { mqtts: 8883, dashboard: 18083, dist: 4370, rpc: 5369 } as const;

/**
 * Default ports of the listeners the kit switches off (`listeners.tcp.default`, `ws.default`):
 * their `bind` stays at the default, so enabling one later (for example by an `EMQX_LISTENERS__`
 * environment override) would collide with a prop that took the port.
 */
export const EMQX_RESERVED_PORTS = { 'disabled tcp listener': 1883, 'disabled ws listener': 8083 } as const;

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

export interface EmqxBuild {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly config: Record<string, unknown>;
  readonly files: { 'emqx.conf': string; 'acl.conf': string; 'ssl_dist.conf': string; users: string };
  readonly objects: K8sObject[];
  readonly relaxations: Relaxation[];
}

export function buildEmqx(o: EmqxClusterOptions): EmqxBuild {
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
  const monitoringNamespace = o.monitoringNamespace ?? 'monitoring';
  assertDnsLabel('monitoringNamespace', monitoringNamespace);
  const headless = `${name}-headless`;
  const minTls = o.tls.minVersion ?? '1.2';
  const config = renderEmqxConfig({
    clusterName: name,
    discoveryDnsName: `${headless}.${ns}.svc.cluster.local`,
    clientAuth: o.tls.clientAuth ?? 'password',
    minTlsVersion: minTls,
    ...(o.limits ? { limits: o.limits } : {}),
    ...(o.wssPort !== undefined ? { wssPort: o.wssPort } : {}),
  });
  shippedSchema ??= JSON.parse(readFileSync(templatePath('emqx/emqx-5.8-config-schema.json'), 'utf8')) as EmqxSchema;
  const problems = validateEmqxConfig(shippedSchema, config);
  if (problems.length) {
    throw new FortressError(
      'EMQX_CONFIG',
      `the rendered emqx.conf does not match the EMQX 5.8 schema: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}. Check the limits and TLS props.`,
    );
  }
  const files = {
    'emqx.conf': `# Rendered by mqtt-fortress (HOCON, JSON syntax). Do not edit: change the construct props.\n${JSON.stringify(config, null, 2)}\n`,
    // Class templates (`all` rules with ${username}) only where the built-in database is the only way in.
    'acl.conf': renderEmqxAcl(o.policy, { classPatterns: (o.tls.clientAuth ?? 'password') !== 'certificate' }),
    'ssl_dist.conf': renderSslDist(minTls),
    users: `${o.policy.principals.map((p) => p.username).join('\n')}\n`,
  };
  const resources = resolveResources('resources', o.resources, EMQX_DEFAULT_RESOURCES);
  const labels = {
    'app.kubernetes.io/name': 'emqx',
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/component': 'broker',
    'app.kubernetes.io/part-of': 'mqtt-fortress',
    'app.kubernetes.io/managed-by': 'terraform',
  };
  const selector = { 'app.kubernetes.io/name': 'emqx', 'app.kubernetes.io/instance': name };
  const meta = (n: string) => ({ name: n, namespace: ns, labels: { ...labels } });
  const hashErl = readFileSync(templatePath('emqx/hash-credentials.erl'), 'utf8');
  const hashSh = readFileSync(templatePath('emqx/hash-credentials.sh'), 'utf8');
  const restartHash = createHash('sha256').update(JSON.stringify(files)).update(hashErl).digest('hex').slice(0, 16);
  const secCtx = restrictedContainer();
  const small = { requests: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '16Mi' }, limits: { cpu: '500m', memory: '256Mi', 'ephemeral-storage': '64Mi' } };
  const secretEnv = (envName: string, key: string) => ({ name: envName, valueFrom: { secretKeyRef: { name: o.adminSecretName, key } } });
  // hash-credentials.erl, as the init container (bootstrap) or the credential-sync sidecar.
  const hashContainer = (containerName: string, mode: 'bootstrap' | 'sync', env: { name: string; value: string }[], mounts: Record<string, unknown>[]) => ({
    name: containerName,
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['/bin/sh', `${EMQX_PATHS.fortress}/hash-credentials.sh`],
    env: [{ name: 'FORTRESS_MODE', value: mode }, { name: 'FORTRESS_PLAIN', value: '/run/fortress/plain' }, { name: 'FORTRESS_USERS', value: `${EMQX_PATHS.fortress}/users` }, ...env],
    securityContext: secCtx,
    resources: small,
    volumeMounts: [
      { name: 'config', mountPath: EMQX_PATHS.fortress, readOnly: true },
      // No subPath: the kubelet updates the files when external-secrets refreshes the Secret.
      { name: 'credentials', mountPath: '/run/fortress/plain', readOnly: true },
      ...mounts,
    ],
  });
  const ports = [
    { name: 'mqtts', containerPort: EMQX_PORTS.mqtts, protocol: 'TCP' },
    ...(o.wssPort !== undefined ? [{ name: 'wss', containerPort: o.wssPort, protocol: 'TCP' }] : []),
    { name: 'dashboard', containerPort: EMQX_PORTS.dashboard, protocol: 'TCP' },
    { name: 'dist', containerPort: EMQX_PORTS.dist, protocol: 'TCP' },
    { name: 'rpc', containerPort: EMQX_PORTS.rpc, protocol: 'TCP' },
  ];
  const clientPorts = [EMQX_PORTS.mqtts, ...(o.wssPort !== undefined ? [o.wssPort] : [])];
  const objects: K8sObject[] = [];
  if (o.createNamespace ?? true) {
    objects.push(restrictedNamespace(ns));
  }
  objects.push(
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name), automountServiceAccountToken: false },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${name}-config`), data: { ...files, 'hash-credentials.erl': hashErl, 'hash-credentials.sh': hashSh } },
    // DNS SRV discovery: every node, ready or not, must be resolvable to form the cluster.
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(headless),
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: { ...selector },
        ports: [
          { name: 'dist', port: EMQX_PORTS.dist, targetPort: 'dist', protocol: 'TCP' },
          { name: 'rpc', port: EMQX_PORTS.rpc, targetPort: 'rpc', protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(name),
      spec: { type: 'ClusterIP', selector: { ...selector }, ports: clientPorts.map((p, i) => ({ name: i === 0 ? 'mqtts' : 'wss', port: p, targetPort: i === 0 ? 'mqtts' : 'wss', protocol: 'TCP' })) },
    },
  );
  const spread = replicas > 1 && !o.singleZoneReason;
  objects.push({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(name),
    spec: {
      replicas,
      serviceName: headless,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: { ...selector } },
      updateStrategy: { type: 'RollingUpdate' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template: {
        metadata: { labels: { ...labels }, annotations: { 'mqtt-fortress.io/restart-hash': restartHash } },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 60,
          securityContext: restrictedPod(runAsUser, runAsUser),
          ...(replicas > 1
            ? {
                affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { ...selector } }, topologyKey: 'kubernetes.io/hostname' }] } },
                topologySpreadConstraints: spread
                  ? [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { ...selector } } }]
                  : [],
              }
            : {}),
          initContainers: [hashContainer('hash-credentials', 'bootstrap', [{ name: 'FORTRESS_OUT', value: EMQX_PATHS.auth }], [{ name: 'auth', mountPath: EMQX_PATHS.auth }])],
          containers: [
            {
              name: 'emqx',
              image,
              imagePullPolicy: 'IfNotPresent',
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'EMQX_NODE__NAME', value: `emqx@$(POD_NAME).${headless}.${ns}.svc.cluster.local` },
                secretEnv('EMQX_NODE__COOKIE', 'cookie'),
                secretEnv('EMQX_DASHBOARD__DEFAULT_PASSWORD', 'dashboard-password'),
              ],
              ports,
              securityContext: secCtx,
              resources,
              readinessProbe: { httpGet: { path: '/status', port: EMQX_PORTS.dashboard }, initialDelaySeconds: 10, periodSeconds: 10 },
              livenessProbe: { httpGet: { path: '/status', port: EMQX_PORTS.dashboard }, initialDelaySeconds: 60, periodSeconds: 30, failureThreshold: 5 },
              volumeMounts: [
                // A single file inside /opt/emqx/etc, which holds more: subPath is right for a config file that changes only with a rollout.
                { name: 'config', mountPath: EMQX_PATHS.conf, subPath: 'emqx.conf', readOnly: true },
                { name: 'config', mountPath: EMQX_PATHS.sslDist, subPath: 'ssl_dist.conf', readOnly: true },
                { name: 'config', mountPath: EMQX_PATHS.fortress, readOnly: true },
                { name: 'tls', mountPath: EMQX_PATHS.tls, readOnly: true },
                { name: 'node-tls', mountPath: EMQX_PATHS.nodeTls, readOnly: true },
                { name: 'auth', mountPath: EMQX_PATHS.auth, readOnly: true },
                { name: 'admin', mountPath: EMQX_PATHS.admin, readOnly: true },
                { name: 'data', mountPath: EMQX_PATHS.data },
                { name: 'log', mountPath: '/opt/emqx/log' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
            // EMQX imports bootstrap.csv only for users it does not know yet. This sidecar posts the
            // hashes to the node's REST API (import_users?type=hash, which overrides) whenever the
            // mounted Secret changes, so rotated passwords reach the cluster without a restart.
            hashContainer(
              'credential-sync',
              'sync',
              [
                { name: 'FORTRESS_API_KEYS', value: `${EMQX_PATHS.admin}/api-keys` },
                { name: 'FORTRESS_API_KEY_NAME', value: EMQX_SYNC_API_KEY },
                { name: 'FORTRESS_API', value: `127.0.0.1:${EMQX_PORTS.dashboard}` },
                { name: 'FORTRESS_INTERVAL_MS', value: '30000' },
              ],
              [
                { name: 'admin', mountPath: EMQX_PATHS.admin, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            ),
          ],
          volumes: [
            { name: 'config', configMap: { name: `${name}-config`, defaultMode: 0o440 } },
            { name: 'tls', secret: { secretName: o.tls.secretName, defaultMode: 0o440 } },
            { name: 'node-tls', secret: { secretName: o.tls.nodeSecretName, defaultMode: 0o440 } },
            { name: 'credentials', secret: { secretName: o.credentialsSecretName, defaultMode: 0o440 } },
            { name: 'admin', secret: { secretName: o.adminSecretName, defaultMode: 0o440, items: [{ key: 'api-keys', path: 'api-keys' }] } },
            { name: 'auth', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
            { name: 'log', emptyDir: { sizeLimit: '256Mi' } },
            { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
          ],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data', labels: { ...labels } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: o.storageSize ?? '10Gi' } } } }],
    },
  });
  objects.push({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(name),
    spec: { maxUnavailable: 1, selector: { matchLabels: { ...selector } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  });
  const self = { podSelector: { matchLabels: { ...selector } } };
  objects.push(
    denyAllPolicy(meta(`${name}-default-deny`), (o.createNamespace ?? true) ? undefined : selector),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(`${name}-cluster`),
      spec: {
        podSelector: { matchLabels: { ...selector } },
        policyTypes: ['Ingress', 'Egress'],
        // Distribution and RPC between EMQX nodes only; DNS for SRV discovery.
        ingress: [
          {
            from: [self],
            ports: [
              { protocol: 'TCP', port: EMQX_PORTS.dist },
              { protocol: 'TCP', port: EMQX_PORTS.rpc },
            ],
          },
        ],
        egress: [
          {
            to: [self],
            ports: [
              { protocol: 'TCP', port: EMQX_PORTS.dist },
              { protocol: 'TCP', port: EMQX_PORTS.rpc },
            ],
          },
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      },
    },
    ingressPolicy(meta(`${name}-allow-metrics`), selector, [namespacePeer(monitoringNamespace)], [EMQX_PORTS.dashboard]),
  );
  if ((o.allowFrom ?? []).length) {
    objects.push(ingressPolicy(meta(`${name}-allow-mqtts`), selector, (o.allowFrom ?? []).map(peerToK8s), clientPorts));
  }
  return { name, namespace: ns, replicas, config, files, objects, relaxations };
}
