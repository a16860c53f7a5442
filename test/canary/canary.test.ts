/**
 * AttackCanary objects: schema-valid, restricted Pod Security, only its own credential, egress to
 * the broker's TLS port and DNS only, the broker admitting it, rights checked against the policy,
 * hostile props refused, and on in the default stacks (with the CloudWatch alarm on its line).
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Testing } from 'cdktf';
import { AttackCanary } from '../../constructs/canary/attack-canary.js';
import { type AttackCanaryOptions, buildAttackCanary, type CanaryBroker, canaryPeer } from '../../constructs/canary/objects.js';
import { FortressError } from '../../constructs/core/errors.js';
import { type K8sObject, validateK8sObject } from '../../constructs/k8s/objects.js';
import { k8sObjectsOf } from '../../constructs/k8s/resources.js';
import { restrictedContainer } from '../../constructs/k8s/values.js';
import { CANARY_FAILURE, cloudwatchMatches } from '../../constructs/monitoring/logs.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import { Policy, type PolicySpec } from '../../constructs/policy/model.js';
import { buildApp } from '../../stacks/main.js';
import { ACCEPTABLE_ATOMS, REFUSED_ATOMS } from '../helpers/hostile-strings.js';
import { examplePolicy, minimalBrokerProps, synth } from '../helpers/synth.js';

const tmp = mkdtempSync(join(tmpdir(), 'fortress-canary-unit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function brokerOf(over: Parameters<typeof minimalBrokerProps>[0] = {}): CanaryBroker {
  const props = minimalBrokerProps({ allowFrom: [{ namespace: 'iot-backend' }, canaryPeer({ name: 'mosquitto', namespace: 'mqtt' })], ...over });
  const b = buildMosquitto(props);
  return {
    resolved: b.resolved,
    policy: props.policy,
    selectorLabels: { 'app.kubernetes.io/name': 'mosquitto', 'app.kubernetes.io/instance': b.resolved.name },
    tlsSecretName: props.tls.secretName,
    clientAuth: props.tls.clientAuth ?? 'password',
  };
}
const build = (o: AttackCanaryOptions = { credentials: {}, prometheusLabels: { release: 'x' } }, b = brokerOf()) => buildAttackCanary(b, o);
const kind = (objs: readonly K8sObject[], k: string, name?: string) => objs.filter((o) => o.kind === k && (!name || o.metadata.name === name)) as any[];
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FortressError, `not a FortressError: ${e}`);
    return `${e.code}: ${e.message}`;
  }
  return 'accepted';
};
/** The example policy with the canary role's rules replaced. */
function withCanaryRules(rules: PolicySpec['roles'][number]['rules']): Policy {
  const spec = examplePolicy().spec;
  return Policy.from({ ...spec, roles: spec.roles.map((r) => (r.name === 'attack-canary' ? { ...r, rules } : r)) });
}

