/**
 * Relaxations reach the audit only through the registry (Relaxations.register): a user's own
 * construct records one through the public API and it becomes a suppression of its rule, a
 * `relaxations` property alone is not read, and a relaxation the audit cannot use is refused
 * with AUDIT_RELAXATION naming the construct and the prop.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1/index.js';
import { Construct } from 'constructs';
import { FortressAudit, type IRelaxed, type Relaxation, Relaxations } from 'mqtt-fortress';
import { compliantK8sStack } from '../helpers/audit-base.js';

/** A user's construct: a NodePort Service for a lab, with the relaxation it makes and why. */
class LabNodePort extends Construct implements IRelaxed {
  public readonly relaxations: Relaxation[];
  constructor(scope: Construct, id: string, props: { nodePortReason: string; register?: boolean; ruleId?: string }) {
    super(scope, id);
    this.relaxations = [{ id: props.ruleId ?? 'NET-2', prop: 'nodePortReason', reason: props.nodePortReason, appliesTo: ['NET-2[lab-mqtt:node-port]'] }];
    if (props.register !== false) Relaxations.register(this);
    new ServiceV1(this, 'Service', {
      metadata: { name: 'lab-mqtt', namespace: 'mqtt' },
      spec: { type: 'NodePort', selector: { 'app.kubernetes.io/name': 'mosquitto' }, port: [{ port: 8883, targetPort: '8883', nodePort: 30883 }] },
    });
  }
}

const REASON = 'lab rack without a load balancer, isolated VLAN';

describe('Relaxations: the registry the audit reads', () => {
  it("a user's registered construct relaxes its rule: the finding is suppressed with the prop and reason", () => {
    const { stack } = compliantK8sStack();
    const lab = new LabNodePort(stack, 'Lab', { nodePortReason: REASON });
    assert.deepEqual(Relaxations.of(lab), lab.relaxations);
    const r = FortressAudit.evaluate(stack);
    const row = r.rows.find((x) => x.finding === 'NET-2[lab-mqtt:node-port]');
    assert.deepEqual(row?.suppressed, { reason: `nodePortReason: ${REASON}`, origin: 'relaxation' });
    const rec = r.suppressions.find((s) => s.origin === 'relaxation' && s.where === 'k8s/Lab');
    assert.deepEqual(rec?.suppressed, ['NET-2[lab-mqtt:node-port]']);
    // evaluate runs on every synth: the relaxation is added once.
    assert.equal(FortressAudit.evaluate(stack).suppressions.filter((s) => s.where === 'k8s/Lab').length, 1);
  });
  it('a relaxations property without registration is not read: the finding stays open', () => {
    const { stack } = compliantK8sStack();
    const lab = new LabNodePort(stack, 'Lab', { nodePortReason: REASON, register: false });
    assert.deepEqual(Relaxations.of(lab), []);
    const row = FortressAudit.evaluate(stack).rows.find((x) => x.finding === 'NET-2[lab-mqtt:node-port]');
    assert.equal(row?.status, 'non-compliant');
    assert.equal(row?.suppressed, undefined);
  });
  it('the kit constructs register themselves', () => {
    const { broker } = compliantK8sStack();
    assert.equal(Relaxations.of(broker), broker.relaxations);
  });
  it('a relaxation of no audit rule, or with a short reason, fails the audit with AUDIT_RELAXATION', () => {
    const a = compliantK8sStack();
    new LabNodePort(a.stack, 'Lab', { nodePortReason: REASON, ruleId: 'NET-9' });
    assert.throws(() => FortressAudit.evaluate(a.stack), { code: 'AUDIT_RELAXATION', message: /k8s\/Lab relaxations\[0\] \(nodePortReason\): unknown rule id "NET-9"/ });
    const b = compliantK8sStack();
    new LabNodePort(b.stack, 'Lab', { nodePortReason: 'lab' });
    assert.throws(() => FortressAudit.evaluate(b.stack), {
      code: 'AUDIT_RELAXATION',
      message: /k8s\/Lab relaxations\[0\] \(nodePortReason\): the reason must be one line of at least 10 characters, got "lab"/,
    });
  });
});
