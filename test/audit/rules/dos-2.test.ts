import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brokerContainer, emqxBase, evaluate, k8sBase, openFindings, openRules, patch } from './kit.js';

describe('DOS-2: requests, limits and a PodDisruptionBudget', () => {
  it('compliant: the base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'DOS-2'), []);
    }
  });
  it('Mosquitto pod: no ephemeral-storage limit', () => {
    const b = k8sBase();
    patch(b.stack, b.res('kubernetes_stateful_set_v1'), 'spec', (s) => delete brokerContainer(s).resources.limits['ephemeral-storage']);
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['DOS-2']);
    assert.ok(openFindings(r, 'DOS-2').includes('DOS-2[mosquitto/mosquitto]'), openFindings(r, 'DOS-2').join(', '));
  });
  it('EMQX pod: no memory limit', () => {
    const e = emqxBase();
    patch(e.stack, e.res('kubernetes_stateful_set_v1'), 'spec', (s) => delete s.template.spec.container.find((c: any) => c.name === 'emqx').resources.limits.memory);
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['DOS-2']);
    assert.ok(openFindings(r, 'DOS-2').includes('DOS-2[emqx/emqx]'), openFindings(r, 'DOS-2').join(', '));
  });
});
