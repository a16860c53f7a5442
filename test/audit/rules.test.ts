/**
 * Each audit rule, on a stack that breaks it (through escape hatches, as users can), produces
 * exactly that rule's findings; the compliant base and the default app produce none.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version/index.js';
import { type App, Aspects, type TerraformResource, TerraformStack, Testing } from 'cdktf';
import { type AuditResult, evaluate, FortressAudit, Suppressions } from '../../constructs/audit/engine.js';
import { RULES } from '../../constructs/audit/rules.js';
import { kubernetesProvider } from '../../constructs/k8s/provider.js';
import { BrokerMonitoring } from '../../constructs/monitoring/monitoring.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { BrokerCertificates } from '../../constructs/tls/certificates.js';
import { buildApp } from '../../stacks/main.js';
import { compliantK8sStack } from '../helpers/audit-base.js';
import { minimalBrokerProps } from '../helpers/synth.js';

const FAKE_DIGEST = `sha256:${'cd'.repeat(32)}`; // test fixture only

interface K8sBase {
  stack: TerraformStack;
  broker: MosquittoBroker;
  res: (kind: string, name?: string) => TerraformResource;
}

/** A stack every K8s rule finds compliant: broker with exporter, certificates, monitoring. */
function k8sBase(): K8sBase {
  const { stack, broker } = compliantK8sStack();
  const res = (kind: string, name?: string) => stack.node.findAll().find((c) => (c as any).terraformResourceType === kind && (!name || c.node.id.includes(name))) as TerraformResource;
  return { stack, broker, res };
}

function awsBase(): TerraformStack {
  const app: App = Testing.app();
  const stack = new TerraformStack(app, 'aws');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  return stack;
}

/** Escape hatch: rewrites a top-level key of a resource's resolved config. */
function patch(stack: TerraformStack, r: TerraformResource, key: string, fn: (v: any) => void): void {
  const json = stack.toTerraform();
  const cfg = json.resource[r.terraformResourceType][stack.getLogicalId(r)];
  const v = structuredClone(cfg[key]);
  fn(v);
  r.addOverride(key, v);
}

const openRules = (r: AuditResult) => [...new Set(r.rows.filter((x) => x.status === 'non-compliant' && !x.suppressed).map((x) => x.rule))].sort();
const conf = (b: K8sBase, fn: (conf: string) => string) => patch(b.stack, b.res('kubernetes_config_map_v1'), 'data', (d) => (d['mosquitto.conf'] = fn(d['mosquitto.conf'])));
const acl = (b: K8sBase, fn: (acl: string) => string) => patch(b.stack, b.res('kubernetes_config_map_v1'), 'data', (d) => (d.acl = fn(d.acl)));

describe('audit rules: the compliant bases have no finding', () => {
  it('Kubernetes base: every rule compliant or not applicable', () => assert.deepEqual(openRules(evaluate(k8sBase().stack)), []));
  it('AWS base: every rule compliant or not applicable', () => assert.deepEqual(openRules(evaluate(awsBase())), []));
  it('every rule has info, explanation and fix', () => {
    for (const r of RULES) for (const k of ['info', 'explanation', 'fix'] as const) assert.ok(r[k].length > 15, `${r.id}.${k}`);
  });
});

