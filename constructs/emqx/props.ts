/**
 * Step 1 of 4 of an EmqxCluster: the props, their types, defaults and documentation. resolve.ts
 * validates them into a complete ResolvedEmqx, files.ts renders emqx.conf, acl.conf and
 * ssl_dist.conf from it, objects.ts builds the Kubernetes objects.
 */

import type { ClientAuth } from '../broker/client-auth.js';
import type { MqttPeer, ResourceRequirements } from '../k8s/values.js';
import type { Policy } from '../policy/model.js';
import type { EmqxLimits } from './config.js';
import type { EmqxJwtAuth } from './jwt.js';
import type { EmqxRevocationProps } from './revocation.js';

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
    /**
     * Revoked client certificates, refused at the TLS handshake: the kit signs the list as a CRL
     * with the client CA in a CRL server of its own (`<name>-crl`) and turns on EMQX's CRL check
     * (`enable_crl_check`), which fetches the CRL from the distribution point URL in each client
     * certificate. Only with clientAuth `certificate` or `password-and-certificate`. Every client
     * certificate must carry {@link EmqxCluster.crlDistributionPoint} (BrokerCertificates stamps
     * it); a certificate without it is refused. See docs/certificate-revocation.md.
     * @default - no revocation checking
     */
    readonly revocation?: EmqxRevocationProps;
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
  /**
   * Token (JWT) authentication after the password database: devices log in with a token their
   * issuer signed, no per-device credential in the cluster (constructs/emqx/jwt.ts, docs/scale.md).
   * Any holder of a valid token for a username can log in, so identity classes stay per-user rules.
   * @default - none
   */
  readonly jwt?: EmqxJwtAuth;
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

export type EmqxClusterProps = EmqxClusterOptions;
