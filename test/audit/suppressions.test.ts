/**
 * Suppressions name exactly what they cover (baseline REV-2): finding keys match by equality, a
 * policy exception covers only the identities holding its role, on its topic, with the access
 * that role grants, and a suppression without appliesTo never covers more than it can name.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type App, type TerraformResource, TerraformStack, Testing } from 'cdktf';
import { type AuditResult, evaluate, Suppressions } from '../../constructs/audit/engine.js';
import { exposureOf } from '../../constructs/audit/exposure.js';
import { renderReport } from '../../constructs/audit/report.js';
import { kubernetesProvider } from '../../constructs/k8s/provider.js';
import { BrokerMonitoring } from '../../constructs/monitoring/monitoring.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import type { MosquittoBrokerOptions } from '../../constructs/mosquitto/props.js';
import { Policy } from '../../constructs/policy/model.js';
import { BrokerCertificates } from '../../constructs/tls/certificates.js';
import { examplePolicy, minimalBrokerProps } from '../helpers/synth.js';

const FAKE_DIGEST = `sha256:${'cd'.repeat(32)}`; // test fixture only

/** The example policy plus an operator role `ops-all` on `#`, excepted with a reason. */
function opsPolicy(): Policy {
  const spec = examplePolicy().spec;
  return Policy.from({
    ...spec,
    roles: [...spec.roles, { name: 'ops-all', description: 'operators watch every topic', rules: [{ action: 'subscribe', topics: ['#'] }] }],
    identities: [...spec.identities, { name: 'ops-1', kind: 'operator', roles: ['ops-all'] }],
    exceptions: [{ rule: 'ACL-2-broad', role: 'ops-all', topic: '#', reason: 'operators debug the whole fleet from the console' }],
  });
}

function stackWith(over: Partial<MosquittoBrokerOptions> = {}) {
  const app: App = Testing.app();
  const stack = new TerraformStack(app, 'k8s');
  kubernetesProvider(stack);
  const broker = new MosquittoBroker(stack, 'Broker', minimalBrokerProps({ metricsExporter: { image: { digest: FAKE_DIGEST } }, ...over }));
  new BrokerCertificates(stack, 'Certificates', { broker, issuer: { kind: 'bootstrap' } });
  new BrokerMonitoring(stack, 'Monitoring', { broker, prometheusLabels: { release: 'kube-prometheus-stack' } });
  const res = (type: string, id?: string) => stack.node.findAll().find((c) => (c as any).terraformResourceType === type && (!id || c.node.id === id)) as TerraformResource;
  const acl = (fn: (a: string) => string) => {
    const cm = res('kubernetes_config_map_v1');
    const data = structuredClone(stack.toTerraform().resource.kubernetes_config_map_v1[stack.getLogicalId(cm)].data);
    data.acl = fn(data.acl);
    cm.addOverride('data', data);
  };
  return { stack, broker, res, acl };
}

const state = (a: AuditResult, finding: string) => {
  const r = a.rows.find((x) => x.finding === finding);
  return r ? (r.suppressed ? `suppressed by ${r.suppressed.origin}` : 'open') : 'absent';
};
const hatchSensorHash = (a: string) => a.replace('user sensor-0001', 'user sensor-0001\ntopic readwrite #');

