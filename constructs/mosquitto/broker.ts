/**
 * MosquittoBroker: a hardened single-node Mosquitto on Kubernetes. Thin over
 * {@link buildMosquitto}: validates props (errors name this construct's path), then turns the
 * objects into Terraform resources.
 */
import { dependable, type ITerraformDependable, type TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { ClientAuth } from '../broker/client-auth.js';
import { claimBroker } from '../broker/registry.js';
import type { IMonitoredBroker } from '../broker/target.js';
import { scoped } from '../core/errors.js';
import { type IRelaxed, type Relaxation, Relaxations } from '../core/relaxation.js';
import { addK8sObject } from '../k8s/resources.js';
import type { MqttPeer } from '../k8s/values.js';
import type { Policy } from '../policy/model.js';
import type { MosquittoFiles } from './files.js';
import { buildMosquitto } from './objects.js';
import type { MosquittoBrokerProps } from './props.js';
import type { ResolvedMosquitto } from './resolve.js';

export interface IMosquittoBroker {
  readonly namespace: string;
  readonly serviceName: string;
  readonly port: number;
}

export class MosquittoBroker extends Construct implements IMosquittoBroker, IMonitoredBroker, IRelaxed {
  public readonly namespace: string;
  /** Name of the client-facing Service. */
  public readonly serviceName: string;
  /** Port the Service exposes (TLS). */
  public readonly port: number;
  public readonly policy: Policy;
  /** The rendered broker files (mosquitto.conf, ACLs, user lists): no secrets. */
  public readonly files: MosquittoFiles;
  /** Every relaxation of the baseline these props make, with its reason. */
  public readonly relaxations: readonly Relaxation[];
  /** The StatefulSet resource, for dependencies. */
  public readonly statefulSet: TerraformResource;
  /** The Namespace resource, when the broker creates its namespace. */
  public readonly namespaceResource: TerraformResource | undefined;
  /** Names of the broker's Services (client-facing and headless). */
  public readonly serviceNames: readonly string[];
  /** The Secret the broker's certificate comes from. */
  public readonly tlsSecretName: string;
  /** How clients authenticate. */
  public readonly clientAuth: ClientAuth;
  /** Resolved settings other constructs build on (monitoring, report). */
  public readonly resolved: ResolvedMosquitto;
  /** Pod labels that select the broker. */
  public readonly selectorLabels: Record<string, string>;
  /** The declared peers (props.allowFrom): the NetworkPolicy admits these and nothing else. */
  public readonly allowFrom: readonly MqttPeer[];

  constructor(scope: Construct, id: string, props: MosquittoBrokerProps) {
    super(scope, id);
    const build = scoped(this, () => buildMosquitto(props));
    this.allowFrom = build.resolved.allowFrom;
    claimBroker(this, 'MosquittoBroker', build.resolved.name, build.resolved.namespace);
    this.namespace = build.resolved.namespace;
    this.serviceName = build.resolved.name;
    this.port = build.resolved.servicePort;
    this.policy = build.resolved.policy;
    this.files = build.files;
    this.relaxations = build.resolved.relaxations;
    Relaxations.register(this);
    this.serviceNames = [build.resolved.name, `${build.resolved.name}-headless`];
    this.tlsSecretName = build.resolved.tls.secretName;
    this.clientAuth = build.resolved.tls.clientAuth;
    this.resolved = build.resolved;
    this.selectorLabels = { 'app.kubernetes.io/name': 'mosquitto', 'app.kubernetes.io/instance': build.resolved.name };

    const resources = new Map<string, TerraformResource>();
    let ns: TerraformResource | undefined;
    for (const obj of build.objects) {
      const id = obj.kind === 'Namespace' ? 'Namespace' : `${obj.kind}-${obj.metadata.name}`;
      const res = addK8sObject(this, id, obj, ns && obj.kind !== 'Namespace' ? { dependsOn: [ns] } : {});
      if (obj.kind === 'Namespace') ns = res;
      resources.set(`${obj.kind}/${obj.metadata.name}`, res);
    }
    this.statefulSet = resources.get(`StatefulSet/${build.resolved.name}`)!;
    this.namespaceResource = ns;
    this.node.addValidation({
      validate: () =>
        this.allowFrom.length === 0
          ? // cdktf prefixes a validation message with the construct path; the code leads the text.
            ['MOSQ_NO_PEERS: allowFrom is empty: the NetworkPolicy admits no MQTT client, so the broker is unreachable. Declare the clients in props.allowFrom (namespaces, pod labels or CIDRs).']
          : [],
    });
  }

  /** The broker's pod starts only after `deps` exist (e.g. the Secret it mounts). */
  public addDependency(...deps: ITerraformDependable[]): void {
    this.statefulSet.dependsOn = [...(this.statefulSet.dependsOn ?? []), ...deps.map((d) => dependable(d))];
  }
}
