/**
 * Step 2 of 4 of a MosquittoBroker: validates the props and applies every default ONCE, into a
 * complete {@link ResolvedMosquitto}. files.ts and objects.ts read only that value, never the raw
 * props, so the construct and the local bundle (scripts/local-bundle.ts) validate alike.
 */
import { CLIENT_AUTH_MODES, type ClientAuth } from '../broker/client-auth.js';
import { assertDnsLabel, assertInt, assertReason, assertResolved } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';
import { checkCidrUnion } from '../core/exposure-union.js';
import { compareVersions, imageRef } from '../core/image.js';
import { assertTlsPort } from '../core/ports.js';
import type { Relaxation } from '../core/relaxation.js';
import { checkPeer, checkPeers, type MqttPeer, parseQuantity, resolveResources } from '../k8s/values.js';
import type { Policy } from '../policy/model.js';
import { type ResolvedRevocation, resolveRevocation } from '../tls/revocation.js';
import {
  ACL_MODES,
  type AclMode,
  DEFAULT_LIMITS,
  DEFAULT_MOSQUITTO_RESOURCES,
  EXPORTER_IMAGE,
  MIN_MOSQUITTO_VERSION,
  MOSQUITTO_IMAGE,
  type MosquittoBrokerOptions,
  type MosquittoLimits,
  REFUSED_CLIENT_AUTH,
} from './props.js';

/** Every setting of a broker, validated, with every default applied. */
export interface ResolvedMosquitto {
  readonly name: string;
  readonly namespace: string;
  readonly createNamespace: boolean;
  readonly image: string;
  readonly port: number;
  /** Port of the certificate listener, with clientAuth 'password-or-certificate'. */
  readonly certificatePort: number | undefined;
  readonly servicePort: number;
  readonly serviceType: 'ClusterIP' | 'LoadBalancer';
  readonly runAsUser: number;
  readonly runAsGroup: number;
  /** UID of the containers that read plaintext passwords (init container, credentials reloader). */
  readonly credentialsRunAsUser: number;
  /** UID of the metrics exporter. */
  readonly exporterRunAsUser: number;
  readonly metricsListenerPort: number | undefined;
  /** Exporter: image reference, port and the monitoring identity it logs in as. */
  readonly exporter: { readonly image: string; readonly port: number; readonly username: string } | undefined;
  readonly maxConnections: number;
  readonly monitoringNamespace: string;
  /** tls.revocation, validated. */
  readonly revocation: ResolvedRevocation | undefined;
  readonly relaxations: readonly Relaxation[];
  readonly policy: Policy;
  readonly credentialsSecretName: string;
  readonly tls: {
    readonly secretName: string;
    readonly minVersion: '1.2' | '1.3';
    readonly clientAuth: ClientAuth;
    readonly clientCaSecretName: string | undefined;
  };
  readonly aclMode: AclMode;
  readonly clientIdIsUsername: boolean;
  readonly limits: Required<MosquittoLimits>;
  /** Container resources in Kubernetes' shape. */
  readonly resources: ReturnType<typeof resolveResources>;
  /** The data volume; undefined without persistence. */
  readonly persistence: { readonly size: string; readonly storageClassName: string | undefined } | undefined;
  /** Service settings beyond type and port (LoadBalancer only, but for annotations). */
  readonly service: {
    readonly internetFacing: boolean;
    readonly loadBalancerSourceRanges: readonly string[];
    readonly annotations: Readonly<Record<string, string>>;
    readonly securityGroupIds: readonly string[];
    readonly subnetIds: readonly string[];
  };
  readonly allowFrom: readonly MqttPeer[];
  readonly reloadIntervalSeconds: number;
}