describe('AUTH-2 also catches a secret value written by Terraform', () => {
  it('a secret version with a literal value is two AUTH-2 findings (the resource and the value shape)', () => {
    const s = awsBase();
    const sec = new SecretsmanagerSecret(s, 'Secret', { name: 'x', kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/x' });
    new SecretsmanagerSecretVersion(s, 'Value', { secretId: sec.id, secretString: 'hunter2-but-longer' });
    const r = evaluate(s);
    assert.deepEqual(
      r.rows
        .filter((x) => x.rule === 'AUTH-2' && x.status === 'non-compliant')
        .map((x) => x.finding)
        .sort(),
      ['AUTH-2[Value:value]', 'AUTH-2[shape:Secrets Manager value in Terraform]'],
    );
  });
});

describe('suppressions and the engine', () => {
  it('a suppression with a reason silences the finding and is listed with its reason', () => {
    const b = k8sBase();
    acl(b, (a) => a.replace('user backend', 'user backend\ntopic read #'));
    Suppressions.add(b.broker, [{ id: 'ACL-2', reason: 'the archive service records every message', appliesTo: ['ACL-2[backend:#]'] }]);
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), []);
    const row = r.rows.find((x) => x.rule === 'ACL-2' && x.suppressed)!;
    assert.equal(row.suppressed!.reason, 'the archive service records every message');
  });
  it('appliesTo narrows a suppression to matching findings', () => {
    const b = k8sBase();
    acl(b, (a) => a.replace('user backend', 'user backend\ntopic read #'));
    Suppressions.add(b.broker, [{ id: 'ACL-2', reason: 'only the metrics topic is meant here', appliesTo: ['ACL-2[backend:metrics/#]'] }]);
    assert.deepEqual(openRules(evaluate(b.stack)), ['ACL-2']);
  });
  it('bad suppressions are refused when added; a path that matches nothing throws', () => {
    const b = k8sBase();
    assert.throws(() => Suppressions.add(b.broker, [{ id: 'MON-1', reason: 'short' }]), /at least 10 characters/);
    assert.throws(() => Suppressions.add(b.broker, [{ id: 'NOPE-1', reason: 'long enough reason' }]), /unknown rule id "NOPE-1"/);
    assert.throws(() => Suppressions.addByPath(b.stack, 'k8s/Ghost', [{ id: 'MON-1', reason: 'long enough reason' }]), /no construct at path "k8s\/Ghost"/);
  });
  it('relaxations with reasons become suppressions that name the prop', () => {
    const app: App = Testing.app();
    const stack = new TerraformStack(app, 'k8s');
    kubernetesProvider(stack);
    const broker = new MosquittoBroker(
      stack,
      'Broker',
      minimalBrokerProps({ metricsExporter: { image: { digest: FAKE_DIGEST } }, allowFrom: [{ cidr: '0.0.0.0/0', openToWorldReason: 'public demo broker at the trade fair' }] }),
    );
    new BrokerCertificates(stack, 'Certificates', { broker, issuer: { kind: 'bootstrap' } });
    new BrokerMonitoring(stack, 'Monitoring', { broker, prometheusLabels: { release: 'kube-prometheus-stack' } });
    const r = evaluate(stack);
    assert.deepEqual(openRules(r), []);
    const row = r.rows.find((x) => x.rule === 'NET-2' && x.suppressed)!;
    assert.match(row.suppressed!.reason, /allowFrom\[0\]\.openToWorldReason: public demo broker at the trade fair/);
    assert.equal(row.suppressed!.origin, 'relaxation');
  });
  it('fails closed: a rule that throws is a finding', () => {
    const r = evaluate(k8sBase().stack, [
      {
        id: 'TLS-1',
        level: 'error',
        info: 'x',
        explanation: 'x',
        fix: 'x',
        check: () => {
          throw new Error('boom');
        },
      },
    ]);
    assert.equal(r.rows[0]!.finding, 'TLS-1[rule-error]');
    assert.equal(r.summary.errors, 1);
  });
  it('an unsuppressed error fails synthesis with the findings listed', () => {
    const b = k8sBase();
    FortressAudit.applyTo(b.stack);
    FortressAudit.applyTo(b.stack); // idempotent
    conf(b, (c) => c.replace('allow_anonymous false', 'allow_anonymous true'));
    assert.throws(
      () => Testing.synth(b.stack, true),
      /AUTH-1\[listener:8883\]: listener 8883: allow_anonymous is true\. Fix: .*Or suppress exactly this finding with .*appliesTo: \["AUTH-1\[listener:8883\]"\]/,
    );
  });
  it('the audit sees what aspects added after it change (it runs at validation, after every aspect)', () => {
    const b = k8sBase();
    FortressAudit.applyTo(b.stack);
    const cm = b.res('kubernetes_config_map_v1');
    const data = structuredClone(b.stack.toTerraform().resource.kubernetes_config_map_v1[b.stack.getLogicalId(cm)].data);
    data['mosquitto.conf'] = data['mosquitto.conf'].replace('allow_anonymous false', 'allow_anonymous true');
    Aspects.of(b.stack).add({
      visit: (n) => {
        if (n === cm) cm.addOverride('data', data);
      },
    });
    assert.throws(() => Testing.synth(b.stack, true), /AUTH-1\[listener:8883\]/);
  });
  it('synthesized output equals a synthesis without the audit, and the audit leaves the stack untouched', () => {
    const b = k8sBase();
    FortressAudit.applyTo(b.stack);
    const synthesized = JSON.parse(Testing.synth(b.stack, true)); // validations on: the audit runs
    assert.ok(FortressAudit.resultOf(b.stack), 'the audit ran in the synthesis');
    assert.equal(Object.hasOwn(b.stack, 'toTerraform'), false, 'no method of the stack is replaced');
    assert.deepEqual(synthesized, JSON.parse(Testing.synth(b.stack, false)), 'equal to a synthesis without the audit');
    const cm = b.res('kubernetes_config_map_v1');
    cm.addOverride('metadata.annotations.probe', 'changed-after-synth');
    assert.match(JSON.stringify(b.stack.toTerraform()), /changed-after-synth/);
  });
  it('the default app has zero open findings; its one suppression is MON-1 with its reason', () => {
    const app = buildApp(Testing.app().outdir);
    let rows: { stack: string; rule: string; suppressed: boolean }[] = [];
    for (const s of app.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack)) {
      rows = rows.concat(
        evaluate(s)
          .rows.filter((x) => x.status === 'non-compliant')
          .map((x) => ({ stack: s.node.id, rule: x.rule, suppressed: Boolean(x.suppressed) })),
      );
    }
    assert.deepEqual(rows, [{ stack: 'mosquitto-k8s', rule: 'MON-1', suppressed: true }]);
  });
});
