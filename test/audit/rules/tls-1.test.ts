import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compliantRows, conf, emqxBase, evaluate, k8sBase, openFindings, openRules } from './kit.js';

describe('TLS-1: MQTT only over TLS', () => {
  it('compliant: the Mosquitto and the EMQX base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'TLS-1'), []);
      assert.ok(compliantRows(r, 'TLS-1').length > 0, stack.node.id);
    }
  });
  it('Mosquitto: a plaintext listener on 1883', () => {
    const b = k8sBase();
    conf(b, (c) => `${c}\nlistener 1883\nmax_connections 10\nallow_anonymous false\nuse_username_as_clientid true\n`);
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['TLS-1']);
    assert.deepEqual(openFindings(r, 'TLS-1'), ['TLS-1[listener:1883]']);
  });
  it('EMQX: the tcp listener switched on', () => {
    const e = emqxBase();
    e.edit((f) => {
      f.conf.listeners.tcp = { default: { bind: '0.0.0.0:1883' } };
    });
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['TLS-1']);
    assert.deepEqual(openFindings(r, 'TLS-1'), ['TLS-1[emqx:tcp.default]']);
  });
  it('EMQX: no tcp listener configured: EMQX enables its default', () => {
    const e = emqxBase();
    e.edit((f) => {
      delete f.conf.listeners.ws;
    });
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['TLS-1']);
    assert.deepEqual(openFindings(r, 'TLS-1'), ['TLS-1[emqx:ws.default]']);
  });
});