describe('AttackCanary objects', () => {
  const b = build();
  const cron = kind(b.objects, 'CronJob')[0];
  const pod = cron.spec.jobTemplate.spec.template.spec;
  const c = pod.containers[0];

  it('every object matches its Kubernetes schema, and the check can fail', () => {
    assert.deepEqual(b.objects.map((o) => o.kind).sort(), ['ConfigMap', 'CronJob', 'ExternalSecret', 'NetworkPolicy', 'PrometheusRule', 'ServiceAccount']);
    for (const o of b.objects) validateK8sObject(o);
    assert.throws(() => validateK8sObject({ ...cron, spec: { ...cron.spec, schedule: 5 } }), /K8S_SCHEMA|schema/);
    assert.throws(() => validateK8sObject({ ...cron, spec: { ...cron.spec, jobTemplate: { spec: { template: { spec: { containers: [{ image: 'x' }] } } } } } }), /schema/);
  });

  it("runs the broker's own image with the script from its ConfigMap, every 5 minutes, one attempt, no overlap", () => {
    assert.equal(c.image, brokerOf().resolved.image);
    assert.deepEqual(c.command, ['/bin/sh', '/canary/script/fortress-canary.sh']);
    assert.equal(cron.spec.schedule, '*/5 * * * *');
    assert.equal(cron.spec.concurrencyPolicy, 'Forbid');
    assert.equal(cron.spec.jobTemplate.spec.backoffLimit, 0);
    assert.match(kind(b.objects, 'ConfigMap')[0].data['fortress-canary.sh'], /^#!\/bin\/sh\n# mqtt-fortress attack canary/);
  });

  it('restricted Pod Security: non-root, no privilege escalation, all capabilities dropped, read-only root, no service account token', () => {
    assert.deepEqual(c.securityContext, restrictedContainer());
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(kind(b.objects, 'ServiceAccount')[0].automountServiceAccountToken, false);
    assert.ok(!JSON.stringify(pod).includes('hostPath') && !JSON.stringify(pod).includes('hostNetwork'));
  });

  it('holds only its own credential: one Secret key from its own Secrets Manager secret; the broker certificate Secret gives only ca.crt; no secret in env or ConfigMap', () => {
    const es = kind(b.objects, 'ExternalSecret')[0];
    assert.deepEqual(es.spec.data, [{ secretKey: 'password', remoteRef: { key: 'mqtt-fortress/mosquitto/canary', conversionStrategy: 'Default', decodingStrategy: 'None' } }]);
    assert.equal(es.spec.secretStoreRef.name, 'mqtt-fortress-mosquitto');
    const secrets = pod.volumes.filter((v: any) => v.secret);
    assert.deepEqual(
      secrets.map((v: any) => [v.secret.secretName, v.secret.items]),
      [
        ['mosquitto-canary-credentials', [{ key: 'password', path: 'password' }]],
        ['tls', [{ key: 'ca.crt', path: 'ca.crt' }]],
      ],
    );
    assert.ok(
      c.env.every((e: any) => typeof e.value === 'string' && !e.valueFrom),
      'no env from a Secret',
    );
    assert.equal(c.envFrom, undefined);
    assert.deepEqual(
      c.env.map((e: any) => e.name),
      ['CANARY_HOST', 'CANARY_PORT', 'CANARY_CA_FILE', 'CANARY_USERNAME', 'CANARY_PASSWORD_FILE', 'CANARY_TOPIC', 'CANARY_FOREIGN_TOPIC'],
    );
  });

  it("egress to the broker pods' TLS port and cluster DNS only, no ingress; the broker admits the canary pods only as a declared peer", () => {
    const np = kind(b.objects, 'NetworkPolicy', 'mosquitto-canary')[0];
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.equal(np.spec.ingress, undefined);
    assert.deepEqual(np.spec.egress[0], {
      to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mosquitto', 'app.kubernetes.io/instance': 'mosquitto' } } }],
      ports: [{ protocol: 'TCP', port: 8883 }],
    });
    assert.deepEqual(
      np.spec.egress[1].ports.map((p: any) => p.port),
      [53, 53],
    );
    assert.equal(np.spec.egress.length, 2);
    const podLabels = cron.spec.jobTemplate.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(canaryPeer({ name: 'mosquitto', namespace: 'mqtt' }).podLabels)) assert.equal(podLabels[k], v);
    // The broker's own NetworkPolicy, built from allowFrom, admits exactly these pods on 8883.
    const allow = (buildMosquitto(minimalBrokerProps({ allowFrom: [canaryPeer({ name: 'mosquitto', namespace: 'mqtt' })] })).objects as any[]).find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'mosquitto-allow-mqtts',
    );
    assert.deepEqual(allow.spec.ingress, [
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'mqtt' } }, podSelector: { matchLabels: canaryPeer({ name: 'mosquitto', namespace: 'mqtt' }).podLabels } }],
        ports: [{ protocol: 'TCP', port: 8883 }],
      },
    ]);
  });

  it('connects to the Service name the certificate covers, with the foreign topic another identity publishes', () => {
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    assert.equal(env.CANARY_HOST, 'mosquitto.mqtt.svc');
    assert.equal(env.CANARY_TOPIC, 'fortress/canary/canary');
    assert.equal(env.CANARY_FOREIGN_TOPIC, 'devices/sensor-0001/telemetry');
  });

  it('the alert rules page on a failed run and on a canary that stopped succeeding; without prometheusLabels no PrometheusRule', () => {
    assert.deepEqual(
      b.rules.map((r) => [r.alert, r.labels.severity]),
      [
        ['MqttCanaryFailed', 'critical'],
        ['MqttCanaryNotRunning', 'warning'],
      ],
    );
    assert.deepEqual(kind(build({}).objects, 'PrometheusRule'), []);
    assert.deepEqual(kind(build({}).objects, 'ExternalSecret'), []);
  });

  it('the CloudWatch pattern matches the failure line and nothing the canary prints when all is well', () => {
    assert.ok(cloudwatchMatches(CANARY_FAILURE.cloudwatch, 'canary FAILED: anonymous refused'));
    for (const l of ['canary ok: anonymous refused', 'canary FAIL: anonymous refused: a client without credentials got: x', 'canary: all 7 checks passed against h:8883'])
      assert.ok(!cloudwatchMatches(CANARY_FAILURE.cloudwatch, l), l);
  });
});

