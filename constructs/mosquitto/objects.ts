/**
 * Builds every Kubernetes object of a hardened Mosquitto broker from its options (pure, no
 * cdktf). {@link MosquittoBroker} is a thin construct over {@link buildMosquitto}.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { CLIENT_AUTH_MODES, type ClientAuth } from '../broker/client-auth.js';
import { assertDnsLabel, assertInt, assertReason, assertResolved } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';
import { checkCidrUnion } from '../core/exposure-union.js';
import { type ContainerImage, compareVersions, imageRef } from '../core/image.js';
import type { Relaxation } from '../core/relaxation.js';
import type { K8sObject } from '../k8s/objects.js';
import {
  checkPeer,
  checkPeers,
  denyAllPolicy,
  ingressPolicy,
  type MqttPeer,
  namespacePeer,
  parseQuantity,
  peerToK8s,
  type ResourceRequirements,
  resolveResources,
  restrictedContainer,
  restrictedNamespace,
  restrictedPod,
} from '../k8s/values.js';
import type { Policy } from '../policy/model.js';
import { renderDynsec, renderMosquittoAcl } from '../policy/render-mosquitto.js';
import { templatePath } from '../templates.js';
import { type CertificateRevocationProps, crlCaVolume, crlEnv, type ResolvedRevocation, renderRevocationIndex, resolveRevocation } from '../tls/revocation.js';
import { type MosquittoLimits, renderMosquittoConf, resolveLimits } from './config.js';

/**
 * eclipse-mosquitto 2.0.22, pinned by a digest seen pinned in several independent public
 * repositories. Official images are rebuilt, so mirror and re-pin as your
 * registry policy requires: `crane digest eclipse-mosquitto:2.0.22`.
 */
export const MOSQUITTO_IMAGE: ContainerImage = {
  repository: 'eclipse-mosquitto',
  tag: '2.0.22',
  digest: 'sha256:212f89e1eaeb2c322d6441b64396e3346026674db8fa9c27beac293405c32b3c',
};
/** sapcc/mosquitto-exporter: no digest of it is confirmed from a public reference, so the digest is a required prop. */
export const EXPORTER_IMAGE = { repository: 'sapcc/mosquitto-exporter', tag: '0.8.0' } as const;

export interface MetricsExporterOptions {
  /**
   * The exporter image pinned by digest. Get the digest with
   * `crane digest sapcc/mosquitto-exporter:0.8.0` or `docker buildx imagetools inspect ...`.
   */
  readonly image: { readonly repository?: string; readonly tag?: string; readonly digest: string };
  /** Port of /metrics. @default 9234 */
  readonly port?: number;
}

/** Oldest Mosquitto accepted: 2.0.22 (2.0.11 and earlier ignore max_connections and carry known CVEs). */
export const MIN_MOSQUITTO_VERSION = '2.0.22';

export const DEFAULT_MOSQUITTO_RESOURCES = {
  requests: { cpu: '100m', memory: '128Mi', ephemeralStorage: '64Mi' },
  limits: { cpu: '1', memory: '512Mi', ephemeralStorage: '256Mi' },
};

/**
 * Modes Mosquitto cannot enforce, with the reason; synth refuses them. Mosquitto 2.0's
 * `handle__connect` either takes the username from the certificate (`use_identity_as_username`,
 * and then discards the password unchecked) or checks the password and never compares the
 * certificate with the username: with a required certificate and a password, sensor-0001's
 * certificate with backend's username and password logged in as backend (measured, 2.0.21).
 */
