/**
 * Step 4 of 4 of a MosquittoBroker: every Kubernetes object of the broker, built from a
 * {@link ResolvedMosquitto} and its rendered files (pure, no cdktf). {@link buildMosquitto} runs
 * the four steps; MosquittoBroker is a thin construct over it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { FortressError } from '../core/errors.js';
import { credentialVolumes } from '../credentials/shard-volumes.js';
import type { K8sObject } from '../k8s/objects.js';
import { denyAllPolicy, ingressPolicy, namespacePeer, peerToK8s, restrictedContainer, restrictedNamespace, restrictedPod } from '../k8s/values.js';
import { templatePath } from '../templates.js';
import { crlCaVolume, crlEnv } from '../tls/revocation.js';
import { INLINE_FILE_LIMIT, type MosquittoFiles, renderMosquittoFiles } from './files.js';
import type { MosquittoBrokerOptions } from './props.js';
import { type ResolvedMosquitto, resolveMosquitto } from './resolve.js';

/** Paths inside the broker pod. */
export const POD_PATHS = {
  config: '/mosquitto/config',
  /** The staged, validated certificate the broker reads (memory volume). */
  tls: '/run/fortress/tls',
  /** The certificate Secret, mounted only by the init container and the reloader. */
  tlsSource: '/run/fortress/tls-source',
  clientCaSource: '/run/fortress/client-ca',
  /** The client CA's Secret (certificate and key) for signing the CRL: credentials containers only. */
  crlCaSource: '/run/fortress/crl-ca',
  data: '/mosquitto/data',
  auth: '/run/fortress/auth',
  plain: '/run/fortress/plain',
  scratch: '/run/fortress/scratch',
} as const;

export interface MosquittoBuild {
  readonly resolved: ResolvedMosquitto;
  readonly files: MosquittoFiles;
  readonly objects: readonly K8sObject[];
}

/** Validates the options and builds every object (pure). Throws FortressError naming the prop. */
export function buildMosquitto(o: MosquittoBrokerOptions): MosquittoBuild {
  const r = resolveMosquitto(o);
  const files = renderMosquittoFiles(r, {
    config: POD_PATHS.config,
    tls: POD_PATHS.tls,
    auth: POD_PATHS.auth,
    ...(r.persistence ? { data: POD_PATHS.data } : {}),
    packLargeFiles: true,
  });
  return { resolved: r, files, objects: mosquittoObjects(r, files) };
}

const SIDECAR_RESOURCES = { requests: { cpu: '10m', memory: '16Mi', 'ephemeral-storage': '16Mi' }, limits: { cpu: '200m', memory: '64Mi', 'ephemeral-storage': '64Mi' } };

/** Labels and metadata every object of one broker shares. */
interface Naming {
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  readonly meta: (name: string, extra?: Record<string, unknown>) => K8sObject['metadata'];
}

function naming(r: ResolvedMosquitto): Naming {
  const labels = {
    'app.kubernetes.io/name': 'mosquitto',
    'app.kubernetes.io/instance': r.name,
    'app.kubernetes.io/component': 'broker',
    'app.kubernetes.io/part-of': 'mqtt-fortress',
    'app.kubernetes.io/managed-by': 'terraform',
  };
  const selector = { 'app.kubernetes.io/name': 'mosquitto', 'app.kubernetes.io/instance': r.name };
  return { labels, selector, meta: (name, extra = {}) => ({ name, namespace: r.namespace, labels: { ...labels }, ...extra }) };
}