describe('AttackCanary: refused configurations', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['an identity not in the policy', () => build({ identity: 'nobody' }), /^CANARY_IDENTITY: identity "nobody" is not in the policy/],
    [
      'a canary that may also read telemetry',
      () =>
        build(
          {},
          {
            ...brokerOf(),
            policy: withCanaryRules([
              { action: 'all', topics: ['fortress/canary/{username}/echo'] },
              { action: 'publish', topics: ['fortress/canary/{username}/sealed'] },
              { action: 'subscribe', topics: ['devices/+/telemetry'] },
            ]),
          },
        ),
      /^CANARY_IDENTITY: canary identity "canary" may receive the foreign topic devices\/sensor-0001\/telemetry/,
    ],
    [
      'a canary with a right outside its topic',
      () =>
        build(
          {},
          {
            ...brokerOf(),
            policy: withCanaryRules([
              { action: 'all', topics: ['fortress/canary/{username}/echo'] },
              { action: 'publish', topics: ['fortress/canary/{username}/sealed', 'elsewhere/x'] },
            ]),
          },
        ),
      /^CANARY_IDENTITY: canary identity "canary" has a right outside fortress\/canary\/canary\/: role "attack-canary" publish "elsewhere\/x"/,
    ],
    [
      'a canary that may read its sealed topic',
      () => build({}, { ...brokerOf(), policy: withCanaryRules([{ action: 'all', topics: ['fortress/canary/{username}/#'] }]) }),
      /^CANARY_IDENTITY: canary identity "canary" may receive fortress\/canary\/canary\/sealed/,
    ],
    ['a broker that requires client certificates', () => build({}, brokerOf({ tls: { secretName: 'tls', clientAuth: 'certificate' } })), /^CANARY_CLIENT_AUTH: /],
    ['a wildcard topic', () => build({ topic: 'fortress/+/x' }), /^CANARY_TOPIC: /],
    ['a $ topic', () => build({ topic: '$SYS/canary' }), /^CANARY_TOPIC: /],
    ['a foreign topic with a wildcard', () => build({ foreignTopic: 'devices/#' }), /^CANARY_FOREIGN_TOPIC: /],
    ['a foreign topic the canary may publish', () => build({ foreignTopic: 'fortress/canary/canary/echo' }), /^CANARY_IDENTITY: canary identity "canary" may publish the foreign topic/],
    ['every 0 minutes', () => build({ everyMinutes: 0 }), /everyMinutes/],
    ['every 45 minutes', () => build({ everyMinutes: 45 }), /everyMinutes/],
    ['a secret name that is no DNS label', () => build({ secretName: 'Bad_Name' }), /secretName/],
    [
      'a broker whose allowFrom does not admit the canary',
      () => build({}, brokerOf({ allowFrom: [{ namespace: 'iot-backend' }] })),
      /^CANARY_NOT_ADMITTED: the broker's NetworkPolicy does not admit the canary pods: add \{"namespace":"mqtt","podLabels"/,
    ],
    [
      'a canary peer in another namespace',
      () => build({}, brokerOf({ allowFrom: [{ namespace: 'other', podLabels: canaryPeer({ name: 'mosquitto', namespace: 'mqtt' }).podLabels }] })),
      /^CANARY_NOT_ADMITTED: /,
    ],
  ];
  for (const [what, fn, re] of cases) it(`${what}: a FortressError naming it`, () => assert.match(code(fn), re));

  it('hostile topic strings: each refused with a FortressError, or accepted and carried verbatim into the env the script reads', () => {
    let refused = 0;
    let accepted = 0;
    for (const atom of [...ACCEPTABLE_ATOMS, ...REFUSED_ATOMS]) {
      for (const [prop, value] of [
        ['foreignTopic', `devices/${atom}/telemetry`],
        ['topic', `fortress/canary/${atom}`],
      ] as const) {
        const r = code(() => build({ [prop]: value }));
        if (r === 'accepted') {
          accepted++;
          const env = (kind(build({ [prop]: value }).objects, 'CronJob')[0].spec.jobTemplate.spec.template.spec.containers[0].env as any[]).find(
            (e) => e.name === (prop === 'topic' ? 'CANARY_TOPIC' : 'CANARY_FOREIGN_TOPIC'),
          );
          assert.equal(env.value, value);
        } else {
          refused++;
          assert.match(r, /^CANARY_(TOPIC|FOREIGN_TOPIC|IDENTITY): /, JSON.stringify(value));
        }
        if (REFUSED_ATOMS.includes(atom)) assert.notEqual(r, 'accepted', JSON.stringify(value));
      }
    }
    assert.ok(refused > 0 && accepted > 0, `${refused} refused, ${accepted} accepted`);
  });

  it('the construct names its path in the error', () => {
    assert.throws(
      () =>
        synth((s) => {
          const broker = new MosquittoBroker(s, 'Broker', minimalBrokerProps({ allowFrom: [canaryPeer({ name: 'mosquitto', namespace: 'mqtt' })] }));
          new AttackCanary(s, 'Canary', { broker, identity: 'nobody' });
        }),
      /test\/Canary/,
    );
  });
});

