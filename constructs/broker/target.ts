/** What the credential and certificate constructs need from a broker (MosquittoBroker, EmqxCluster). */
import type { TerraformResource } from 'cdktf';
import type { ClientAuth } from '../mosquitto/manifests.js';
import type { Policy } from '../policy/model.js';

export interface BrokerTarget {
  /** Base name of the broker's objects. */
  readonly serviceName: string;
  readonly namespace: string;
  readonly policy: Policy;
  readonly statefulSet: TerraformResource;
  readonly namespaceResource: TerraformResource | undefined;
  /** Secret of the client-facing certificate. */
  readonly tlsSecretName: string;
  /** Services whose DNS names the certificate covers. */
  readonly serviceNames: readonly string[];
  readonly clientAuth: ClientAuth;
  /** EMQX: the certificate of node-to-node traffic. */
  readonly nodeCertificate?: { readonly secretName: string; readonly dnsNames: readonly string[] };
}