describe('policy exceptions cover only the role and topic they name', () => {
  for (const [mode, over] of [
    ['clientIdIsUsername: true (default)', {}],
    ['clientIdIsUsername: false', { clientIdIsUsername: false, clientIdChoiceReason: 'legacy gateways choose their own client ids' }],
  ] as const) {
    it(`${mode}: the exception for ops-all on # does not cover a hatch giving sensor-0001 readwrite #`, () => {
      const b = stackWith({ policy: opsPolicy(), ...over });
      b.acl(hatchSensorHash);
      const a = evaluate(b.stack);
      assert.equal(state(a, 'ACL-2[sensor-0001:#]'), 'open');
      assert.equal(state(a, 'ACL-2[ops-1:#]'), 'suppressed by policy exception');
      const exc = a.suppressions.find((s) => s.origin === 'policy exception')!;
      assert.deepEqual(exc.suppressed, ['ACL-2[ops-1:#]']);
    });
  }
  it('nor a hatch that widens the role holder beyond what the role grants (readwrite where the role reads)', () => {
    const b = stackWith({ policy: opsPolicy() });
    b.acl((a) => a.replace('user ops-1', 'user ops-1\ntopic readwrite #'));
    assert.equal(state(evaluate(b.stack), 'ACL-2[ops-1:#]'), 'open');
  });
  it('without a hatch, the exception suppresses exactly the role holder and nothing is open', () => {
    const a = evaluate(stackWith({ policy: opsPolicy() }).stack);
    assert.deepEqual(
      a.rows.filter((r) => r.status === 'non-compliant' && !r.suppressed).map((r) => r.finding),
      [],
    );
    assert.equal(state(a, 'ACL-2[ops-1:#]'), 'suppressed by policy exception');
  });
  it('the clientIdIsUsername relaxation is listed and suppresses nothing', () => {
    const a = evaluate(stackWith({ clientIdIsUsername: false, clientIdChoiceReason: 'legacy gateways choose their own client ids' }).stack);
    const r = a.suppressions.find((s) => s.reason.startsWith('clientIdIsUsername'))!;
    assert.deepEqual([r.origin, r.suppressed, r.status], ['relaxation', [], 'nothing to suppress']);
  });
});

describe('appliesTo names whole finding keys, matched exactly', () => {
  it('a key fragment (the old substring form) is refused when added', () => {
    const b = stackWith();
    assert.throws(
      () => Suppressions.add(b.broker, [{ id: 'ACL-2', reason: 'the archive records it all', appliesTo: ['#'] }]),
      (e: any) => e.code === 'AUDIT_SUPPRESSION' && /not a finding key of ACL-2/.test(e.message),
    );
    assert.throws(() => Suppressions.add(b.broker, [{ id: 'ACL-2', reason: 'the archive records it all', appliesTo: ['ACL-2[sensor'] }]), /not a finding key/);
  });
  it("one identity's key does not cover another's", () => {
    const b = stackWith();
    b.acl((a) => hatchSensorHash(a).replace('user sensor-0002', 'user sensor-0002\ntopic read #'));
    Suppressions.add(b.broker, [{ id: 'ACL-2', reason: 'sensor-0002 is the fleet recorder', appliesTo: ['ACL-2[sensor-0002:#]'] }]);
    const a = evaluate(b.stack);
    assert.equal(state(a, 'ACL-2[sensor-0002:#]'), 'suppressed by suppression');
    assert.equal(state(a, 'ACL-2[sensor-0001:#]'), 'open');
  });
});

