import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brokerContainer, emqxBase, evaluate, k8sBase, openFindings, openRules, patch } from './kit.js';

describe('POD-2: images pinned by tag and digest', () => {
  it('compliant: the base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'POD-2'), []);
    }
  });
  it('Mosquitto pod: an image by tag only', () => {
    const b = k8sBase();
    patch(b.stack, b.res('kubernetes_stateful_set_v1'), 'spec', (s) => (brokerContainer(s).image = 'eclipse-mosquitto:2.0.22'));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['POD-2']);
    assert.ok(openFindings(r, 'POD-2').includes('POD-2[mosquitto/mosquitto]'), openFindings(r, 'POD-2').join(', '));
  });
  it('EMQX pod: an image by tag only', () => {
    const e = emqxBase();
    patch(e.stack, e.res('kubernetes_stateful_set_v1'), 'spec', (s) => (s.template.spec.container.find((c: any) => c.name === 'emqx').image = 'emqx/emqx:5.8.9'));
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['POD-2']);
    assert.ok(openFindings(r, 'POD-2').includes('POD-2[emqx/emqx]'), openFindings(r, 'POD-2').join(', '));
  });
});