describe('AttackCanary in the default stacks', () => {
  const app = buildApp(join(tmp, 'out'));
  const k8s = app.node.findChild('mosquitto-k8s') as any;
  const cluster = app.node.findChild('mqtt-cluster') as any;

  it('the mosquitto-k8s stack has the canary, its ExternalSecret waits for the broker credentials, its rules carry the Prometheus labels', () => {
    const objs = k8sObjectsOf(k8s).map((r) => r.object);
    assert.equal(kind(objs, 'CronJob', 'mosquitto-canary').length, 1);
    assert.equal(kind(objs, 'PrometheusRule', 'mosquitto-canary')[0].metadata.labels.release, 'kube-prometheus-stack');
    const tf = JSON.parse(Testing.synth(k8s));
    const es = Object.entries(tf.resource.kubernetes_manifest).find(([id]) => id.includes('Canary') && id.includes('ExternalSecret'))![1] as any;
    assert.ok(
      es.depends_on.some((d: string) => /Credentials_ExternalSecret/.test(d)),
      JSON.stringify(es.depends_on),
    );
  });

  it('the cluster stack pages on the canary line: a metric filter with the pattern and an alarm to the alarm topic', () => {
    const tf = JSON.parse(Testing.synth(cluster));
    const filters = Object.values(tf.resource.aws_cloudwatch_log_metric_filter) as any[];
    const f = filters.find((x) => x.name === 'mqtt-canary-failures');
    assert.equal(f.pattern, '"canary FAILED:"');
    const alarm = (Object.values(tf.resource.aws_cloudwatch_metric_alarm) as any[]).find((a) => a.metric_name === 'MqttCanaryFailures');
    assert.equal(alarm.threshold, 0);
    assert.equal(alarm.comparison_operator, 'GreaterThanThreshold');
    assert.equal(alarm.alarm_actions.length, 1);
  });
});