/** The Kubernetes objects of a resolved broker, in apply order. */
export function mosquittoObjects(r: ResolvedMosquitto, files: MosquittoFiles): K8sObject[] {
  const n = naming(r);
  const config = configMapContent(r, files);
  const certPorts = r.certificatePort ? [{ name: 'mqtts-cert', port: r.certificatePort, targetPort: 'mqtts-cert', protocol: 'TCP' }] : [];
  const objects: K8sObject[] = [];
  if (r.createNamespace) objects.push(restrictedNamespace(r.namespace));
  objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: n.meta(r.name), automountServiceAccountToken: false });
  objects.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: n.meta(`${r.name}-config`),
    data: config.configData,
    ...(Object.keys(config.binaryData).length ? { binaryData: config.binaryData } : {}),
  });
  objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: n.meta(`${r.name}-headless`),
    spec: { clusterIP: 'None', selector: { ...n.selector }, ports: [{ name: 'mqtts', port: r.port, targetPort: 'mqtts', protocol: 'TCP' }, ...certPorts] },
  });
  objects.push(clientService(r, n, certPorts));
  objects.push(statefulSet(r, n, config));
  objects.push({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: n.meta(r.name),
    spec: { minAvailable: 1, selector: { matchLabels: { ...n.selector } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  });
  // NetworkPolicies (baseline NET-1): default deny in the namespace (or for the broker pods when
  // the namespace is not ours), then MQTT from declared peers only. The broker needs no egress.
  objects.push(denyAllPolicy(n.meta(r.createNamespace ? 'default-deny-all' : `${r.name}-default-deny`), r.createNamespace ? undefined : n.selector));
  if (r.exporter) objects.push(ingressPolicy(n.meta(`${r.name}-allow-metrics`), n.selector, [namespacePeer(r.monitoringNamespace)], [r.exporter.port]));
  if (r.allowFrom.length > 0) {
    objects.push(ingressPolicy(n.meta(`${r.name}-allow-mqtts`), n.selector, r.allowFrom.map(peerToK8s), [r.port, ...(r.certificatePort ? [r.certificatePort] : [])]));
  }
  return objects;
}

interface ConfigMapContent {
  readonly configData: Record<string, string>;
  readonly binaryData: Record<string, string>;
  /** Whether a file ships gzipped (`<name>.gz` in binaryData). */
  readonly packed: (file: string) => boolean;
  /** Changes when mosquitto.conf or a script changes: those need a restart. */
  readonly restartHash: string;
}

/** The ConfigMap's files (large ones gzipped) and the restart hash; refuses more than a ConfigMap holds. */
function configMapContent(r: ResolvedMosquitto, files: MosquittoFiles): ConfigMapContent {
  const script = readFileSync(templatePath('mosquitto/fortress-auth.sh'), 'utf8');
  const crlScript = r.revocation ? { 'fortress-crl.sh': readFileSync(templatePath('mosquitto/fortress-crl.sh'), 'utf8') } : {};
  const entrypoint = readFileSync(templatePath('mosquitto/fortress-broker.sh'), 'utf8');
  const configData: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...files, 'fortress-auth.sh': script, 'fortress-broker.sh': entrypoint, ...crlScript })) {
    if (v === undefined) continue;
    if (Buffer.byteLength(v) > INLINE_FILE_LIMIT) binaryData[`${k}.gz`] = gzipSync(v, { level: 9 }).toString('base64');
    else configData[k] = v;
  }
  const configBytes = Object.values(configData).reduce((n, v) => n + Buffer.byteLength(v), 0) + Object.values(binaryData).reduce((n, v) => n + v.length, 0);
  if (configBytes > 1_000_000) {
    throw new FortressError(
      'MOSQ_CONFIG_TOO_LARGE',
      `the broker's files need ${configBytes} bytes even compressed, over Kubernetes' 1 MiB ConfigMap limit (${r.policy.principals.length} identities). Split the fleet across brokers, or move devices to client certificates (tls.clientAuth "certificate") so fewer identities need rules of their own.`,
    );
  }
  // A change of mosquitto.conf or the script needs a restart; ACL and credentials reload by SIGHUP.
  const restartHash = createHash('sha256').update(files['mosquitto.conf']).update(script).update(entrypoint).digest('hex').slice(0, 16);
  return { configData, binaryData, packed: (k) => `${k}.gz` in binaryData, restartHash };
}

