import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type App, TerraformStack, Testing } from 'cdktf';
import { kubernetesProvider } from '../../../constructs/k8s/provider.js';
import { BrokerMonitoring } from '../../../constructs/monitoring/monitoring.js';
import { MosquittoBroker } from '../../../constructs/mosquitto/broker.js';
import { BrokerCertificates } from '../../../constructs/tls/certificates.js';
import { minimalBrokerProps } from '../../helpers/synth.js';
import { compliantRows, conf, emqxBase, evaluate, k8sBase, openFindings, openRules } from './kit.js';

/** Removes the n-th (0-based) `use_username_as_clientid true` line. */
const dropBinding = (n: number) => (c: string) => {
  let i = -1;
  return c.replace(/^use_username_as_clientid true\n/gm, (m) => (++i === n ? '' : m));
};

describe('AUTH-5: every listener binds the client id to the username', () => {
  it('compliant: the Mosquitto and the EMQX base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'AUTH-5'), []);
      assert.ok(compliantRows(r, 'AUTH-5').length > 0, stack.node.id);
    }
  });
  it('Mosquitto: the loopback metrics listener without use_username_as_clientid', () => {
    const b = k8sBase();
    conf(b, dropBinding(1));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['AUTH-5']);
    assert.deepEqual(openFindings(r, 'AUTH-5'), ['AUTH-5[mosquitto:1884]']);
  });
  it('Mosquitto: the TLS listener without it (a global line before the listeners does not count)', () => {
    const b = k8sBase();
    conf(b, (c) => dropBinding(0)(c).replace(/^listener /m, 'use_username_as_clientid true\nlistener '));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['AUTH-5']);
    assert.deepEqual(openFindings(r, 'AUTH-5'), ['AUTH-5[mosquitto:8883]']);
  });
  it('EMQX: mqtt.use_username_as_clientid false', () => {
    const e = emqxBase();
    e.edit((f) => {
      f.conf.mqtt.use_username_as_clientid = false;
    });
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['AUTH-5']);
    assert.deepEqual(openFindings(r, 'AUTH-5'), ['AUTH-5[emqx:ssl.default]']);
  });
  it('clientIdIsUsername false with its reason: the finding is suppressed by the relaxation, nothing is open', () => {
    const app: App = Testing.app();
    const stack = new TerraformStack(app, 'k8s');
    kubernetesProvider(stack);
    const broker = new MosquittoBroker(
      stack,
      'Broker',
      minimalBrokerProps({ metricsExporter: { image: { digest: `sha256:${'cd'.repeat(32)}` } }, clientIdIsUsername: false, clientIdChoiceReason: 'legacy gateways choose their own client ids' }),
    );
    new BrokerCertificates(stack, 'Certificates', { broker, issuer: { kind: 'bootstrap' } });
    new BrokerMonitoring(stack, 'Monitoring', { broker, prometheusLabels: { release: 'kube-prometheus-stack' } });
    const r = evaluate(stack);
    assert.deepEqual(openRules(r), []);
    const row = r.rows.find((x) => x.rule === 'AUTH-5' && x.status === 'non-compliant')!;
    assert.equal(row.finding, 'AUTH-5[mosquitto:8883,1884]');
    assert.deepEqual(row.suppressed, { reason: 'clientIdIsUsername: legacy gateways choose their own client ids', origin: 'relaxation' });
  });
});
