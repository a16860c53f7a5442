/**
 * EMQX in the audit and the report from one normalised view (issue 14 items 3, 4): ACL-2/ACL-3
 * read EMQX's acl.conf as per-identity rules like Mosquitto's ACL file; MON-1..3 judge EMQX's own
 * scrape, alert and log configuration; the report lists EMQX's listeners with their TLS
 * settings, the dashboard/REST API, and every EMQX identity with its rights.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type App, TerraformStack, Testing } from 'cdktf';
import { parseEmqxAcl } from '../../constructs/audit/emqx-view.js';
import { evaluate } from '../../constructs/audit/engine.js';
import { exposureOf } from '../../constructs/audit/exposure.js';
import { renderReport } from '../../constructs/audit/report.js';
import { EmqxCluster } from '../../constructs/emqx/cluster.js';
import type { EmqxClusterOptions } from '../../constructs/emqx/props.js';
import { kubernetesProvider } from '../../constructs/k8s/provider.js';
import { EmqxKubernetesStack } from '../../stacks/emqx-k8s-stack.js';
import { examplePolicy } from '../helpers/synth.js';

const props = (o: Partial<EmqxClusterOptions> = {}): EmqxClusterOptions => ({
  policy: examplePolicy(),
  credentialsSecretName: 'emqx-credentials',
  adminSecretName: 'emqx-admin',
  tls: { secretName: 'emqx-tls', nodeSecretName: 'emqx-node-tls' },
  image: { digest: `sha256:${'ef'.repeat(32)}` }, // test fixture only
  allowFrom: [{ namespace: 'iot-backend' }],
  ...o,
});

function emqxStack(o: Partial<EmqxClusterOptions> = {}) {
  const app: App = Testing.app();
  const stack = new EmqxKubernetesStack(app, 'emqx-k8s', { emqx: props(o), credentials: { region: 'eu-west-1', brokerName: 'emqx' }, issuer: { kind: 'bootstrap' } });
  return stack;
}

/** A stack with only the cluster, its ConfigMap's files replaced (an escape hatch). */
function hatched(edit: (files: Record<string, string>) => void) {
  const app: App = Testing.app();
  const s = new TerraformStack(app, 'emqx');
  kubernetesProvider(s);
  const cl = new EmqxCluster(s, 'Emqx', props());
  const files: Record<string, string> = { ...cl.build.files };
  edit(files);
  const cm = s.node.findAll().find((x) => (x as any).terraformResourceType === 'kubernetes_config_map_v1') as any;
  cm.addOverride('data', files);
  return s;
}

