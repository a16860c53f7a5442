/**
 * The broker contract: what the credential, certificate, monitoring and audit constructs need from
 * a broker (MosquittoBroker, EmqxCluster). They take an {@link IBroker}, never a concrete class, and add
 * their start-up dependencies through {@link IBroker.addDependency} instead of writing into the
 * broker's resources.
 */
import type { ITerraformDependable, TerraformResource } from 'cdktf';
import type { Policy } from '../policy/model.js';
import type { ClientAuth } from './client-auth.js';

/** A peer the broker admits, as declared (`allowFrom`); the shape of `MqttPeer`, read by the audit's reachability rows. */
export interface DeclaredPeer {
  readonly namespace?: string;
  readonly namespaceLabels?: Record<string, string>;
  readonly podLabels?: Record<string, string>;
  readonly cidr?: string;
  readonly except?: readonly string[];
}

export interface IBroker {
  /** Base name of the broker's objects. */
  readonly serviceName: string;
  readonly namespace: string;
  readonly policy: Policy;
  /** The declared peers (props.allowFrom): the NetworkPolicy admits these and nothing else. */
  readonly allowFrom: readonly DeclaredPeer[];
  /** The Namespace resource, when the broker creates its namespace. */
  readonly namespaceResource: TerraformResource | undefined;
  /** Secret of the client-facing certificate. */
  readonly tlsSecretName: string;
  /** Services whose DNS names the certificate covers. */
  readonly serviceNames: readonly string[];
  readonly clientAuth: ClientAuth;
  /** EMQX: the certificate of node-to-node traffic. */
  readonly nodeCertificate?: { readonly secretName: string; readonly dnsNames: readonly string[] };
  /**
   * EMQX with tls.revocation: the CRL distribution point URL every client certificate must carry,
   * and the Secret of the CA that signs the CRL (BrokerCertificates stamps the URL through its CA
   * issuer and checks that this is the client CA's Secret).
   */
  readonly revocationEndpoint?: { readonly crlDistributionPoint: string; readonly caSecretName: string };
  /** The broker's pods start only after `deps` exist (e.g. the Secret they mount). */
  addDependency(...deps: ITerraformDependable[]): void;
}

/** The resolved settings of a broker that its alerts and dashboard read. */
export interface MonitoredSettings {
  /** Base name of the broker's objects (its StatefulSet's name). */
  readonly name: string;
  readonly namespace: string;
  /** The broker's connection limit (the near-limit alert's threshold). */
  readonly maxConnections: number;
  /** Set when a Prometheus exporter runs in the broker's pods (container port `metrics`). */
  readonly exporter: object | undefined;
  /** Namespace of the monitoring stack (the dashboard's default namespace). */
  readonly monitoringNamespace: string;
}

/** A broker that BrokerMonitoring can watch (MosquittoBroker; EMQX exports its own metrics). */
export interface IMonitoredBroker extends IBroker {
  readonly resolved: MonitoredSettings;
  /** Labels that select the broker's pods. */
  readonly selectorLabels: Record<string, string>;
}
