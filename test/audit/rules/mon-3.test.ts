import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compliantRows, conf, emqxBase, evaluate, k8sBase, openFindings, openRules } from './kit.js';

describe('MON-3: connection events logged', () => {
  it('compliant: the Mosquitto and the EMQX base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'MON-3'), []);
      assert.ok(compliantRows(r, 'MON-3').length > 0, stack.node.id);
    }
  });
  it('Mosquitto: log_timestamp false', () => {
    const b = k8sBase();
    conf(b, (c) => c.replace('log_timestamp true', 'log_timestamp false'));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['MON-3']);
    assert.deepEqual(openFindings(r, 'MON-3'), ['MON-3[mosquitto]']);
  });
  it('EMQX: no console rule for the events', () => {
    const e = emqxBase();
    e.edit((f) => {
      delete f.conf.rule_engine;
    });
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['MON-3']);
    assert.deepEqual(openFindings(r, 'MON-3'), ['MON-3[emqx:emqx]']);
  });
});
