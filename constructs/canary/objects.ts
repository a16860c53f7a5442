/**
 * The attack canary's Kubernetes objects (pure): a CronJob that runs the hostile-client checks of
 * templates/canary/fortress-canary.sh with the broker's own image against the broker's Service,
 * as a dedicated identity whose policy rights are its canary topic only. See docs/canary.md.
 */
import { readFileSync } from 'node:fs';
import { assertDnsLabel, assertInt } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';
import { type MqttPeer, namespacePeer, restrictedContainer, restrictedPod } from '../k8s/values.js';
// Registers the ExternalSecret and PrometheusRule schemas the objects are validated against.
import '../credentials/external-secrets.js';
import { credentialLayout, credentialPrefix } from '../credentials/layout.js';
import '../monitoring/objects.js';
import type { ClientAuth } from '../broker/client-auth.js';
import { type K8sObject, registerModelSchema } from '../k8s/objects.js';
import type { AlertRule } from '../monitoring/rules.js';
import type { ResolvedMosquitto } from '../mosquitto/resolve.js';
import { examplesFor } from '../policy/examples.js';
import type { Policy } from '../policy/model.js';
import { checkFilter, hasWildcard, substitute } from '../policy/topic.js';
import { templatePath } from '../templates.js';

registerModelSchema('batch/v1', 'CronJob', 'kubernetes-models/batch/v1/CronJob');

/** Where the canary's pod finds its script, password and CA. */
const PATHS = { script: '/canary/script', credential: '/canary/credential', ca: '/canary/ca' } as const;

export interface CanaryCredentialDelivery {
  /** Must match the CredentialStore's. @default the broker's name */
  readonly brokerName?: string;
  /** Must match the CredentialStore's. @default `mqtt-fortress/<brokerName>` */
  readonly prefix?: string;
  /** The ClusterSecretStore of the broker's SecretsManagerDelivery. @default `mqtt-fortress-<brokerName>` */
  readonly storeName?: string;
  /** @default '15m' */
  readonly refreshInterval?: string;
}

export interface AttackCanaryOptions {
  /** The canary identity (a username of the policy). @default 'canary' */
  readonly identity?: string;
  /**
   * The canary's subtree. The identity must be allowed to publish and subscribe `<topic>/echo`,
   * to publish `<topic>/sealed` but not to receive it, and nothing outside `<topic>/`.
   * @default `fortress/canary/<identity>`
   */
  readonly topic?: string;
  /** A topic another identity may publish and the canary may not. @default the first such topic the policy's identities publish */
  readonly foreignTopic?: string;
  /** Minutes between runs, 1 to 30. @default 5 */
  readonly everyMinutes?: number;
  /** Secret with key `password`: the canary's password and nothing else. @default `<broker>-canary-credentials` */
  readonly secretName?: string;
  /** Write that Secret from AWS Secrets Manager through the broker's ClusterSecretStore. @default - the Secret must already exist */
  readonly credentials?: CanaryCredentialDelivery;
  /** Labels that make Prometheus load the alert rules; without them no PrometheusRule is made. @default - no PrometheusRule */
  readonly prometheusLabels?: Record<string, string>;
}

export interface CanaryBroker {
  readonly resolved: ResolvedMosquitto;
  readonly policy: Policy;
  readonly selectorLabels: Record<string, string>;
  readonly tlsSecretName: string;
  readonly clientAuth: ClientAuth;
}

export interface CanaryBuild {
  readonly name: string;
  readonly username: string;
  readonly topic: string;
  readonly foreignTopic: string;
  readonly everyMinutes: number;
  readonly rules: readonly AlertRule[];
  readonly objects: readonly K8sObject[];
}

/**
 * The peer that admits the canary's pods to the broker: put it in the broker's `allowFrom` (the
 * broker's own NetworkPolicy then admits them, declared like every other client).
 */
