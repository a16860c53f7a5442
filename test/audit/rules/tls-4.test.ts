import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brokerContainer, evaluate, k8sBase, openFindings, openRules, patch } from './kit.js';

describe('TLS-4: renewed certificates reach the broker (Mosquitto)', () => {
  it('compliant: the base stacks', () => {
    for (const stack of [k8sBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'TLS-4'), []);
    }
  });
  // A subPath mount of the certificate volume: kubelet never updates the renewed certificate in it.
  it('Mosquitto: the certificate mounted with subPath', () => {
    const b = k8sBase();
    patch(b.stack, b.res('kubernetes_stateful_set_v1'), 'spec', (s) => (brokerContainer(s).volume_mount.find((m: any) => /tls/.test(m.mount_path)).sub_path = 'tls.crt'));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['TLS-4']);
    assert.ok(openFindings(r, 'TLS-4').includes('TLS-4[mosquitto:subPath]'), openFindings(r, 'TLS-4').join(', '));
  });
});