export const REFUSED_CLIENT_AUTH: Readonly<Partial<Record<ClientAuth, string>>> = {
  'password-and-certificate':
    'Mosquitto 2.0 cannot bind a client certificate to the password\'s identity: it checks the password and only verifies that the certificate comes from the client CA, so any device certificate with another identity\'s username and password logs in as that identity. Use clientAuth "certificate" (the certificate alone, its CN is the identity) or "password" (or "password-or-certificate" for both kinds of clients on two ports).',
};
/** The clientAuth modes synth accepts. */
export const SUPPORTED_CLIENT_AUTH_MODES: readonly ClientAuth[] = CLIENT_AUTH_MODES.filter((m) => REFUSED_CLIENT_AUTH[m] === undefined);
/** Every value `aclMode` can take. */
export const ACL_MODES = ['acl-file', 'dynamic-security'] as const;
export type AclMode = (typeof ACL_MODES)[number];

export interface MosquittoTlsProps {
  /** Kubernetes Secret (type kubernetes.io/tls, as cert-manager writes it) with tls.crt, tls.key and ca.crt. */
  readonly secretName: string;
  /** Lowest TLS version. @default '1.2' */
  readonly minVersion?: '1.2' | '1.3';
  /** @default 'password' */
  readonly clientAuth?: ClientAuth;
  /**
   * Secret whose `ca.crt` verifies client certificates.
   * @default - the server certificate Secret's ca.crt
   */
  readonly clientCaSecretName?: string;
  /** Port of the certificate listener with `clientAuth: 'password-or-certificate'`. @default 8884 */
  readonly certificatePort?: number;
  /**
   * Revoked client certificates: a CRL signed in the pod with the client CA's key, refreshed before
   * it expires, checked at every handshake of a listener that requires certificates; a change of
   * the list restarts mosquitto so that an open session of a revoked certificate is cut
   * (docs/certificate-revocation.md). Only with clientAuth 'certificate' or 'password-or-certificate'.
   * @default - no CRL: a client certificate stays valid until it expires
   */
  readonly revocation?: CertificateRevocationProps;
}

export interface MosquittoServiceProps {
  /** @default 'ClusterIP' */
  readonly type?: 'ClusterIP' | 'LoadBalancer';
  /** Port the Service exposes. @default 8883 */
  readonly port?: number;
  /** With LoadBalancer: the client ranges the load balancer admits. Required for LoadBalancer. @default - none */
  readonly loadBalancerSourceRanges?: readonly string[];
  /**
   * With LoadBalancer: an internet-facing load balancer instead of an internal one (baseline
   * NET-3). Give the reason; it is shown in the security report.
   * @default - internal
   */
  readonly internetFacingReason?: string;
  /** Extra Service annotations. @default - the AWS NLB annotations only */
  readonly annotations?: Record<string, string>;
  /** With LoadBalancer: security groups the NLB gets (e.g. BrokerSecurityGroup's). @default - created by the load balancer controller */
  readonly securityGroupIds?: readonly string[];
  /** With LoadBalancer: subnets of the NLB (e.g. BrokerNetwork's load balancer subnets). @default - chosen by subnet tags */
  readonly subnetIds?: readonly string[];
}