describe('EMQX in the audit (ACL-2, ACL-3, MON-1..3 from one view)', () => {
  it('acl.conf reads into the same (access, topic) rules as a Mosquitto ACL', () => {
    const v = parseEmqxAcl(
      '%% c\n{deny, {username, "a"}, publish, ["x/\\"q\\""]}.\n{allow, {username, "a"}, all, ["d/${clientid}/#", "e"]}.\n{allow, all, subscribe, ["#"]}.\n{allow, {username, {re, ".*"}}, all, ["#"]}.\n{deny, all}.\n',
    );
    assert.deepEqual(v.users.get('a'), [
      { access: 'deny', topic: 'x/"q"' },
      { access: 'readwrite', topic: 'd/a/#' },
      { access: 'readwrite', topic: 'e' },
    ]);
    assert.deepEqual(v.users.get('*'), [{ access: 'read', topic: '#' }]);
    assert.equal(v.unparsed.length, 1);
  });
  it('the EMQX stack: every identity judged by ACL-2 and ACL-3, MON-1..3 compliant', () => {
    const s = emqxStack();
    const r = evaluate(s);
    const rows = (rule: string) => r.rows.filter((x) => x.rule === rule && x.path.includes('Emqx'));
    for (const u of ['sensor-0001', 'sensor-0002', 'backend', 'metrics']) {
      assert.ok(
        rows('ACL-2').some((x) => x.status === 'compliant' && x.detail.startsWith(`${u}:`)),
        `ACL-2 ${u}`,
      );
      assert.ok(
        rows('ACL-3').some((x) => x.status === 'compliant' && x.detail.startsWith(`${u}:`)),
        `ACL-3 ${u}`,
      );
    }
    for (const id of ['MON-1', 'MON-2', 'MON-3'])
      assert.ok(
        rows(id).some((x) => x.status === 'compliant' && /^EMQX/.test(x.detail)),
        `${id}: ${JSON.stringify(r.rows.filter((x) => x.rule === id))}`,
      );
    assert.equal(r.summary.errors, 0, JSON.stringify(r.rows.filter((x) => x.status === 'non-compliant' && !x.suppressed)));
  });
  it('broad or "$"-writing rights added to acl.conf through an escape hatch are findings; an unreadable term fails closed', () => {
    const s = hatched((f) => {
      f['acl.conf'] = f['acl.conf']!.replace(
        '{deny, all}.',
        '{allow, {username, "sensor-0001"}, all, ["#"]}.\n{allow, {username, "metrics"}, publish, ["$SYS/fake"]}.\n{allow, {clientid, {re, ".*"}}, all, ["#"]}.\n{deny, all}.',
      );
    });
    const open = evaluate(s)
      .rows.filter((x) => x.status === 'non-compliant')
      .map((x) => x.finding);
    assert.ok(open.includes('ACL-2[sensor-0001:#]'), open.join(', '));
    assert.ok(open.includes('ACL-3[metrics:$SYS/fake]'), open.join(', '));
    assert.ok(
      open.some((f) => f?.startsWith('ACL-2[emqx:acl.conf-term-')),
      open.join(', '),
    );
  });
  it('EMQX without its event log rule, or without alerts and scrape config, is a finding', () => {
    const s = hatched((f) => {
      const c = JSON.parse(f['emqx.conf']!.replace(/^#.*$/m, ''));
      delete c.rule_engine;
      f['emqx.conf'] = JSON.stringify(c);
    });
    const open = evaluate(s)
      .rows.filter((x) => x.status === 'non-compliant')
      .map((x) => `${x.finding} ${x.detail}`);
    assert.ok(
      open.some((x) => x.startsWith('MON-3[emqx:emqx]') && /connection results/.test(x)),
      open.join('\n'),
    );
    // The cluster alone (no EmqxKubernetesStack): no PodMonitor, no PrometheusRule.
    assert.ok(
      open.some((x) => x.startsWith('MON-2[emqx:emqx]')),
      open.join('\n'),
    );
    assert.ok(
      open.some((x) => x.startsWith('MON-1[emqx:emqx]')),
      open.join('\n'),
    );
  });
});

describe('EMQX in the security report (REV-1)', () => {
  it('lists the ssl and wss listeners with TLS settings, the dashboard/REST API, and every identity with its rights', () => {
    const s = emqxStack({ wssPort: 8084, tls: { secretName: 'emqx-tls', nodeSecretName: 'emqx-node-tls', clientAuth: 'password-and-certificate' } });
    const json = Testing.synth(s) && s.toTerraform();
    const e = exposureOf('emqx-k8s', json);
    const ls = e.listeners.filter((l) => l.broker.startsWith('mqtt/emqx'));
    assert.deepEqual(
      ls.map((l) => [l.port, l.tlsVersion, l.clientCertificate, l.certificateIsUsername, l.anonymous]),
      [
        [8883, 'tlsv1.2', true, true, false],
        [8084, 'tlsv1.2', true, true, false],
        [18083, undefined, false, false, false],
      ],
    );
    assert.match(ls[0]!.authorization, /no_match deny, deny_action disconnect, cache off; client id bound to the username/);
    const md = renderReport(e, evaluate(s));
    assert.match(md, /\| mqtt\/emqx \(ssl\.default\) \| 8883 \| 0\.0\.0\.0 \| tlsv1\.2\+ \| required, CN is the username \| refused \|/);
    assert.match(md, /\| mqtt\/emqx \(wss\.default\) \| 8084 \|/);
    assert.match(md, /mqtt\/emqx \(dashboard and REST API: full admin rights.*\| 18083 \| 0\.0\.0\.0 \| \*\*plaintext\*\*/);
    assert.match(md, /- \*\*sensor-0001\*\* \(mqtt\/emqx\): may publish to `devices\/sensor-0001\/telemetry`/);
    assert.match(md, /- \*\*backend\*\* \(mqtt\/emqx\): may subscribe to and receive `devices\/\+\/telemetry`/);
    assert.doesNotMatch(md, /no broker identities in this stack/);
    assert.match(md, /Prometheus alerts: .*EmqxAuthenticationFailures/);
  });
});
