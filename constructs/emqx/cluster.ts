/** EmqxCluster: a hardened multi-node EMQX 5.8 cluster on Kubernetes; thin over buildEmqx. */
import { dependable, type ITerraformDependable, type TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { ClientAuth } from '../broker/client-auth.js';
import { claimBroker } from '../broker/registry.js';
import type { IBroker } from '../broker/target.js';
import { scoped } from '../core/errors.js';
import { type IRelaxed, type Relaxation, Relaxations } from '../core/relaxation.js';
import { addK8sObject } from '../k8s/resources.js';
import type { MqttPeer } from '../k8s/values.js';
import type { Policy } from '../policy/model.js';
import { buildEmqx, type EmqxBuild } from './objects.js';
import type { EmqxClusterProps } from './props.js';

export class EmqxCluster extends Construct implements IBroker, IRelaxed {
  public readonly build: EmqxBuild;
  public readonly policy: Policy;
  public readonly relaxations: readonly Relaxation[];
  public readonly statefulSet: TerraformResource;
  public readonly serviceName: string;
  public readonly namespace: string;
  public readonly namespaceResource: TerraformResource | undefined;
  public readonly tlsSecretName: string;
  public readonly serviceNames: readonly string[];
  public readonly clientAuth: ClientAuth;
  public readonly nodeCertificate: { readonly secretName: string; readonly dnsNames: readonly string[] };
  /** With tls.revocation: the CRL distribution point URL every client certificate must carry (`http://<name>-crl.<namespace>.svc.cluster.local:8080/crl.pem`). */
  public readonly crlDistributionPoint: string | undefined;
  public readonly revocationEndpoint: IBroker['revocationEndpoint'];
  /** The declared peers (props.allowFrom): the NetworkPolicy admits these and nothing else. */
  public readonly allowFrom: readonly MqttPeer[];

  constructor(scope: Construct, id: string, props: EmqxClusterProps) {
    super(scope, id);
    this.build = scoped(this, () => buildEmqx(props));
    claimBroker(this, 'EmqxCluster', this.build.name, this.build.namespace);
    const r = this.build.resolved;
    this.policy = r.policy;
    this.allowFrom = r.allowFrom;
    this.relaxations = this.build.relaxations;
    Relaxations.register(this);
    let ns: TerraformResource | undefined;
    let ss: TerraformResource | undefined;
    for (const obj of this.build.objects) {
      const res = addK8sObject(this, obj.kind === 'Namespace' ? 'Namespace' : `${obj.kind}-${obj.metadata.name}`, obj, ns && obj.kind !== 'Namespace' ? { dependsOn: [ns] } : {});
      if (obj.kind === 'Namespace') ns = res;
      if (obj.kind === 'StatefulSet') ss = res;
    }
    this.statefulSet = ss!;
    this.namespaceResource = ns;
    this.serviceName = this.build.name;
    this.namespace = this.build.namespace;
    this.tlsSecretName = r.tls.secretName;
    this.serviceNames = [this.build.name];
    this.clientAuth = r.tls.clientAuth;
    const headless = `${this.build.name}-headless.${this.build.namespace}.svc`;
    const rev = r.tls.revocation;
    this.crlDistributionPoint = rev?.url;
    this.revocationEndpoint = rev ? { crlDistributionPoint: rev.url, caSecretName: rev.caSecretName } : undefined;
    this.nodeCertificate = { secretName: r.tls.nodeSecretName, dnsNames: [`*.${headless}`, `*.${headless}.cluster.local`] };
    this.node.addValidation({
      validate: () => (this.allowFrom.length ? [] : ['EMQX_NO_PEERS: allowFrom is empty: the NetworkPolicy admits no MQTT client. Declare the clients in props.allowFrom.']),
    });
  }

  /** The cluster's pods start only after `deps` exist (e.g. the Secret they mount). */
  public addDependency(...deps: ITerraformDependable[]): void {
    this.statefulSet.dependsOn = [...(this.statefulSet.dependsOn ?? []), ...deps.map((d) => dependable(d))];
  }
}