export interface MosquittoPersistenceProps {
  /** Keep retained messages and persistent sessions on a volume. @default true */
  readonly enabled?: boolean;
  /** @default '1Gi' */
  readonly size?: string;
  /** @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
}

/** Options of a hardened Mosquitto broker; every optional one has a secure default. */
export interface MosquittoBrokerOptions {
  /** Access policy: identities and their rules (baseline ACL-1..4). */
  readonly policy: Policy;
  /**
   * Existing Secret in the broker namespace with one key per username whose value is that
   * user's password. The init container hashes it; neither plaintext nor hash is synthesized.
   * CredentialStore (external-secrets from AWS Secrets Manager) can create it.
   */
  readonly credentialsSecretName: string;
  readonly tls: MosquittoTlsProps;
  /** @default 'mosquitto' */
  readonly name?: string;
  /** @default 'mqtt' */
  readonly namespace?: string;
  /** Create the namespace, labelled Pod Security `restricted`, with a default-deny NetworkPolicy. @default true */
  readonly createNamespace?: boolean;
  /** @default MOSQUITTO_IMAGE (eclipse-mosquitto 2.0.22 pinned by digest) */
  readonly image?: ContainerImage;
  /** Mosquitto cannot cluster: only 1 is accepted; use EmqxCluster for more. @default 1 */
  readonly replicas?: number;
  /** TLS listener port in the pod. @default 8883 */
  readonly port?: number;
  /** Anonymous access is never allowed (baseline AUTH-1); only `false` is accepted. @default false */
  readonly allowAnonymous?: false;
  /**
   * UID of the broker container. The containers that read plaintext passwords (the init container
   * and the credentials reloader) run as `credentialsRunAsUser`, the exporter under a third UID, and
   * the pod shares no process namespace: no container can read another's files or environment
   * through /proc (baseline INT-3).
   * @default 10883
   */
  readonly runAsUser?: number;
  /**
   * UID of the init container and the credentials reloader, the only containers that mount the
   * plaintext credentials Secret. Must differ from `runAsUser`. The exporter runs as the larger of
   * the two plus one.
   * @default - runAsUser + 1
   */
  readonly credentialsRunAsUser?: number;
  /** @default 10883 */
  readonly runAsGroup?: number;
  /** @default DEFAULT_MOSQUITTO_RESOURCES */
  readonly resources?: ResourceRequirements;
  /** @default DEFAULT_LIMITS */
  readonly limits?: MosquittoLimits;
  /** @default - 1Gi volume from the default StorageClass */
  readonly persistence?: MosquittoPersistenceProps;
  /** @default - ClusterIP on 8883 */
  readonly service?: MosquittoServiceProps;
  /** Who may open MQTT connections (NetworkPolicy). At least one peer is required by synth time. @default - none */
  readonly allowFrom?: readonly MqttPeer[];
  /** Namespace of the Prometheus that scrapes the broker; used for the metrics port allowance. @default 'monitoring' */
  readonly monitoringNamespace?: string;
  /**
   * Mosquitto replaces every client's id with its username (`use_username_as_clientid`). Without
   * it, any authenticated client can connect with another's client id and take over (disconnect)
   * that session: measured against Mosquitto 2.0.21. One connection per username follows; give
   * each replica of a scaled service its own member of an identity class.
   * @default true
   */
  readonly clientIdIsUsername?: boolean;
  /**
   * Required when `clientIdIsUsername` is false: why clients must choose their own client ids.
   * Shown in the security report.
   * @default - none
   */
  readonly clientIdChoiceReason?: string;
  /**
   * How the TLS listener authorizes. `acl-file`: Mosquitto's ACL file; credential and ACL changes
   * reload with SIGHUP, sessions stay up; SUBSCRIBE is always granted and deliveries are filtered.
   * `dynamic-security`: the dynamic-security plugin; SUBSCRIBE outside the policy is refused at
   * SUBACK, but the plugin ignores SIGHUP, so a credential or ACL change restarts the broker
   * container (all sessions reconnect).
   * @default 'acl-file'
   */
  readonly aclMode?: AclMode;
  /**
   * Prometheus exporter sidecar (sapcc/mosquitto-exporter v0.8.0) reading $SYS through the
   * authenticated loopback listener as the policy's monitoring identity (baseline MON-1); its
   * password comes from the credentials Secret (that key only). Scrapes are admitted from
   * `monitoringNamespace` only.
   * @default - none
   */
  readonly metricsExporter?: MetricsExporterOptions;
  /** Loopback port of the authenticated listener for the in-pod exporter; used when the policy has monitoring identities. @default 1884 */
  readonly metricsListenerPort?: number;
  /** Seconds between checks of the credentials Secret and the ACL by the reloader sidecar. @default 30 */
  readonly reloadIntervalSeconds?: number;
}

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

/** Files the broker reads, rendered from the options. */
export interface MosquittoFiles {
  readonly 'mosquitto.conf': string;
  readonly acl: string;
  /** Every identity of the policy; the init container hashes their passwords. */
  readonly users: string;
  /** dynamic-security mode: the plugin's JSON with markers where the init container puts hashes. */
  readonly 'dynamic-security-template.json'?: string;
  /** With tls.revocation: the declared revoked certificates as an openssl ca database. */
  readonly 'revoked.index'?: string;
}

/**
 * Files larger than this ship gzipped in the ConfigMap's binaryData (a ConfigMap holds at most
 * 1 MiB; the ACL of 10 000 devices is about 1.35 MB) and the init container unpacks them.
 */
export const INLINE_FILE_LIMIT = 256 * 1024;

/** Where the eclipse-mosquitto image keeps the dynamic-security plugin. */
export const IMAGE_DYNSEC_PLUGIN = '/usr/lib/mosquitto_dynamic_security.so';

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
}