describe('a suppression without appliesTo', () => {
  it('covers the one finding of its rule under its construct', () => {
    const b = stackWith();
    b.acl(hatchSensorHash);
    Suppressions.add(b.broker, [{ id: 'ACL-2', reason: 'sensor-0001 is the fleet recorder' }]);
    const a = evaluate(b.stack);
    assert.equal(state(a, 'ACL-2[sensor-0001:#]'), 'suppressed by suppression');
    assert.deepEqual(a.suppressions.find((s) => s.origin === 'suppression')!.suppressed, ['ACL-2[sensor-0001:#]']);
  });
  it('is ambiguous when more findings are there: it suppresses nothing and REV-2 names the keys', () => {
    const b = stackWith();
    b.acl((a) => hatchSensorHash(a).replace('user sensor-0002', 'user sensor-0002\ntopic read #'));
    Suppressions.add(b.broker, [{ id: 'ACL-2', reason: 'sensor-0001 is the fleet recorder' }]);
    const a = evaluate(b.stack);
    assert.equal(state(a, 'ACL-2[sensor-0001:#]'), 'open');
    assert.equal(state(a, 'ACL-2[sensor-0002:#]'), 'open');
    const rev = a.rows.find((r) => r.rule === 'REV-2' && r.status === 'non-compliant')!;
    assert.equal(rev.finding, 'REV-2[suppression:ACL-2@k8s/Broker]');
    assert.match(rev.detail, /would cover 2 findings: ACL-2\[sensor-0001:#\], ACL-2\[sensor-0002:#\]/);
    assert.equal(a.suppressions.find((s) => s.origin === 'suppression')!.status, 'ambiguous');
  });
  it('a relaxation (openToWorldReason) does not silently cover a NodePort hatch of the same rule', () => {
    const b = stackWith({ allowFrom: [{ cidr: '0.0.0.0/0', openToWorldReason: 'public demo broker at the trade fair' }] });
    assert.deepEqual(
      evaluate(b.stack)
        .rows.filter((r) => r.status === 'non-compliant' && !r.suppressed)
        .map((r) => r.finding),
      [],
      'the relaxation alone covers its one finding',
    );
    b.res('kubernetes_service_v1', 'Service-mosquitto').addOverride('spec.type', 'NodePort');
    const a = evaluate(b.stack);
    assert.equal(state(a, 'NET-2[mosquitto:node-port]'), 'open');
    assert.ok(a.rows.some((r) => r.finding === 'REV-2[suppression:NET-2@k8s/Broker]' && !r.suppressed));
  });
});

describe('the report lists, for each suppression, exactly what it suppressed', () => {
  it('policy exception, relaxation and a suppression that covered nothing', () => {
    const b = stackWith({ policy: opsPolicy(), clientIdIsUsername: false, clientIdChoiceReason: 'legacy gateways choose their own client ids' });
    b.acl(hatchSensorHash);
    const json = b.stack.toTerraform();
    const md = renderReport(exposureOf('k8s', json), evaluate(b.stack, undefined, json));
    const section = md.slice(md.indexOf('## Suppressions and relaxations'), md.indexOf('## Every rule'));
    assert.match(
      section,
      /\| ACL-2 \| k8s\/Broker \| policy exception \| policy exception for role ops-all on \\#: operators debug .* \| identities holding role ops-all, topic \\#, the access that role grants \| `ACL-2\[ops-1:#\]` \|/,
    );
    assert.match(section, /\| ACL-2 \| k8s\/Broker \| relaxation \| clientIdIsUsername: legacy gateways choose their own client ids \| nothing \(listed only\) \| nothing \|/);
    assert.doesNotMatch(section, /sensor-0001/);
    assert.match(md.slice(md.indexOf('## Findings')), /`ACL-2\[sensor-0001:#\]`: sensor-0001 may readwrite \\#/);
  });
});

describe('every policy exception shows with its reason, also those no audit rule re-checks', () => {
  /** Devices read every device's telemetry and the backend reads $SYS uptime, both excepted. */
  function sharedPolicy(): Policy {
    const spec = examplePolicy().spec;
    return Policy.from({
      ...spec,
      roles: spec.roles.map((r) =>
        r.name === 'device-own-subtree'
          ? { ...r, rules: [...r.rules, { action: 'subscribe' as const, topics: ['devices/+/telemetry'] }] }
          : r.name === 'backend-ingest'
            ? { ...r, rules: [...r.rules, { action: 'subscribe' as const, topics: ['$SYS/broker/uptime'] }] }
            : r,
      ),
      exceptions: [
        { rule: 'ACL-2-device-shared', role: 'device-own-subtree', topic: 'devices/+/telemetry', reason: 'devices compare their readings with their neighbours' },
        { rule: 'ACL-3-sys-read', role: 'backend-ingest', topic: '$SYS/broker/uptime', reason: 'the backend pauses ingestion while the broker restarts' },
      ],
    });
  }
  it('ACL-2-device-shared and ACL-3-sys-read are listed in the audit result and the report, suppressing nothing', () => {
    const b = stackWith({ policy: sharedPolicy() });
    const json = b.stack.toTerraform();
    const a = evaluate(b.stack, undefined, json);
    const listed = a.suppressions.filter((s) => s.origin === 'policy exception');
    assert.deepEqual(
      listed.map((s) => [s.rule, s.status, s.suppressed.length]),
      [
        ['ACL-2', 'nothing to suppress', 0],
        ['ACL-3', 'nothing to suppress', 0],
      ],
    );
    assert.match(listed[0]!.reason, /ACL-2-device-shared for role device-own-subtree on devices\/\+\/telemetry: devices compare their readings/);
    assert.match(listed[1]!.reason, /ACL-3-sys-read for role backend-ingest on \$SYS\/broker\/uptime: the backend pauses ingestion/);
    assert.equal(a.rows.filter((r) => r.suppressed?.origin === 'policy exception').length, 0, 'a listed-only exception hides no finding');
    const md = renderReport(exposureOf('k8s', json), a);
    assert.match(md, /devices compare their readings with their neighbours/);
    assert.match(md, /the backend pauses ingestion while the broker restarts/);
  });
});
