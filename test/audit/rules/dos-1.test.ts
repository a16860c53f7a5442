import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compliantRows, conf, emqxBase, evaluate, k8sBase, openFindings, openRules } from './kit.js';

describe('DOS-1: broker limits', () => {
  it('compliant: the Mosquitto and the EMQX base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'DOS-1'), []);
      assert.ok(compliantRows(r, 'DOS-1').length > 0, stack.node.id);
    }
  });
  it('Mosquitto: max_queued_messages removed', () => {
    const b = k8sBase();
    conf(b, (c) => c.replace(/^max_queued_messages .*$/m, ''));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['DOS-1']);
    assert.deepEqual(openFindings(r, 'DOS-1'), ['DOS-1[mosquitto:max_queued_messages]']);
  });
  it('EMQX: flapping detection off', () => {
    const e = emqxBase();
    e.edit((f) => {
      delete f.conf.flapping_detect;
    });
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['DOS-1']);
    assert.deepEqual(openFindings(r, 'DOS-1'), ['DOS-1[emqx:flapping_detect]']);
  });
  it('EMQX: max_connections infinity', () => {
    const e = emqxBase();
    e.edit((f) => {
      f.conf.listeners.ssl.default.max_connections = 'infinity';
    });
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['DOS-1']);
    assert.deepEqual(openFindings(r, 'DOS-1'), ['DOS-1[emqx:max_connections]']);
  });
});