export interface MosquittoBuild {
  readonly resolved: ResolvedMosquitto;
  readonly files: MosquittoFiles;
  readonly objects: readonly K8sObject[];
}

/**
 * Renders the broker's files for given paths (the pod's, or a local directory's) from options
 * that {@link resolveMosquitto} accepted: the construct and the local bundle both go through it,
 * so what is tested locally was validated like what is deployed.
 */
export function renderMosquittoFiles(
  o: MosquittoBrokerOptions,
  r: ResolvedMosquitto,
  paths: { config: string; tls: string; auth: string; data?: string; bindAddress?: string; dynsecPlugin?: string; packLargeFiles?: boolean },
): MosquittoFiles {
  const dynsec = (o.aclMode ?? 'acl-file') === 'dynamic-security';
  const clientAuth = o.tls.clientAuth ?? 'password';
  // Class pattern lines apply to every authenticated client: only where the kit's password file
  // (or the plugin's client list) is the only way in, i.e. no certificate listener (docs/scale.md).
  const aclOpts = { clientIdIsUsername: o.clientIdIsUsername ?? true, classPatterns: clientAuth === 'password' };
  const acl = renderMosquittoAcl(o.policy, aclOpts);
  // A packed ACL is unpacked and validated by the init container into the auth volume.
  const aclFile = paths.packLargeFiles && !dynsec && Buffer.byteLength(acl) > INLINE_FILE_LIMIT ? `${paths.auth}/acl` : `${paths.config}/acl`;
  const policy = o.policy;
  const conf = renderMosquittoConf({
    port: r.port,
    ...(paths.bindAddress ? { bindAddress: paths.bindAddress } : {}),
    tls: {
      certFile: `${paths.tls}/tls.crt`,
      keyFile: `${paths.tls}/tls.key`,
      caFile: `${paths.tls}/ca.crt`,
      minVersion: o.tls.minVersion ?? '1.2',
      requireClientCertificate: clientAuth === 'certificate',
      useIdentityAsUsername: clientAuth === 'certificate',
      ...(r.revocation ? { crlFile: `${paths.tls}/crl.pem` } : {}),
    },
    ...(r.certificatePort !== undefined ? { certificateListener: { port: r.certificatePort } } : {}),
    passwordFile: `${paths.auth}/passwd`,
    aclFile,
    ...(dynsec ? { dynamicSecurity: { pluginPath: paths.dynsecPlugin ?? IMAGE_DYNSEC_PLUGIN, configFile: `${paths.auth}/dynamic-security.json` } } : {}),
    ...(o.limits ? { limits: o.limits } : {}),
    clientIdIsUsername: o.clientIdIsUsername ?? true,
    ...(paths.data ? { persistenceLocation: paths.data } : {}),
    ...(r.metricsListenerPort !== undefined ? { metricsListener: { port: r.metricsListenerPort } } : {}),
  });
  return {
    'mosquitto.conf': conf,
    acl,
    users: `${policy.principals.map((p) => p.username).join('\n')}\n`,
    ...(dynsec ? { 'dynamic-security-template.json': `${JSON.stringify(renderDynsec(policy, 'markers', aclOpts))}\n` } : {}),
    ...(r.revocation ? { 'revoked.index': renderRevocationIndex(r.revocation) } : {}),
  };
}