export function canaryPeer(broker: { readonly name: string; readonly namespace: string }): MqttPeer & { readonly namespace: string; readonly podLabels: Record<string, string> } {
  return { namespace: broker.namespace, podLabels: { 'app.kubernetes.io/name': 'mqtt-canary', 'app.kubernetes.io/instance': `${broker.name}-canary` } };
}

/** The canary's rights, checked against the policy: exactly its topic, and nothing it must not do. */
function checkRights(policy: Policy, username: string, topic: string, foreign: string): void {
  const p = policy.principal(username);
  const fix = `Give the canary identity its own role with: action all on "${topic.replace(username, '{username}')}/echo" and action publish on "${topic.replace(username, '{username}')}/sealed", and nothing else (docs/canary.md).`;
  if (!p) throw new FortressError('CANARY_IDENTITY', `identity ${show(username)} is not in the policy. Add it (kind service) with the canary role. ${fix}`);
  const must: [boolean, string][] = [
    [policy.allows(username, 'publish', `${topic}/echo`), `may not publish ${topic}/echo`],
    [policy.allows(username, 'subscribe', `${topic}/echo`), `may not subscribe ${topic}/echo`],
    [policy.allows(username, 'publish', `${topic}/sealed`), `may not publish ${topic}/sealed (the witness of the read check)`],
    [!policy.allows(username, 'receive', `${topic}/sealed`), `may receive ${topic}/sealed, so the read check would have no witness`],
    [!policy.allows(username, 'publish', foreign), `may publish the foreign topic ${foreign}`],
    [!policy.allows(username, 'receive', foreign), `may receive the foreign topic ${foreign}`],
    [!policy.allows(username, 'receive', '$SYS/broker/version'), 'may read $SYS'],
  ];
  for (const [ok, what] of must) if (!ok) throw new FortressError('CANARY_IDENTITY', `canary identity ${show(username)} ${what}. ${fix}`);
  for (const r of p.rules) {
    const t = substitute(r.topic, { username, clientId: username });
    if (r.effect === 'allow' && !t.startsWith(`${topic}/`))
      throw new FortressError('CANARY_IDENTITY', `canary identity ${show(username)} has a right outside ${topic}/: role ${show(r.role)} ${r.action} ${show(r.topic)}. ${fix}`);
  }
}

/** The canary's alert rules (kube-state-metrics): its last run failed; or it has not succeeded for three periods. */
export function canaryAlertRules(o: { namespace: string; cronJob: string; everyMinutes: number }): AlertRule[] {
  const cj = `namespace="${o.namespace}",cronjob="${o.cronJob}"`;
  const jobs = `namespace="${o.namespace}",job_name=~"${o.cronJob}-[0-9]+"`;
  const lastSuccess = `max by (namespace) (kube_cronjob_status_last_successful_time{${cj}})`;
  const runbook = `kubectl -n ${o.namespace} logs job/<the failed job> (kubectl -n ${o.namespace} get jobs -l app.kubernetes.io/name=mqtt-canary): the "canary FAILED:" line names the broken property; docs/canary.md says what each means.`;
  return [
    {
      alert: 'MqttCanaryFailed',
      // A failed Job newer than the last success (or no success yet): the latest run failed. Older
      // failed Jobs kept by failedJobsHistoryLimit stop counting at the next success.
      expr: `max by (namespace) ((kube_job_status_failed{${jobs}} > 0) and on (namespace, job_name) (kube_job_status_start_time{${jobs}} > on (namespace) group_left () (${lastSuccess} or on (namespace) (max by (namespace) (kube_job_status_start_time{${jobs}}) * 0))))`,
      for: '0m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `The attack canary ${o.namespace}/${o.cronJob} failed: a security property of the MQTT broker is broken, or the broker is down`,
        description:
          'The canary connects as a hostile client: anonymous, wrong password, plaintext, outside its topic, $SYS. A failed run means the broker accepted one of these, or its own TLS round trip failed.',
        runbook,
      },
    },
    {
      alert: 'MqttCanaryNotRunning',
      expr: `(time() - ${lastSuccess} > ${3 * o.everyMinutes * 60}) or absent(kube_cronjob_status_last_successful_time{${cj}})`,
      for: `${3 * o.everyMinutes}m`,
      labels: { severity: 'warning' },
      annotations: {
        summary: `The attack canary ${o.namespace}/${o.cronJob} has not succeeded for ${3 * o.everyMinutes} minutes`,
        description: 'The CronJob does not run (suspended, not schedulable, image not pulled), fails every time, or kube-state-metrics does not report it: the broker is unwatched.',
        runbook: `kubectl -n ${o.namespace} describe cronjob ${o.cronJob}; kubectl -n ${o.namespace} get events --field-selector involvedObject.kind=Job. ${runbook}`,
      },
    },
  ];
}