function clientService(r: ResolvedMosquitto, n: Naming, certPorts: readonly Record<string, unknown>[]): K8sObject {
  const lbAnnotations =
    r.serviceType === 'LoadBalancer'
      ? {
          'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
          'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
          'service.beta.kubernetes.io/aws-load-balancer-scheme': r.service.internetFacing ? 'internet-facing' : 'internal',
          // Keep client addresses: the NetworkPolicy then checks the same client ranges as the NLB.
          'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes': 'preserve_client_ip.enabled=true',
          ...(r.service.securityGroupIds.length
            ? {
                'service.beta.kubernetes.io/aws-load-balancer-security-groups': r.service.securityGroupIds.join(','),
                'service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules': 'true',
              }
            : {}),
          ...(r.service.subnetIds.length ? { 'service.beta.kubernetes.io/aws-load-balancer-subnets': r.service.subnetIds.join(',') } : {}),
          ...r.service.annotations,
        }
      : { ...r.service.annotations };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: n.meta(r.name, Object.keys(lbAnnotations).length ? { annotations: lbAnnotations } : {}),
    spec: {
      type: r.serviceType,
      selector: { ...n.selector },
      ports: [{ name: 'mqtts', port: r.servicePort, targetPort: 'mqtts', protocol: 'TCP' }, ...certPorts],
      ...(r.serviceType === 'LoadBalancer' ? { loadBalancerSourceRanges: [...r.service.loadBalancerSourceRanges], externalTrafficPolicy: 'Local' } : {}),
    },
  };
}

/** Environment and mounts of the containers that read plaintext passwords (init container, reloader). */
function credentialContainerParts(r: ResolvedMosquitto, config: ConfigMapContent, plain: ReturnType<typeof credentialVolumes>) {
  const dynsec = r.aclMode === 'dynamic-security';
  const env = [
    { name: 'FORTRESS_MODE', value: dynsec ? 'dynamic-security' : 'acl-file' },
    ...(dynsec ? [{ name: 'FORTRESS_DYNSEC_TEMPLATE', value: `${POD_PATHS.config}/dynamic-security-template.json${config.packed('dynamic-security-template.json') ? '.gz' : ''}` }] : []),
    ...(config.packed('acl') && !dynsec ? [{ name: 'FORTRESS_ACL_GZ', value: `${POD_PATHS.config}/acl.gz` }] : []),
    { name: 'FORTRESS_PLAIN', value: plain.plainEnv },
    { name: 'FORTRESS_USERS', value: `${POD_PATHS.config}/users` },
    ...(dynsec || config.packed('acl') ? [] : [{ name: 'FORTRESS_ACLS', value: `${POD_PATHS.config}/acl` }]),
    { name: 'FORTRESS_OUT', value: POD_PATHS.auth },
    { name: 'FORTRESS_SCRATCH', value: POD_PATHS.scratch },
    { name: 'FORTRESS_TLS_SRC', value: POD_PATHS.tlsSource },
    ...(r.tls.clientCaSecretName ? [{ name: 'FORTRESS_TLS_CA_SRC', value: POD_PATHS.clientCaSource }] : []),
    { name: 'FORTRESS_TLS_DIR', value: POD_PATHS.tls },
    { name: 'FORTRESS_INTERVAL', value: String(r.reloadIntervalSeconds) },
    // A long list ships gzipped like a large ACL; the signing script unpacks it.
    ...crlEnv(r.revocation, `${POD_PATHS.config}/revoked.index${config.packed('revoked.index') ? '.gz' : ''}`, POD_PATHS.crlCaSource),
  ];
  const volumeMounts = [
    { name: 'config', mountPath: POD_PATHS.config, readOnly: true },
    ...plain.mounts,
    { name: 'auth', mountPath: POD_PATHS.auth },
    { name: 'scratch', mountPath: POD_PATHS.scratch },
    // No subPath anywhere: kubelet then updates renewed certificates in place.
    { name: 'tls-source', mountPath: POD_PATHS.tlsSource, readOnly: true },
    ...(r.tls.clientCaSecretName ? [{ name: 'client-ca', mountPath: POD_PATHS.clientCaSource, readOnly: true }] : []),
    { name: 'tls', mountPath: POD_PATHS.tls },
    ...(r.revocation ? [{ name: 'crl-ca', mountPath: POD_PATHS.crlCaSource, readOnly: true }] : []),
  ];
  return { env, volumeMounts };
}