const r0port = (o: MosquittoBrokerOptions) => o.port ?? 8883;

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
    // Listed in the report; no audit finding is its to suppress (appliesTo: [] covers nothing).
    relaxations.push({ id: 'ACL-2', prop: 'clientIdIsUsername', reason: o.clientIdChoiceReason.trim(), appliesTo: [] });
  } else if (o.clientIdChoiceReason !== undefined) {
    throw new FortressError('MOSQ_CLIENTID_REASON', 'clientIdChoiceReason only applies when clientIdIsUsername is false.');
  }
  if (o.aclMode !== undefined && !(ACL_MODES as readonly string[]).includes(o.aclMode)) {
    throw new FortressError('MOSQ_ACL_MODE', `aclMode must be ${ACL_MODES.map((m) => `"${m}"`).join(' or ')}, got ${show(o.aclMode)}.`);
  }
  if (o.monitoringNamespace !== undefined) assertDnsLabel('monitoringNamespace', o.monitoringNamespace);
  const hasMonitoring = o.policy.principals.some((p) => p.kind === 'monitoring');
  const metricsListenerPort = hasMonitoring ? (o.metricsListenerPort ?? 1884) : undefined;
  if (o.reloadIntervalSeconds !== undefined) assertInt('reloadIntervalSeconds', o.reloadIntervalSeconds, 5, 3600);
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
    const port = o.metricsExporter.port ?? 9234;
    assertInt('metricsExporter.port', port, 1024, 65535);
    if ([r0port(o), metricsListenerPort, certificatePort].includes(port)) throw new FortressError('PORT_CLASH', `metricsExporter.port ${port} clashes with a broker listener.`);
    exporter = { image: imageRef('metricsExporter.image', img), port, username: mon.username };
  }
  const limits = resolveLimits(o.limits);
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
  };
}

