import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emqxBase, evaluate, k8sBase, openFindings, openRules, patch } from './kit.js';

describe('TLS-3: certificate lifetime, renewal and keys', () => {
  it('compliant: the base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'TLS-3'), []);
    }
  });
  it('Mosquitto stack: server certificate keeps its key on renewal', () => {
    const b = k8sBase();
    patch(b.stack, b.res('kubernetes_manifest', 'Certificate-mosquitto-server'), 'manifest', (m) => (m.spec.privateKey.rotationPolicy = 'Never'));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['TLS-3']);
    assert.ok(openFindings(r, 'TLS-3').includes('TLS-3[mosquitto-server]'), openFindings(r, 'TLS-3').join(', '));
  });
  it('EMQX stack: server certificate for two years', () => {
    const e = emqxBase();
    patch(e.stack, e.res('kubernetes_manifest', 'Certificate-emqx-server'), 'manifest', (m) => (m.spec.duration = '17520h'));
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['TLS-3']);
    assert.ok(openFindings(r, 'TLS-3').includes('TLS-3[emqx-server]'), openFindings(r, 'TLS-3').join(', '));
  });
});
