/**
 * SecretsManagerDelivery: the Kubernetes half of the credential path. A ClusterSecretStore
 * limited to the broker namespace and an ExternalSecret that writes the Secret the broker's init
 * container hashes. The broker waits for the ExternalSecret to be Ready.
 */
import { dependable, type TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { IBroker } from '../broker/target.js';
import { scoped } from '../core/errors.js';
import { crdCheck } from '../k8s/crd-check.js';
import { addK8sObject } from '../k8s/resources.js';
import { buildAdminExternalSecret, buildExternalSecrets, type SecretsReaderAuth } from './external-secrets.js';
import { credentialLayout, credentialPrefix } from './layout.js';

export interface SecretsManagerDeliveryProps {
  readonly broker: IBroker;
  /**
   * A second Secret from the admin secrets (CredentialStore.adminSecrets), rendered with an
   * external-secrets template, e.g. EMQX's cookie, dashboard password and api-keys file.
   * @default - none
   */
  readonly admin?: { readonly secretName: string; readonly keys: readonly string[]; readonly template: Record<string, string> };
  /** Region of the Secrets Manager secrets (the CredentialStore's). */
  readonly region: string;
  /** Must match the CredentialStore's. @default 'mosquitto' */
  readonly brokerName?: string;
  /** Must match the CredentialStore's. @default `mqtt-fortress/<brokerName>` */
  readonly prefix?: string;
  /** Name of the Secret to write; the broker's `credentialsSecretName`. */
  readonly targetSecretName: string;
  /** @default '15m' */
  readonly refreshInterval?: string;
  /** @default { kind: 'pod-identity' } */
  readonly auth?: SecretsReaderAuth;
  /**
   * Name of the (cluster-scoped) ClusterSecretStore. One per broker, so two brokers in one
   * cluster do not overwrite each other's store. @default `mqtt-fortress-<brokerName>`
   */
  readonly storeName?: string;
}

export class SecretsManagerDelivery extends Construct {
  /** The ExternalSecret of the passwords (the first shard's when they are sharded). */
  public readonly externalSecret: TerraformResource;
  /** Every ExternalSecret of the passwords: one, or one per shard (credentials/layout.ts, passwordShards). */
  public readonly externalSecrets: readonly TerraformResource[];
  public readonly refreshInterval: string;

  constructor(scope: Construct, id: string, props: SecretsManagerDeliveryProps) {
    super(scope, id);
    this.refreshInterval = props.refreshInterval ?? '15m';
    const layoutOpts = { ...(props.brokerName ? { brokerName: props.brokerName } : {}), ...(props.prefix ? { prefix: props.prefix } : {}) };
    const objects = scoped(this, () =>
      buildExternalSecrets({
        secrets: credentialLayout(props.broker.policy, layoutOpts),
        prefix: credentialPrefix(layoutOpts),
        brokerName: props.brokerName ?? 'mosquitto',
        region: props.region,
        namespace: props.broker.namespace,
        targetSecretName: props.targetSecretName,
        storeName: props.storeName ?? `mqtt-fortress-${props.brokerName ?? 'mosquitto'}`,
        refreshInterval: this.refreshInterval,
        ...(props.auth ? { auth: props.auth } : {}),
      }),
    );
    // One ExternalSecret, or one per shard for a fleet larger than one Secret (layout.ts).
    const [store, ...shardEs] = objects as [(typeof objects)[0], ...(typeof objects)[number][]];
    // external-secrets must be installed before this stack is planned (its objects are kubernetes_manifest).
    const crd = crdCheck(
      this,
      'ExternalSecretsInstalled',
      'clustersecretstores.external-secrets.io',
      'external-secrets is not installed in this cluster (no CRD clustersecretstores.external-secrets.io). Install it (v0.17 or later, external-secrets.io/v1) before deploying this stack: see docs/deploy.md, phase 3.',
    );
    const storeRes = addK8sObject(this, 'ClusterSecretStore', store);
    storeRes.dependsOn = [...(storeRes.dependsOn ?? []), dependable(crd)];
    this.externalSecrets = shardEs.map((es, i) => {
      const res = addK8sObject(this, i === 0 && shardEs.length === 1 ? 'ExternalSecret' : `ExternalSecret${i}`, es, {
        dependsOn: [storeRes, ...(props.broker.namespaceResource ? [props.broker.namespaceResource] : [])],
      });
      // The broker's pod needs the Secret: wait until external-secrets reports it Ready.
      res.addOverride('wait', { condition: [{ type: 'Ready', status: 'True' }] });
      props.broker.addDependency(res);
      return res;
    });
    this.externalSecret = this.externalSecrets[0]!;
    if (props.admin) {
      const adminEs = scoped(this, () =>
        buildAdminExternalSecret({
          namespace: props.broker.namespace,
          targetSecretName: props.admin!.secretName,
          storeName: store.metadata.name,
          prefix: credentialPrefix(layoutOpts),
          keys: props.admin!.keys,
          template: props.admin!.template,
          refreshInterval: this.refreshInterval,
        }),
      );
      const res = addK8sObject(this, 'AdminExternalSecret', adminEs, { dependsOn: [storeRes, ...(props.broker.namespaceResource ? [props.broker.namespaceResource] : [])] });
      res.addOverride('wait', { condition: [{ type: 'Ready', status: 'True' }] });
      props.broker.addDependency(res);
    }
  }
}