/** Validates the options and builds every object (pure). Throws FortressError naming the prop. */
export function buildMosquitto(o: MosquittoBrokerOptions): MosquittoBuild {
  const r = resolveMosquitto(o);
  const files = renderMosquittoFiles(o, r, {
    config: POD_PATHS.config,
    tls: POD_PATHS.tls,
    auth: POD_PATHS.auth,
    ...(o.persistence?.enabled === false ? {} : { data: POD_PATHS.data }),
    packLargeFiles: true,
  });
  const resources = resolveResources('resources', o.resources, DEFAULT_MOSQUITTO_RESOURCES);
  const sidecarResources = { requests: { cpu: '10m', memory: '16Mi', 'ephemeral-storage': '16Mi' }, limits: { cpu: '200m', memory: '64Mi', 'ephemeral-storage': '64Mi' } };
  const ns = r.namespace;
  const labels = {
    'app.kubernetes.io/name': 'mosquitto',
    'app.kubernetes.io/instance': r.name,
    'app.kubernetes.io/component': 'broker',
    'app.kubernetes.io/part-of': 'mqtt-fortress',
    'app.kubernetes.io/managed-by': 'terraform',
  };
  const selector = { 'app.kubernetes.io/name': 'mosquitto', 'app.kubernetes.io/instance': r.name };
  const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: ns, labels: { ...labels }, ...extra });
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
  const packed = (k: string) => `${k}.gz` in binaryData;
  const configBytes = Object.values(configData).reduce((n, v) => n + Buffer.byteLength(v), 0) + Object.values(binaryData).reduce((n, v) => n + v.length, 0);
  if (configBytes > 1_000_000) {
    throw new FortressError(
      'MOSQ_CONFIG_TOO_LARGE',
      `the broker's files need ${configBytes} bytes even compressed, over Kubernetes' 1 MiB ConfigMap limit (${o.policy.principals.length} identities). Split the fleet across brokers, or move devices to client certificates (tls.requireClientCertificate with useIdentityAsUsername) so fewer identities need rules of their own.`,
    );
  }
  // A change of mosquitto.conf or the script needs a restart; ACL and credentials reload by SIGHUP.
  const restartHash = createHash('sha256').update(files['mosquitto.conf']).update(script).update(entrypoint).digest('hex').slice(0, 16);
  const secCtx = restrictedContainer();
  // Plaintext passwords are read only under this UID; the broker (pod default UID) reads hashes
  // through the pod's group. The exporter gets a third UID.
  const credCtx = { ...secCtx, runAsUser: r.credentialsRunAsUser };
  const dynsec = o.aclMode === 'dynamic-security';
  const authEnv = [
    { name: 'FORTRESS_MODE', value: dynsec ? 'dynamic-security' : 'acl-file' },
    ...(dynsec ? [{ name: 'FORTRESS_DYNSEC_TEMPLATE', value: `${POD_PATHS.config}/dynamic-security-template.json${packed('dynamic-security-template.json') ? '.gz' : ''}` }] : []),
    ...(packed('acl') && !dynsec ? [{ name: 'FORTRESS_ACL_GZ', value: `${POD_PATHS.config}/acl.gz` }] : []),
    { name: 'FORTRESS_PLAIN', value: POD_PATHS.plain },
    { name: 'FORTRESS_USERS', value: `${POD_PATHS.config}/users` },
    ...(dynsec || packed('acl') ? [] : [{ name: 'FORTRESS_ACLS', value: `${POD_PATHS.config}/acl` }]),
    { name: 'FORTRESS_OUT', value: POD_PATHS.auth },
    { name: 'FORTRESS_SCRATCH', value: POD_PATHS.scratch },
    { name: 'FORTRESS_TLS_SRC', value: POD_PATHS.tlsSource },
    ...(o.tls.clientCaSecretName ? [{ name: 'FORTRESS_TLS_CA_SRC', value: POD_PATHS.clientCaSource }] : []),
    { name: 'FORTRESS_TLS_DIR', value: POD_PATHS.tls },
    { name: 'FORTRESS_INTERVAL', value: String(o.reloadIntervalSeconds ?? 30) },
    ...crlEnv(r.revocation, `${POD_PATHS.config}/revoked.index`, POD_PATHS.crlCaSource),
  ];
  const authMounts = [
    { name: 'config', mountPath: POD_PATHS.config, readOnly: true },
    { name: 'credentials', mountPath: POD_PATHS.plain, readOnly: true },
    { name: 'auth', mountPath: POD_PATHS.auth },
    { name: 'scratch', mountPath: POD_PATHS.scratch },
    // No subPath anywhere: kubelet then updates renewed certificates in place.
    { name: 'tls-source', mountPath: POD_PATHS.tlsSource, readOnly: true },
    ...(o.tls.clientCaSecretName ? [{ name: 'client-ca', mountPath: POD_PATHS.clientCaSource, readOnly: true }] : []),
    { name: 'tls', mountPath: POD_PATHS.tls },
    ...(r.revocation ? [{ name: 'crl-ca', mountPath: POD_PATHS.crlCaSource, readOnly: true }] : []),
  ];
  const users = o.policy.principals.length;
  const authSize = `${Math.max(1, Math.ceil((users * 512) / 1024 / 1024))}Mi`;
  const persistence = o.persistence?.enabled !== false;
  const liveness = { tcpSocket: { port: r.port }, initialDelaySeconds: 15, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 3 };
  // Ready only when a TLS handshake with the broker verifies against the server certificate's own
  // CA (fortress-broker.sh ready): an expired or foreign certificate is visible, not only a closed port.
  const clientAuth = o.tls.clientAuth ?? 'password';
  const requiresCertificate = clientAuth === 'certificate' || clientAuth === 'password-and-certificate';
  const readiness = {
    exec: { command: ['/bin/sh', `${POD_PATHS.config}/fortress-broker.sh`, 'ready', String(r.port), `${POD_PATHS.tls}/server-ca.crt`, ...(requiresCertificate ? ['certificate'] : [])] },
    initialDelaySeconds: 5,
    periodSeconds: 10,
    timeoutSeconds: requiresCertificate ? 20 : 5,
    failureThreshold: 3,
  };

  const certPorts = r.certificatePort ? [{ name: 'mqtts-cert', port: r.certificatePort, targetPort: 'mqtts-cert', protocol: 'TCP' }] : [];
  const objects: K8sObject[] = [];
  if (r.createNamespace) objects.push(restrictedNamespace(ns));
  objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(r.name), automountServiceAccountToken: false });
  objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${r.name}-config`), data: configData, ...(Object.keys(binaryData).length ? { binaryData } : {}) });
  objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(`${r.name}-headless`),
    spec: { clusterIP: 'None', selector: { ...selector }, ports: [{ name: 'mqtts', port: r.port, targetPort: 'mqtts', protocol: 'TCP' }, ...certPorts] },
  });
  const lbAnnotations =
    r.serviceType === 'LoadBalancer'
      ? {
          'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
          'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
          'service.beta.kubernetes.io/aws-load-balancer-scheme': o.service?.internetFacingReason ? 'internet-facing' : 'internal',
          // Keep client addresses: the NetworkPolicy then checks the same client ranges as the NLB.
          'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes': 'preserve_client_ip.enabled=true',
          ...(o.service?.securityGroupIds?.length
            ? {
                'service.beta.kubernetes.io/aws-load-balancer-security-groups': o.service.securityGroupIds.join(','),
                'service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules': 'true',
              }
            : {}),
          ...(o.service?.subnetIds?.length ? { 'service.beta.kubernetes.io/aws-load-balancer-subnets': o.service.subnetIds.join(',') } : {}),
          ...(o.service?.annotations ?? {}),
        }
      : { ...(o.service?.annotations ?? {}) };
  objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(r.name, Object.keys(lbAnnotations).length ? { annotations: lbAnnotations } : {}),
    spec: {
      type: r.serviceType,
      selector: { ...selector },
      ports: [{ name: 'mqtts', port: r.servicePort, targetPort: 'mqtts', protocol: 'TCP' }, ...certPorts],
      ...(r.serviceType === 'LoadBalancer' ? { loadBalancerSourceRanges: [...(o.service?.loadBalancerSourceRanges ?? [])], externalTrafficPolicy: 'Local' } : {}),
    },
  });
  objects.push({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(r.name),
    spec: {
      replicas: 1,
      serviceName: `${r.name}-headless`,
      podManagementPolicy: 'OrderedReady',
      selector: { matchLabels: { ...selector } },
      updateStrategy: { type: 'RollingUpdate' },
      ...(persistence ? { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' } } : {}),
      template: {
        metadata: { labels: { ...labels }, annotations: { 'mqtt-fortress.io/restart-hash': restartHash } },
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
              env: authEnv,
              securityContext: credCtx,
              resources: sidecarResources,
              volumeMounts: authMounts,
            },
          ],
          containers: [
            {
              name: 'mosquitto',
              image: r.image,
              imagePullPolicy: 'IfNotPresent',
              // The entrypoint supervises mosquitto and reloads it when the reloader has staged
              // validated files (SIGHUP; a restart for dynamic security or a new client CA).
              command: ['/bin/sh', `${POD_PATHS.config}/fortress-broker.sh`, 'run', `${POD_PATHS.config}/mosquitto.conf`, POD_PATHS.auth],
              ports: [{ name: 'mqtts', containerPort: r.port, protocol: 'TCP' }, ...(r.certificatePort ? [{ name: 'mqtts-cert', containerPort: r.certificatePort, protocol: 'TCP' }] : [])],
              securityContext: secCtx,
              resources,
              readinessProbe: readiness,
              livenessProbe: liveness,
              volumeMounts: [
                { name: 'config', mountPath: POD_PATHS.config, readOnly: true },
                { name: 'tls', mountPath: POD_PATHS.tls, readOnly: true },
                // The dynamic-security plugin writes its file back when it changes it.
                { name: 'auth', mountPath: POD_PATHS.auth, readOnly: !dynsec },
                ...(persistence ? [{ name: 'data', mountPath: POD_PATHS.data }] : []),
              ],
            },
            ...(r.exporter
              ? [
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
                      { name: 'MQTT_PASS', valueFrom: { secretKeyRef: { name: o.credentialsSecretName, key: r.exporter.username } } },
                      { name: 'MQTT_CLIENT_ID', value: `${r.name}-metrics-exporter` },
                    ],
                    ports: [{ name: 'metrics', containerPort: r.exporter.port, protocol: 'TCP' }],
                    securityContext: { ...secCtx, runAsUser: r.exporterRunAsUser },
                    resources: sidecarResources,
                    readinessProbe: { httpGet: { path: '/metrics', port: r.exporter.port }, periodSeconds: 20, timeoutSeconds: 3 },
                  },
                ]
              : []),
            {
              name: 'credentials-reloader',
              image: r.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/sh', `${POD_PATHS.config}/fortress-auth.sh`, 'watch'],
              env: authEnv,
              securityContext: credCtx,
              resources: sidecarResources,
              volumeMounts: authMounts,
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: `${r.name}-config`, defaultMode: 0o440 } },
            { name: 'tls-source', secret: { secretName: o.tls.secretName, defaultMode: 0o440 } },
            ...(o.tls.clientCaSecretName ? [{ name: 'client-ca', secret: { secretName: o.tls.clientCaSecretName, defaultMode: 0o440, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] : []),
            { name: 'tls', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
            ...(r.revocation ? [crlCaVolume('crl-ca', r.revocation)] : []),
            { name: 'credentials', secret: { secretName: o.credentialsSecretName, defaultMode: 0o440 } },
            { name: 'auth', emptyDir: { medium: 'Memory', sizeLimit: authSize } },
            { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: authSize } },
          ],
        },
      },
      ...(persistence
        ? {
            volumeClaimTemplates: [
              {
                metadata: { name: 'data', labels: { ...labels } },
                spec: {
                  accessModes: ['ReadWriteOnce'],
                  ...(o.persistence?.storageClassName ? { storageClassName: o.persistence.storageClassName } : {}),
                  resources: { requests: { storage: o.persistence?.size ?? '1Gi' } },
                },
              },
            ],
          }
        : {}),
    },
  });
  objects.push({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(r.name),
    spec: { minAvailable: 1, selector: { matchLabels: { ...selector } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  });
  // NetworkPolicies (baseline NET-1): default deny in the namespace (or for the broker pods when
  // the namespace is not ours), then MQTT from declared peers only. The broker needs no egress.
  objects.push(denyAllPolicy(meta(r.createNamespace ? 'default-deny-all' : `${r.name}-default-deny`), r.createNamespace ? undefined : selector));
  if (r.exporter) objects.push(ingressPolicy(meta(`${r.name}-allow-metrics`), selector, [namespacePeer(r.monitoringNamespace)], [r.exporter.port]));
  if ((o.allowFrom ?? []).length > 0) {
    objects.push(ingressPolicy(meta(`${r.name}-allow-mqtts`), selector, (o.allowFrom ?? []).map(peerToK8s), [r.port, ...(r.certificatePort ? [r.certificatePort] : [])]));
  }
  return { resolved: r, files, objects };
}
