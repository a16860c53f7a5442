import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emqxBase, evaluate, k8sBase, openFindings, openRules, patch } from './kit.js';

describe('NET-1: default-deny NetworkPolicy around every broker', () => {
  it('compliant: the base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'NET-1'), []);
    }
  });
  // cdktf overrides concatenate arrays (["Ingress","Egress"] + ["Ingress"]), so move the policy away instead.
  it('Mosquitto: the default deny moved to another namespace', () => {
    const b = k8sBase();
    b.res('kubernetes_network_policy_v1', 'default-deny').addOverride('metadata.namespace', 'elsewhere');
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['NET-1']);
    assert.ok(openFindings(r, 'NET-1').includes('NET-1[mqtt:default-deny]'), openFindings(r, 'NET-1').join(', '));
  });
  it('EMQX: an egress rule to every destination', () => {
    const e = emqxBase();
    const np = e.res('kubernetes_network_policy_v1', 'emqx');
    patch(e.stack, np, 'spec', (s) => (s.egress = [...(s.egress ?? []), { ports: [{ port: '443', protocol: 'TCP' }] }]));
    const r = evaluate(e.stack);
    assert.ok(
      openFindings(r, 'NET-1').some((f) => /^NET-1\[.*:egress-\d+\]$/.test(f)),
      openFindings(r, 'NET-1').join(', '),
    );
  });
});
