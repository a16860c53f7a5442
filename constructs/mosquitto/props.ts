/**
 * Step 1 of 4 of a MosquittoBroker: the props, their types, defaults and documentation. Nothing
 * here validates or renders: resolve.ts turns these props into a complete ResolvedMosquitto,
 * files.ts renders the broker's files from it, objects.ts builds the Kubernetes objects.
 */
import { CLIENT_AUTH_MODES, type ClientAuth } from '../broker/client-auth.js';
import type { ContainerImage } from '../core/image.js';
import type { MqttPeer, ResourceRequirements } from '../k8s/values.js';
import type { Policy } from '../policy/model.js';
import type { CertificateRevocationProps } from '../tls/revocation.js';

/** DoS limits (baseline DOS-1). Sizes in bytes, times in seconds. */
export interface MosquittoLimits {
  /** Concurrent client connections on the TLS listener. @default 1000 */
  readonly maxConnections?: number;
  /** Largest MQTT packet accepted; bigger ones disconnect the client. @default 262144 (256 KiB) */
  readonly maxPacketSizeBytes?: number;
  /** Largest PUBLISH payload; bigger ones are dropped. Must not exceed maxPacketSizeBytes. @default 131072 (128 KiB, AWS IoT Core's limit) */
  readonly messageSizeLimitBytes?: number;
  /** QoS 1/2 messages in flight per client. @default 20 */
  readonly maxInflightMessages?: number;
  /** Messages queued per offline or slow client. @default 1000 */
  readonly maxQueuedMessages?: number;
  /** Longest keepalive a client may ask for; longer requests are refused (MQTT 3) or lowered (MQTT 5). @default 300 */
  readonly maxKeepaliveSeconds?: number;
}

export const DEFAULT_LIMITS: Required<MosquittoLimits> = {
  maxConnections: 1000,
  maxPacketSizeBytes: 262144,
  messageSizeLimitBytes: 131072,
  maxInflightMessages: 20,
  maxQueuedMessages: 1000,
  maxKeepaliveSeconds: 300,
};

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

export type MosquittoBrokerProps = MosquittoBrokerOptions;