/** The broker container: supervised mosquitto, TLS-verifying readiness. */
function brokerContainer(r: ResolvedMosquitto, secCtx: Record<string, unknown>): Record<string, unknown> {
  const liveness = { tcpSocket: { port: r.port }, initialDelaySeconds: 15, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 3 };
  // Ready only when a TLS handshake with the broker verifies against the server certificate's own
  // CA (fortress-broker.sh ready): an expired or foreign certificate is visible, not only a closed port.
  const requiresCertificate = r.tls.clientAuth === 'certificate' || r.tls.clientAuth === 'password-and-certificate';
  const readiness = {
    exec: { command: ['/bin/sh', `${POD_PATHS.config}/fortress-broker.sh`, 'ready', String(r.port), `${POD_PATHS.tls}/server-ca.crt`, ...(requiresCertificate ? ['certificate'] : [])] },
    initialDelaySeconds: 5,
    periodSeconds: 10,
    timeoutSeconds: requiresCertificate ? 20 : 5,
    failureThreshold: 3,
  };
  return {
    name: 'mosquitto',
    image: r.image,
    imagePullPolicy: 'IfNotPresent',
    // The entrypoint supervises mosquitto and reloads it when the reloader has staged
    // validated files (SIGHUP; a restart for dynamic security or a new client CA).
    command: ['/bin/sh', `${POD_PATHS.config}/fortress-broker.sh`, 'run', `${POD_PATHS.config}/mosquitto.conf`, POD_PATHS.auth],
    ports: [{ name: 'mqtts', containerPort: r.port, protocol: 'TCP' }, ...(r.certificatePort ? [{ name: 'mqtts-cert', containerPort: r.certificatePort, protocol: 'TCP' }] : [])],
    securityContext: secCtx,
    resources: r.resources,
    readinessProbe: readiness,
    livenessProbe: liveness,
    volumeMounts: [
      { name: 'config', mountPath: POD_PATHS.config, readOnly: true },
      { name: 'tls', mountPath: POD_PATHS.tls, readOnly: true },
      // The dynamic-security plugin writes its file back when it changes it.
      { name: 'auth', mountPath: POD_PATHS.auth, readOnly: r.aclMode !== 'dynamic-security' },
      ...(r.persistence ? [{ name: 'data', mountPath: POD_PATHS.data }] : []),
    ],
  };
}

/** The metrics exporter sidecar, when the props ask for one. */
function exporterContainers(r: ResolvedMosquitto, secCtx: Record<string, unknown>, plain: ReturnType<typeof credentialVolumes>): Record<string, unknown>[] {
  if (!r.exporter) return [];
  return [
    {
      name: 'metrics-exporter',
      image: r.exporter.image,
      imagePullPolicy: 'IfNotPresent',
      env: [
        { name: 'BROKER_ENDPOINT', value: `tcp://127.0.0.1:${r.metricsListenerPort}` },
        { name: 'BIND_ADDRESS', value: `0.0.0.0:${r.exporter.port}` },
        { name: 'MQTT_USER', value: r.exporter.username },
        // sapcc/mosquitto-exporter 0.8.0 takes its password only from a flag or this
        // variable (no file option; a scratch image with no shell to read one). It is
        // the exporter's own monitoring password; no process namespace is shared.
        { name: 'MQTT_PASS', valueFrom: { secretKeyRef: { name: plain.secretOf(r.exporter.username), key: r.exporter.username } } },
        { name: 'MQTT_CLIENT_ID', value: `${r.name}-metrics-exporter` },
      ],
      ports: [{ name: 'metrics', containerPort: r.exporter.port, protocol: 'TCP' }],
      securityContext: { ...secCtx, runAsUser: r.exporterRunAsUser },
      resources: SIDECAR_RESOURCES,
      readinessProbe: { httpGet: { path: '/metrics', port: r.exporter.port }, periodSeconds: 20, timeoutSeconds: 3 },
    },
  ];
}