/** Resolves and validates the limits; throws FortressError naming the prop. */
export function resolveLimits(limits: MosquittoLimits = {}, prefix = 'limits'): Required<MosquittoLimits> {
  const l = { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) } as Required<MosquittoLimits>;
  assertInt(`${prefix}.maxConnections`, l.maxConnections, 1, 1_000_000);
  assertInt(`${prefix}.maxPacketSizeBytes`, l.maxPacketSizeBytes, 1024, 268_435_455, 'MQTT packets are at most 256 MiB; 1024 bytes is the smallest useful limit.');
  assertInt(`${prefix}.messageSizeLimitBytes`, l.messageSizeLimitBytes, 1, 268_435_455);
  assertInt(`${prefix}.maxInflightMessages`, l.maxInflightMessages, 1, 65535);
  assertInt(`${prefix}.maxQueuedMessages`, l.maxQueuedMessages, 1, 10_000_000);
  assertInt(`${prefix}.maxKeepaliveSeconds`, l.maxKeepaliveSeconds, 10, 65535);
  if (l.messageSizeLimitBytes > l.maxPacketSizeBytes) {
    throw new FortressError(
      'LIMITS_INCONSISTENT',
      `${prefix}.messageSizeLimitBytes (${l.messageSizeLimitBytes}) is larger than ${prefix}.maxPacketSizeBytes (${l.maxPacketSizeBytes}): such a message could never arrive. Lower messageSizeLimitBytes or raise maxPacketSizeBytes.`,
    );
  }
  return l;
}

