import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type App, TerraformStack, Testing } from 'cdktf';
import { kubernetesProvider } from '../../../constructs/k8s/provider.js';
import { MosquittoBroker } from '../../../constructs/mosquitto/broker.js';
import { BrokerCertificates } from '../../../constructs/tls/certificates.js';
import { minimalBrokerProps } from '../../helpers/synth.js';
import { emqxBase, evaluate, k8sBase, openFindings, openRules, patch } from './kit.js';

describe('MON-1: broker metrics reach Prometheus', () => {
  it('compliant: the base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'MON-1'), []);
    }
  });
  it('Mosquitto: the PodMonitor in another namespace', () => {
    const b = k8sBase();
    patch(b.stack, b.res('kubernetes_manifest', 'PodMonitor'), 'manifest', (m) => (m.metadata.namespace = 'elsewhere'));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['MON-1']);
    assert.ok(openFindings(r, 'MON-1').includes('MON-1[mosquitto]'), openFindings(r, 'MON-1').join(', '));
  });
  it('EMQX: the PodMonitor in another namespace', () => {
    const e = emqxBase();
    patch(e.stack, e.res('kubernetes_manifest', 'PodMonitor'), 'manifest', (m) => (m.metadata.namespace = 'elsewhere'));
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['MON-1']);
    assert.ok(openFindings(r, 'MON-1').includes('MON-1[emqx:emqx]'), openFindings(r, 'MON-1').join(', '));
  });
  it('MON-1 and MON-2: a broker without exporter or monitoring (warnings)', () => {
    const app: App = Testing.app();
    const stack = new TerraformStack(app, 'k8s');
    kubernetesProvider(stack);
    const broker = new MosquittoBroker(stack, 'Broker', minimalBrokerProps());
    new BrokerCertificates(stack, 'Certificates', { broker, issuer: { kind: 'bootstrap' } });
    const r = evaluate(stack);
    assert.deepEqual(openRules(r), ['MON-1', 'MON-2']);
    assert.ok(r.rows.filter((x) => x.status === 'non-compliant').every((x) => x.level === 'warning'));
  });
});
