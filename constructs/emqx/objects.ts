/**
 * Step 4 of 4 of an EmqxCluster: every Kubernetes object of the cluster, built from a
 * {@link ResolvedEmqx} and its rendered files (pure, no cdktf). {@link buildEmqx} runs the four
 * steps; EmqxCluster is a thin construct over it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Relaxation } from '../core/relaxation.js';
import { credentialVolumes } from '../credentials/shard-volumes.js';
import type { K8sObject } from '../k8s/objects.js';
import { denyAllPolicy, ingressPolicy, namespacePeer, peerToK8s, restrictedContainer, restrictedNamespace, restrictedPod } from '../k8s/values.js';
import { templatePath } from '../templates.js';
import { EMQX_PATHS } from './config.js';
import { type EmqxFiles, renderEmqxFiles } from './files.js';
import { jwtKeyVolume } from './jwt.js';
import { EMQX_PORTS, EMQX_SYNC_API_KEY, type EmqxClusterOptions } from './props.js';
import { type ResolvedEmqx, resolveEmqx } from './resolve.js';
import { emqxCrlEgress, emqxCrlObjects } from './revocation.js';

export interface EmqxBuild {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly config: Record<string, unknown>;
  readonly files: EmqxFiles;
  readonly resolved: ResolvedEmqx;
  readonly objects: K8sObject[];
  readonly relaxations: Relaxation[];
}

/** Validates the props and builds every object (pure). Throws FortressError naming the prop. */
export function buildEmqx(o: EmqxClusterOptions): EmqxBuild {
  const r = resolveEmqx(o);
  const { config, files } = renderEmqxFiles(r);
  return { name: r.name, namespace: r.namespace, replicas: r.replicas, config, files, objects: emqxObjects(r, files), relaxations: r.relaxations, resolved: r };
}

/** What the objects of one cluster share: names, labels, metadata, the containers' common parts. */
function clusterParts(r: ResolvedEmqx, files: EmqxFiles) {
  const { name, namespace: ns, image } = r;
  const headless = `${name}-headless`;
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
  // One Secret of passwords, or one per shard for a fleet larger than one Secret.
  const plain = credentialVolumes(
    r.credentialsSecretName,
    r.policy.principals.map((p) => p.username),
    '/run/fortress/plain',
  );
  const secretEnv = (envName: string, key: string) => ({ name: envName, valueFrom: { secretKeyRef: { name: r.adminSecretName, key } } });
  // hash-credentials.erl, as the init container (bootstrap) or the credential-sync sidecar.
  const hashContainer = (containerName: string, mode: 'bootstrap' | 'sync', env: { name: string; value: string }[], mounts: Record<string, unknown>[]) => ({
    name: containerName,
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['/bin/sh', `${EMQX_PATHS.fortress}/hash-credentials.sh`],
    env: [{ name: 'FORTRESS_MODE', value: mode }, { name: 'FORTRESS_PLAIN', value: plain.plainEnv }, { name: 'FORTRESS_USERS', value: `${EMQX_PATHS.fortress}/users` }, ...env],
    securityContext: secCtx,
    resources: small,
    volumeMounts: [
      { name: 'config', mountPath: EMQX_PATHS.fortress, readOnly: true },
      // No subPath: the kubelet updates the files when external-secrets refreshes the Secret.
      ...plain.mounts,
      ...mounts,
    ],
  });
  const ports = [
    { name: 'mqtts', containerPort: EMQX_PORTS.mqtts, protocol: 'TCP' },
    ...(r.wssPort !== undefined ? [{ name: 'wss', containerPort: r.wssPort, protocol: 'TCP' }] : []),
    { name: 'dashboard', containerPort: EMQX_PORTS.dashboard, protocol: 'TCP' },
    { name: 'dist', containerPort: EMQX_PORTS.dist, protocol: 'TCP' },
    { name: 'rpc', containerPort: EMQX_PORTS.rpc, protocol: 'TCP' },
  ];
  return { name, ns, image, headless, labels, selector, meta, hashErl, hashSh, restartHash, secCtx, secretEnv, hashContainer, ports, plain };
}

/** The Kubernetes objects of a resolved cluster, in apply order. */
export function emqxObjects(r: ResolvedEmqx, files: EmqxFiles): K8sObject[] {
  const parts = clusterParts(r, files);
  const { name, ns, headless, selector, meta, hashErl, hashSh } = parts;
  const clientPorts = [EMQX_PORTS.mqtts, ...(r.wssPort !== undefined ? [r.wssPort] : [])];
  const objects: K8sObject[] = [];
  if (r.createNamespace) {
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
  objects.push(emqxStatefulSet(r, parts));
  objects.push({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(name),
    spec: { maxUnavailable: 1, selector: { matchLabels: { ...selector } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  });
  const self = { podSelector: { matchLabels: { ...selector } } };
  objects.push(
    denyAllPolicy(meta(`${name}-default-deny`), r.createNamespace ? undefined : selector),
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
          // The CRL server (tls.revocation): EMQX fetches the CRL of client certificates from it.
          ...(r.tls.revocation ? [emqxCrlEgress(name)] : []),
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
    ingressPolicy(meta(`${name}-allow-metrics`), selector, [namespacePeer(r.monitoringNamespace)], [EMQX_PORTS.dashboard]),
  );
  if (r.allowFrom.length) {
    objects.push(ingressPolicy(meta(`${name}-allow-mqtts`), selector, r.allowFrom.map(peerToK8s), clientPorts));
  }
  if (r.tls.revocation) {
    // Its own UID: the broker's user cannot read the CA key the CRL server mounts.
    objects.push(
      ...emqxCrlObjects(r.tls.revocation, { name, namespace: ns, image: parts.image, runAsUser: r.runAsUser + 1, tlsSecretName: r.tls.secretName, labels: parts.labels, emqxSelector: selector }),
    );
  }
  return objects;
}

function emqxStatefulSet(r: ResolvedEmqx, parts: ReturnType<typeof clusterParts>): K8sObject {
  const { name, ns, image, headless, labels, selector, meta, restartHash, secCtx, secretEnv, hashContainer, ports } = parts;
  const { replicas, runAsUser, resources } = r;
  const spread = r.spreadOverZones;
  const jwtKey = jwtKeyVolume(r.jwt);
  return {
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
                ...(jwtKey ? [jwtKey.mount] : []),
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
            { name: 'tls', secret: { secretName: r.tls.secretName, defaultMode: 0o440 } },
            { name: 'node-tls', secret: { secretName: r.tls.nodeSecretName, defaultMode: 0o440 } },
            ...parts.plain.volumes,
            { name: 'admin', secret: { secretName: r.adminSecretName, defaultMode: 0o440, items: [{ key: 'api-keys', path: 'api-keys' }] } },
            ...(jwtKey ? [jwtKey.volume] : []),
            { name: 'auth', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
            { name: 'log', emptyDir: { sizeLimit: '256Mi' } },
            { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
          ],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data', labels: { ...labels } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: r.storageSize } } } }],
    },
  };
}