function statefulSet(r: ResolvedMosquitto, n: Naming, config: ConfigMapContent): K8sObject {
  const secCtx = restrictedContainer();
  // Plaintext passwords are read only under this UID; the broker (pod default UID) reads hashes
  // through the pod's group. The exporter gets a third UID.
  const credCtx = { ...secCtx, runAsUser: r.credentialsRunAsUser };
  // One Secret of passwords, or one per shard for a fleet larger than one Secret.
  const plain = credentialVolumes(
    r.credentialsSecretName,
    r.policy.principals.map((p) => p.username),
    POD_PATHS.plain,
  );
  const cred = credentialContainerParts(r, config, plain);
  const authSize = `${Math.max(1, Math.ceil((r.policy.principals.length * 512) / 1024 / 1024))}Mi`;
  const persistence = r.persistence;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: n.meta(r.name),
    spec: {
      replicas: 1,
      serviceName: `${r.name}-headless`,
      podManagementPolicy: 'OrderedReady',
      selector: { matchLabels: { ...n.selector } },
      updateStrategy: { type: 'RollingUpdate' },
      ...(persistence ? { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' } } : {}),
      template: {
        metadata: { labels: { ...n.labels }, annotations: { 'mqtt-fortress.io/restart-hash': config.restartHash } },
        spec: {
          serviceAccountName: r.name,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          // No shared process namespace: no container reaches another's /proc/<pid>/root or environ.
          shareProcessNamespace: false,
          terminationGracePeriodSeconds: 30,
          securityContext: restrictedPod(r.runAsUser, r.runAsGroup),
          initContainers: [
            {
              name: 'hash-credentials',
              image: r.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/sh', `${POD_PATHS.config}/fortress-auth.sh`, 'build'],
              env: cred.env,
              securityContext: credCtx,
              resources: SIDECAR_RESOURCES,
              volumeMounts: cred.volumeMounts,
            },
          ],
          containers: [
            brokerContainer(r, secCtx),
            ...exporterContainers(r, secCtx, plain),
            {
              name: 'credentials-reloader',
              image: r.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/sh', `${POD_PATHS.config}/fortress-auth.sh`, 'watch'],
              env: cred.env,
              securityContext: credCtx,
              resources: SIDECAR_RESOURCES,
              volumeMounts: cred.volumeMounts,
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: `${r.name}-config`, defaultMode: 0o440 } },
            { name: 'tls-source', secret: { secretName: r.tls.secretName, defaultMode: 0o440 } },
            ...(r.tls.clientCaSecretName ? [{ name: 'client-ca', secret: { secretName: r.tls.clientCaSecretName, defaultMode: 0o440, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] : []),
            { name: 'tls', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
            ...(r.revocation ? [crlCaVolume('crl-ca', r.revocation)] : []),
            ...plain.volumes,
            { name: 'auth', emptyDir: { medium: 'Memory', sizeLimit: authSize } },
            { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: authSize } },
          ],
        },
      },
      ...(persistence
        ? {
            volumeClaimTemplates: [
              {
                metadata: { name: 'data', labels: { ...n.labels } },
                spec: {
                  accessModes: ['ReadWriteOnce'],
                  ...(persistence.storageClassName ? { storageClassName: persistence.storageClassName } : {}),
                  resources: { requests: { storage: persistence.size } },
                },
              },
            ],
          }
        : {}),
    },
  };
}
