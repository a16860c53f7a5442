import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brokerContainer, emqxBase, evaluate, k8sBase, openFindings, openRules, patch } from './kit.js';

describe('POD-1: Pod Security restricted', () => {
  it('compliant: the base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'POD-1'), []);
    }
  });
  it('Mosquitto stack: the namespace enforces baseline only', () => {
    const b = k8sBase();
    patch(b.stack, b.res('kubernetes_namespace_v1'), 'metadata', (m) => (m.labels['pod-security.kubernetes.io/enforce'] = 'baseline'));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['POD-1']);
    assert.ok(openFindings(r, 'POD-1').includes('POD-1[ns:mqtt]'), openFindings(r, 'POD-1').join(', '));
  });
  it('Mosquitto pod: a writable root filesystem', () => {
    const b = k8sBase();
    patch(b.stack, b.res('kubernetes_stateful_set_v1'), 'spec', (s) => (brokerContainer(s).security_context.read_only_root_filesystem = false));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['POD-1']);
    assert.ok(openFindings(r, 'POD-1').includes('POD-1[mosquitto/mosquitto]'), openFindings(r, 'POD-1').join(', '));
  });
  it('EMQX pod: privilege escalation allowed', () => {
    const e = emqxBase();
    patch(e.stack, e.res('kubernetes_stateful_set_v1'), 'spec', (s) => (s.template.spec.container.find((c: any) => c.name === 'emqx').security_context.allow_privilege_escalation = true));
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['POD-1']);
    assert.ok(openFindings(r, 'POD-1').includes('POD-1[emqx/emqx]'), openFindings(r, 'POD-1').join(', '));
  });
});
