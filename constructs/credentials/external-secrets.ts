/**
 * external-secrets (`external-secrets.io/v1`) objects that deliver the Secrets Manager passwords
 * into the broker namespace as the Secret the init container hashes (pure).
 */

import { assertRegion } from '../aws/region.js';
import { assertDnsLabel } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';
import { type K8sObject, registerModelSchema } from '../k8s/objects.js';
import { type CredentialSecret, passwordShards, shardSecretName, shardTagValue } from './layout.js';

registerModelSchema('external-secrets.io/v1', 'ClusterSecretStore', '@kubernetes-models/external-secrets/external-secrets.io/v1/ClusterSecretStore');
registerModelSchema('external-secrets.io/v1', 'ExternalSecret', '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret');

/** How the external-secrets controller authenticates to AWS. */
export type SecretsReaderAuth =
  /**
   * EKS Pod Identity: the association maps the controller's service account to an IAM role. No
   * auth block. With `roleArn` (the broker's reader role), the store assumes that role from the
   * controller's identity, so one controller serves several brokers, each store reading only its
   * broker's secrets.
   */
  | { readonly kind: 'pod-identity'; readonly roleArn?: string }
  /** IRSA: the controller's service account (annotated with the reader role ARN) is used for a web identity. */
  | { readonly kind: 'irsa'; readonly serviceAccountName: string; readonly serviceAccountNamespace: string };

/**
 * Above this many identities the ExternalSecret finds the secrets by name prefix and tag instead
 * of listing each one (its size would otherwise approach etcd's object limit at about 10 000
 * identities). Find needs `secretsmanager:ListSecrets`, which the CredentialStore then grants.
 */
export const FIND_DELIVERY_THRESHOLD = 500;

export function deliveryMode(identities: number): 'explicit' | 'find' {
  return identities > FIND_DELIVERY_THRESHOLD ? 'find' : 'explicit';
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface ExternalSecretsOptions {
  readonly secrets: readonly CredentialSecret[];
  /** Secret name prefix (CredentialStore's) and broker name tag, used in find mode. */
  readonly prefix: string;
  readonly brokerName: string;
  readonly region: string;
  /** Broker namespace: where the ExternalSecret and its target Secret live. */
  readonly namespace: string;
  /** Name of the Secret the broker's init container reads. */
  readonly targetSecretName: string;
  /** @default 'mqtt-fortress-aws-secrets' */
  readonly storeName?: string;
  /** How often external-secrets re-reads Secrets Manager (a Go duration). @default '15m' */
  readonly refreshInterval?: string;
  /** @default { kind: 'pod-identity' } */
  readonly auth?: SecretsReaderAuth;
}

const DURATION = /^([0-9]+(ns|us|µs|ms|s|m|h))+$/;
export function buildExternalSecrets(o: ExternalSecretsOptions): K8sObject[] {
  assertRegion('region', o.region);
  assertDnsLabel('namespace', o.namespace);
  assertDnsLabel('targetSecretName', o.targetSecretName);
  const storeName = o.storeName ?? 'mqtt-fortress-aws-secrets';
  assertDnsLabel('storeName', storeName);
  const refreshInterval = o.refreshInterval ?? '15m';
  if (!DURATION.test(refreshInterval)) throw new FortressError('ES_REFRESH', `refreshInterval must be a Go duration such as "15m" or "1h", got ${show(refreshInterval)}.`);
  const auth = o.auth ?? { kind: 'pod-identity' };
  if (auth.kind === 'pod-identity' && auth.roleArn !== undefined && !(auth.roleArn.includes('${TfToken[') || /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(auth.roleArn))) {
    throw new FortressError('ES_ROLE', `auth.roleArn must be the IAM role ARN the store assumes (the broker's reader role), got ${show(auth.roleArn)}.`);
  }
  if (o.secrets.length === 0) throw new FortressError('ES_EMPTY', 'the policy has no identities, so there is no credential to deliver.');
  const labels = { 'app.kubernetes.io/part-of': 'mqtt-fortress', 'app.kubernetes.io/managed-by': 'terraform' };
  const shards = passwordShards(o.secrets.map((s) => s.username));
  if (shards) {
    for (let i = 0; i < shards.count; i++) assertDnsLabel(`targetSecretName (shard ${i}: ${shardSecretName(o.targetSecretName, i)})`, shardSecretName(o.targetSecretName, i));
  }
  const store: K8sObject = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    metadata: { name: storeName, labels },
    spec: {
      // Only the broker namespace may read through this store.
      conditions: [{ namespaces: [o.namespace] }],
      provider: {
        aws: {
          service: 'SecretsManager',
          region: o.region,
          ...(auth.kind === 'irsa' ? { auth: { jwt: { serviceAccountRef: { name: auth.serviceAccountName, namespace: auth.serviceAccountNamespace } } } } : {}),
          ...(auth.kind === 'pod-identity' && auth.roleArn ? { role: auth.roleArn } : {}),
        },
      },
    },
  };
  if (shards) {
    // One ExternalSecret per shard, each finding its secrets by the shard tag the CredentialStore
    // set (path: a server-side name prefix, so another broker's secrets are never listed).
    // external-secrets ignores tags when find.name is set, hence path instead of a name regexp.
    return [
      store,
      ...Array.from({ length: shards.count }, (_, i) => ({
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: shardSecretName(o.targetSecretName, i), namespace: o.namespace, labels },
        spec: {
          refreshInterval,
          secretStoreRef: { kind: 'ClusterSecretStore', name: storeName },
          target: { name: shardSecretName(o.targetSecretName, i), creationPolicy: 'Owner', deletionPolicy: 'Retain', template: { type: 'Opaque', metadata: { labels } } },
          dataFrom: [
            {
              find: {
                path: `${o.prefix}/`,
                tags: { 'mqtt-fortress:broker': o.brokerName, 'mqtt-fortress:purpose': 'mqtt-password', 'mqtt-fortress:shard': shardTagValue(i, shards.count) },
                conversionStrategy: 'Default',
                decodingStrategy: 'None',
              },
              rewrite: [{ regexp: { source: `^${escapeRegex(o.prefix)}/(.*)$`, target: '$1' } }],
            },
          ],
        },
      })),
    ];
  }
  return [
    store,
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: o.targetSecretName, namespace: o.namespace, labels },
      spec: {
        refreshInterval,
        secretStoreRef: { kind: 'ClusterSecretStore', name: storeName },
        target: { name: o.targetSecretName, creationPolicy: 'Owner', deletionPolicy: 'Retain', template: { type: 'Opaque', metadata: { labels } } },
        ...(deliveryMode(o.secrets.length) === 'explicit'
          ? { data: o.secrets.map((s) => ({ secretKey: s.username, remoteRef: { key: s.secretName, conversionStrategy: 'Default', decodingStrategy: 'None' } })) }
          : {
              dataFrom: [
                {
                  find: {
                    // external-secrets ignores tags when find.name is set (its AWS provider finds by
                    // name first), so the regexp alone must exclude the admin secrets
                    // (`<prefix>/_admin/<key>`): one level under the prefix, as a username has no "/".
                    name: { regexp: `^${escapeRegex(o.prefix)}/[^/]+$` },
                    tags: { 'mqtt-fortress:broker': o.brokerName, 'mqtt-fortress:purpose': 'mqtt-password' },
                    conversionStrategy: 'Default',
                    decodingStrategy: 'None',
                  },
                  rewrite: [{ regexp: { source: `^${escapeRegex(o.prefix)}/(.*)$`, target: '$1' } }],
                },
              ],
            }),
      },
    },
  ];
}