/** Validates the options and resolves every default (pure). Throws FortressError naming the prop. */
export function resolveMosquitto(o: MosquittoBrokerOptions): ResolvedMosquitto {
  const relaxations: Relaxation[] = [];
  if (!o || typeof o !== 'object') throw new FortressError('MOSQ_PROPS', 'props are required: at least policy, credentialsSecretName and tls.');
  if (!o.policy || typeof o.policy.allows !== 'function') throw new FortressError('MOSQ_POLICY', 'policy must be a Policy (Policy.from(spec) or policyFromYamlFile(path)).');
  const name = o.name ?? 'mosquitto';
  assertDnsLabel('name', name);
  if (name.length > 40) throw new FortressError('INVALID_NAME', `name ${show(name)} is longer than 40 characters; object names derived from it would exceed Kubernetes limits.`);
  const namespace = o.namespace ?? 'mqtt';
  assertDnsLabel('namespace', namespace);
  assertDnsLabel('credentialsSecretName', o.credentialsSecretName);
  if (!o.tls || typeof o.tls !== 'object')
    throw new FortressError('MOSQ_TLS', 'tls is required: { secretName } of a kubernetes.io/tls Secret with tls.crt, tls.key and ca.crt (cert-manager writes one).');
  assertDnsLabel('tls.secretName', o.tls.secretName);
  if (o.tls.minVersion !== undefined && o.tls.minVersion !== '1.2' && o.tls.minVersion !== '1.3') {
    throw new FortressError('TLS_VERSION', `tls.minVersion must be "1.2" or "1.3", got ${show(o.tls.minVersion)} (baseline TLS-2 refuses TLS 1.0 and 1.1).`);
  }
  if (o.tls.clientAuth !== undefined && !CLIENT_AUTH_MODES.includes(o.tls.clientAuth)) {
    throw new FortressError('TLS_CLIENT_AUTH', `tls.clientAuth must be one of ${CLIENT_AUTH_MODES.join(', ')}, got ${show(o.tls.clientAuth)}.`);
  }
  const refused = o.tls.clientAuth === undefined ? undefined : REFUSED_CLIENT_AUTH[o.tls.clientAuth];
  if (refused !== undefined) throw new FortressError('TLS_CLIENT_AUTH_UNENFORCEABLE', `tls.clientAuth is ${show(o.tls.clientAuth)}: ${refused}`);
  for (const legacy of ['requireClientCertificate', 'useIdentityAsUsername'] as const) {
    if ((o.tls as unknown as Record<string, unknown>)[legacy] !== undefined)
      throw new FortressError('TLS_CLIENT_AUTH', `tls.${legacy} is not a prop; use tls.clientAuth (${CLIENT_AUTH_MODES.join(', ')}).`);
  }
  if (o.tls.clientCaSecretName !== undefined) assertDnsLabel('tls.clientCaSecretName', o.tls.clientCaSecretName);
  const certificatePort = o.tls.clientAuth === 'password-or-certificate' ? (o.tls.certificatePort ?? 8884) : undefined;
  const revocation = o.tls.revocation === undefined ? undefined : resolveRevocation('tls.revocation', o.tls.revocation);
  if (revocation && (o.tls.clientAuth ?? 'password') === 'password') {
    throw new FortressError(
      'REVOCATION',
      'tls.revocation is set but tls.clientAuth is "password": no listener takes client certificates, so there is nothing to revoke. Remove tls.revocation or use clientAuth "certificate" or "password-or-certificate".',
    );
  }
  if (certificatePort !== undefined) assertTlsPort('tls.certificatePort', certificatePort);
  if (o.tls.certificatePort !== undefined && o.tls.clientAuth !== 'password-or-certificate') {
    throw new FortressError('TLS_CLIENT_AUTH', `tls.certificatePort only applies to clientAuth "password-or-certificate".`);
  }
  const replicas = o.replicas ?? 1;
  assertResolved('replicas', replicas);
  if (replicas !== 1) {
    throw new FortressError(
      'MOSQ_REPLICAS',
      `replicas is ${show(replicas)}, but Mosquitto has no open-source clustering: several replicas would be independent brokers that do not share sessions, retained messages or subscriptions behind one Service. Use replicas: 1, or EmqxCluster for a real multi-node cluster.`,
    );
  }
  if ((o as { allowAnonymous?: unknown }).allowAnonymous !== undefined && (o as { allowAnonymous?: unknown }).allowAnonymous !== false) {
    throw new FortressError(
      'MOSQ_ANONYMOUS',
      `allowAnonymous is ${show((o as { allowAnonymous?: unknown }).allowAnonymous)}; anonymous access is never allowed (baseline AUTH-1). Give the client an identity in the policy instead.`,
    );
  }
  const port = o.port ?? 8883;
  assertTlsPort('port', port);
  const runAsUser = o.runAsUser ?? 10883;
  const runAsGroup = o.runAsGroup ?? 10883;
  const credentialsRunAsUser = o.credentialsRunAsUser ?? (typeof runAsUser === 'number' ? runAsUser + 1 : runAsUser);
  for (const [prop, v] of [
    ['runAsUser', runAsUser],
    ['runAsGroup', runAsGroup],
    ['credentialsRunAsUser', credentialsRunAsUser],
  ] as const) {
    assertResolved(prop, v);
    if (!Number.isInteger(v) || v < 10000 || v > 2147483647) {
      throw new FortressError(
        'MOSQ_UID',
        `${prop} is ${show(v)}; use an integer of at least 10000 so the container never shares a UID/GID with a host account (scanners flag lower ones). The default is 10883.`,
      );
    }
  }
  if (credentialsRunAsUser === runAsUser) {
    throw new FortressError(
      'MOSQ_UID',
      `credentialsRunAsUser is ${show(credentialsRunAsUser)}, the broker's runAsUser: the containers that read plaintext passwords must run under another UID (baseline INT-3). Leave it unset (runAsUser + 1) or pick another UID of at least 10000.`,
    );
  }
  const exporterRunAsUser = Math.max(runAsUser, credentialsRunAsUser) + 1;
  if (exporterRunAsUser > 2147483647)
    throw new FortressError('MOSQ_UID', `runAsUser and credentialsRunAsUser leave no UID for the exporter (it runs as the larger plus one); use UIDs below 2147483647.`);
  const imgOpt = o.image ?? MOSQUITTO_IMAGE;
  const image = imageRef('image', imgOpt);
  if (!/^\d+\.\d+\.\d+/.test(imgOpt.tag) || compareVersions(imgOpt.tag, MIN_MOSQUITTO_VERSION) < 0 || compareVersions(imgOpt.tag, '3.0.0') >= 0) {
    throw new FortressError(
      'MOSQ_VERSION',
      `image.tag ${show(imgOpt.tag)} is not a Mosquitto 2.x release of at least ${MIN_MOSQUITTO_VERSION}. Older releases ignore limits and carry known CVEs; use ${MOSQUITTO_IMAGE.tag} or newer.`,
    );
  }
  const svc = o.service ?? {};
  const serviceType = svc.type ?? 'ClusterIP';
  if (serviceType !== 'ClusterIP' && serviceType !== 'LoadBalancer') throw new FortressError('MOSQ_SERVICE', `service.type must be "ClusterIP" or "LoadBalancer", got ${show(serviceType)}.`);
  const servicePort = svc.port ?? 8883;
  if (serviceType === 'LoadBalancer') {
    const ranges = svc.loadBalancerSourceRanges ?? [];
    if (ranges.length === 0) {
      throw new FortressError('MOSQ_LB_RANGES', 'service.loadBalancerSourceRanges is empty: a LoadBalancer without source ranges admits every address (baseline NET-2). List the client CIDRs.');
    }
    for (const [i, r] of ranges.entries()) checkPeer(`service.loadBalancerSourceRanges[${i}]`, { cidr: r });
    const open = checkCidrUnion('service.loadBalancerSourceRanges', ranges, 'service.internetFacingReason', svc.internetFacingReason);
    if (open) relaxations.push({ id: 'NET-2', ...open });
    if (svc.internetFacingReason !== undefined) {
      relaxations.push({ id: 'NET-3', prop: 'service.internetFacingReason', reason: assertReason('service.internetFacingReason', svc.internetFacingReason) });
    }
  } else if (svc.loadBalancerSourceRanges || svc.internetFacingReason || svc.securityGroupIds || svc.subnetIds) {
    throw new FortressError('MOSQ_SERVICE', 'service.loadBalancerSourceRanges, internetFacingReason, securityGroupIds and subnetIds only apply to service.type "LoadBalancer".');
  }
  relaxations.push(...checkPeers('allowFrom', o.allowFrom));
  if (o.clientIdIsUsername === false) {
    if (typeof o.clientIdChoiceReason === 'string') assertReason('clientIdChoiceReason', o.clientIdChoiceReason);
    if (typeof o.clientIdChoiceReason !== 'string' || o.clientIdChoiceReason.trim().length < 10) {
      throw new FortressError(
        'MOSQ_CLIENTID_REASON',
        `clientIdIsUsername is false, which lets any authenticated client take over another client's session by reusing its client id. Set clientIdChoiceReason to a reason of at least 10 characters (shown in the security report), or keep the default.`,
      );
    }
    // Listed in the report under ACL-2 ({clientId} topics; appliesTo: [] covers nothing), and the
    // one AUTH-5 finding of this broker: its listeners let clients choose their client ids.
    relaxations.push({ id: 'ACL-2', prop: 'clientIdIsUsername', reason: o.clientIdChoiceReason.trim(), appliesTo: [] });
    relaxations.push({ id: 'AUTH-5', prop: 'clientIdIsUsername', reason: o.clientIdChoiceReason.trim() });
  } else if (o.clientIdChoiceReason !== undefined) {
    throw new FortressError('MOSQ_CLIENTID_REASON', 'clientIdChoiceReason only applies when clientIdIsUsername is false.');
  }
  if (o.aclMode !== undefined && !(ACL_MODES as readonly string[]).includes(o.aclMode)) {
    throw new FortressError('MOSQ_ACL_MODE', `aclMode must be ${ACL_MODES.map((m) => `"${m}"`).join(' or ')}, got ${show(o.aclMode)}.`);
  }
  if (o.monitoringNamespace !== undefined) assertDnsLabel('monitoringNamespace', o.monitoringNamespace);
  const hasMonitoring = o.policy.principals.some((p) => p.kind === 'monitoring');
  const metricsListenerPort = hasMonitoring ? (o.metricsListenerPort ?? 1884) : undefined;
  if (metricsListenerPort !== undefined) {
    assertInt('metricsListenerPort', metricsListenerPort, 1024, 65535);
    if (metricsListenerPort === port) throw new FortressError('PORT_CLASH', `metricsListenerPort ${metricsListenerPort} equals the TLS port; pick another loopback port.`);
  }
  const reloadIntervalSeconds = o.reloadIntervalSeconds ?? 30;
  assertInt('reloadIntervalSeconds', reloadIntervalSeconds, 5, 3600);
  if (o.persistence?.size !== undefined) parseQuantity('persistence.size', o.persistence.size);
  if (o.persistence?.storageClassName !== undefined) assertDnsLabel('persistence.storageClassName', o.persistence.storageClassName);
  if (certificatePort !== undefined && (certificatePort === port || certificatePort === metricsListenerPort)) {
    throw new FortressError('PORT_CLASH', `tls.certificatePort ${certificatePort} clashes with another listener; pick another, e.g. 8884.`);
  }
  let exporter: ResolvedMosquitto['exporter'];
  if (o.metricsExporter) {
    const mon = o.policy.principals.find((p) => p.kind === 'monitoring');
    if (!mon) throw new FortressError('MOSQ_EXPORTER_IDENTITY', 'metricsExporter needs a monitoring identity in the policy (kind: monitoring, subscribing to "$SYS/#" only); add one.');
    const img = { repository: EXPORTER_IMAGE.repository, tag: EXPORTER_IMAGE.tag, ...o.metricsExporter.image };
    const exporterPort = o.metricsExporter.port ?? 9234;
    assertInt('metricsExporter.port', exporterPort, 1024, 65535);
    if ([port, metricsListenerPort, certificatePort].includes(exporterPort)) throw new FortressError('PORT_CLASH', `metricsExporter.port ${exporterPort} clashes with a broker listener.`);
    exporter = { image: imageRef('metricsExporter.image', img), port: exporterPort, username: mon.username };
  }
  const limits = resolveLimits(o.limits);
  const resources = resolveResources('resources', o.resources, DEFAULT_MOSQUITTO_RESOURCES);
  const persistence = o.persistence?.enabled !== false;
  return {
    name,
    namespace,
    createNamespace: o.createNamespace ?? true,
    image,
    port,
    certificatePort,
    servicePort,
    serviceType,
    runAsUser,
    runAsGroup,
    credentialsRunAsUser,
    exporterRunAsUser,
    metricsListenerPort,
    exporter,
    maxConnections: limits.maxConnections,
    monitoringNamespace: o.monitoringNamespace ?? 'monitoring',
    revocation,
    relaxations,
    policy: o.policy,
    credentialsSecretName: o.credentialsSecretName,
    tls: {
      secretName: o.tls.secretName,
      minVersion: o.tls.minVersion ?? '1.2',
      clientAuth: o.tls.clientAuth ?? 'password',
      clientCaSecretName: o.tls.clientCaSecretName,
    },
    aclMode: o.aclMode ?? 'acl-file',
    clientIdIsUsername: o.clientIdIsUsername ?? true,
    limits,
    resources,
    persistence: persistence ? { size: o.persistence?.size ?? '1Gi', storageClassName: o.persistence?.storageClassName } : undefined,
    service: {
      internetFacing: svc.internetFacingReason !== undefined,
      loadBalancerSourceRanges: [...(svc.loadBalancerSourceRanges ?? [])],
      annotations: { ...(svc.annotations ?? {}) },
      securityGroupIds: [...(svc.securityGroupIds ?? [])],
      subnetIds: [...(svc.subnetIds ?? [])],
    },
    allowFrom: [...(o.allowFrom ?? [])],
    reloadIntervalSeconds,
  };
}