export function buildAttackCanary(broker: CanaryBroker, o: AttackCanaryOptions = {}): CanaryBuild {
  const r = broker.resolved;
  if (broker.clientAuth !== 'password' && broker.clientAuth !== 'password-or-certificate') {
    throw new FortressError(
      'CANARY_CLIENT_AUTH',
      `the canary authenticates with a password, and the broker's clientAuth is ${show(broker.clientAuth)} (a client certificate is required). Leave the canary out for this broker.`,
    );
  }
  const username = o.identity ?? 'canary';
  const topic = o.topic ?? `fortress/canary/${username}`;
  if (typeof topic !== 'string' || hasWildcard(topic) || checkFilter(topic).length > 0 || topic.startsWith('$') || /[\s'"\\`$]/.test(topic)) {
    throw new FortressError('CANARY_TOPIC', `topic must be a plain topic name without wildcards, white space, quotes or "$", got ${show(topic)}.`);
  }
  const others = broker.policy.principals.filter((p) => p.username !== username);
  const foreign = o.foreignTopic ?? others.flatMap((p) => examplesFor(broker.policy, p.username).publish).find((t) => !t.startsWith('$') && !broker.policy.allows(username, 'publish', t));
  if (!foreign) throw new FortressError('CANARY_FOREIGN_TOPIC', 'no identity of the policy publishes a topic the canary may not: give foreignTopic.');
  if (hasWildcard(foreign) || checkFilter(foreign).length > 0 || /[\s'"\\`]/.test(foreign)) throw new FortressError('CANARY_FOREIGN_TOPIC', `foreignTopic must be a topic name, got ${show(foreign)}.`);
  checkRights(broker.policy, username, topic, foreign);
  const peer = canaryPeer(r);
  if (!r.allowFrom.some((p) => p.namespace === peer.namespace && JSON.stringify(p.podLabels ?? {}) === JSON.stringify(peer.podLabels))) {
    throw new FortressError(
      'CANARY_NOT_ADMITTED',
      `the broker's NetworkPolicy does not admit the canary pods: add ${JSON.stringify(peer)} (canaryPeer(broker)) to the broker's allowFrom. MosquittoKubernetesStack adds it when its canary prop is set.`,
    );
  }
  const everyMinutes = o.everyMinutes ?? 5;
  assertInt('everyMinutes', everyMinutes, 1, 30);
  const name = `${r.name}-canary`;
  const secretName = o.secretName ?? `${r.name}-canary-credentials`;
  assertDnsLabel('secretName', secretName);
  const labels = { ...peer.podLabels, 'app.kubernetes.io/part-of': 'mqtt-fortress' };
  const meta = (n: string) => ({ name: n, namespace: r.namespace, labels });
  const objects: K8sObject[] = [];

  objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(name), data: { 'fortress-canary.sh': readFileSync(templatePath('canary/fortress-canary.sh'), 'utf8') } });
  objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name), automountServiceAccountToken: false });
  if (o.credentials) {
    const brokerName = o.credentials.brokerName ?? r.name;
    const layoutOpts = { brokerName, ...(o.credentials.prefix ? { prefix: o.credentials.prefix } : {}) };
    credentialPrefix(layoutOpts);
    const secret = credentialLayout(broker.policy, layoutOpts).find((s) => s.username === username)!;
    const storeName = o.credentials.storeName ?? `mqtt-fortress-${brokerName}`;
    assertDnsLabel('credentials.storeName', storeName);
    objects.push({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: meta(secretName),
      spec: {
        refreshInterval: o.credentials.refreshInterval ?? '15m',
        secretStoreRef: { kind: 'ClusterSecretStore', name: storeName },
        target: { name: secretName, creationPolicy: 'Owner', deletionPolicy: 'Delete', template: { type: 'Opaque', metadata: { labels } } },
        // The canary's own password, under the key "password": no other identity's.
        data: [{ secretKey: 'password', remoteRef: { key: secret.secretName, conversionStrategy: 'Default', decodingStrategy: 'None' } }],
      },
    });
  }
  const env: Record<string, string> = {
    CANARY_HOST: `${r.name}.${r.namespace}.svc`,
    CANARY_PORT: String(r.servicePort),
    CANARY_CA_FILE: `${PATHS.ca}/ca.crt`,
    CANARY_USERNAME: username,
    CANARY_PASSWORD_FILE: `${PATHS.credential}/password`,
    CANARY_TOPIC: topic,
    CANARY_FOREIGN_TOPIC: foreign,
  };
  objects.push({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta(name),
    spec: {
      schedule: `*/${everyMinutes} * * * *`,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: everyMinutes * 60,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: 180,
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: name,
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              restartPolicy: 'Never',
              securityContext: restrictedPod(r.runAsUser, r.runAsGroup),
              containers: [
                {
                  name: 'canary',
                  image: r.image,
                  imagePullPolicy: 'IfNotPresent',
                  command: ['/bin/sh', `${PATHS.script}/fortress-canary.sh`],
                  env: Object.entries(env).map(([k, value]) => ({ name: k, value })),
                  resources: { requests: { cpu: '10m', memory: '16Mi', 'ephemeral-storage': '1Mi' }, limits: { cpu: '200m', memory: '64Mi', 'ephemeral-storage': '16Mi' } },
                  securityContext: restrictedContainer(),
                  volumeMounts: [
                    { name: 'script', mountPath: PATHS.script, readOnly: true },
                    { name: 'credential', mountPath: PATHS.credential, readOnly: true },
                    { name: 'ca', mountPath: PATHS.ca, readOnly: true },
                  ],
                },
              ],
              volumes: [
                { name: 'script', configMap: { name, defaultMode: 0o444 } },
                { name: 'credential', secret: { secretName, defaultMode: 0o440, items: [{ key: 'password', path: 'password' }] } },
                // Only the CA of the broker's certificate Secret: the key is not mounted.
                { name: 'ca', secret: { secretName: broker.tlsSecretName, defaultMode: 0o444, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              ],
            },
          },
        },
      },
    },
  });
  // The canary pod: no ingress; egress to the broker pods' TLS port and to cluster DNS only.
  objects.push({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(name),
    spec: {
      podSelector: { matchLabels: { ...labels } },
      policyTypes: ['Ingress', 'Egress'],
      egress: [
        { to: [{ podSelector: { matchLabels: { ...broker.selectorLabels } } }], ports: [{ protocol: 'TCP', port: r.port }] },
        {
          to: [{ ...namespacePeer('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    },
  });
  const rules = canaryAlertRules({ namespace: r.namespace, cronJob: name, everyMinutes });
  if (o.prometheusLabels) {
    objects.push({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name, namespace: r.namespace, labels: { ...labels, ...o.prometheusLabels } },
      spec: { groups: [{ name: `${name}.rules`, rules: rules.map((x) => ({ ...x, labels: { ...x.labels } })) }] },
    });
  }
  return { name, username, topic, foreignTopic: foreign, everyMinutes, rules, objects };
}
