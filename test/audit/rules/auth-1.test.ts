import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compliantRows, conf, emqxBase, evaluate, k8sBase, openFindings, openRules } from './kit.js';

describe('AUTH-1: anonymous access off', () => {
  it('compliant: the Mosquitto and the EMQX base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'AUTH-1'), []);
      assert.ok(compliantRows(r, 'AUTH-1').length > 0, stack.node.id);
    }
  });
  it('Mosquitto: allow_anonymous true', () => {
    const b = k8sBase();
    conf(b, (c) => c.replace('allow_anonymous false', 'allow_anonymous true'));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['AUTH-1']);
    // per_listener_settings false: the last allow_anonymous is global, so both listeners admit anonymous clients.
    assert.deepEqual(openFindings(r, 'AUTH-1'), ['AUTH-1[listener:8883]', 'AUTH-1[listener:1884]']);
  });
  it('EMQX: no authenticator', () => {
    const e = emqxBase();
    e.edit((f) => {
      f.conf.authentication = [];
    });
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['AUTH-1']);
    assert.deepEqual(openFindings(r, 'AUTH-1'), ['AUTH-1[emqx:anonymous]']);
  });
  it('EMQX: enable_authn false on the ssl listener', () => {
    const e = emqxBase();
    e.edit((f) => {
      f.conf.listeners.ssl.default.enable_authn = false;
    });
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['AUTH-1']);
    assert.deepEqual(openFindings(r, 'AUTH-1'), ['AUTH-1[emqx:enable_authn]']);
  });
});