/**
 * An ExternalSecret over the admin secrets (`<prefix>/_admin/<key>`), rendered into the target
 * Secret with an external-secrets template (engine v2): each template value may use `{{ .<key> }}`.
 */
export function buildAdminExternalSecret(o: {
  namespace: string;
  targetSecretName: string;
  storeName: string;
  prefix: string;
  keys: readonly string[];
  template: Record<string, string>;
  refreshInterval: string;
}): K8sObject {
  assertDnsLabel('admin.secretName', o.targetSecretName);
  for (const v of Object.values(o.template)) {
    for (const m of v.matchAll(/\{\{\s*\.([a-z0-9_]+)\s*\}\}/g)) {
      if (!o.keys.map((k) => k.replace(/-/g, '_')).includes(m[1]!))
        throw new FortressError('ES_TEMPLATE', `admin.template uses {{ .${m[1]} }}, which is not among the admin keys ${o.keys.join(', ')}.`);
    }
  }
  const labels = { 'app.kubernetes.io/part-of': 'mqtt-fortress', 'app.kubernetes.io/managed-by': 'terraform' };
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: o.targetSecretName, namespace: o.namespace, labels },
    spec: {
      refreshInterval: o.refreshInterval,
      secretStoreRef: { kind: 'ClusterSecretStore', name: o.storeName },
      target: { name: o.targetSecretName, creationPolicy: 'Owner', deletionPolicy: 'Retain', template: { type: 'Opaque', engineVersion: 'v2', metadata: { labels }, data: { ...o.template } } },
      data: o.keys.map((k) => ({ secretKey: k.replace(/-/g, '_'), remoteRef: { key: `${o.prefix}/_admin/${k}`, conversionStrategy: 'Default', decodingStrategy: 'None' } })),
    },
  };
}
