import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acl, compliantRows, emqxBase, evaluate, k8sBase, openFindings, openRules } from './kit.js';

describe('ACL-3: no writes to "$" topics', () => {
  it('compliant: the Mosquitto and the EMQX base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'ACL-3'), []);
      assert.ok(compliantRows(r, 'ACL-3').length > 0, stack.node.id);
    }
  });
  it('Mosquitto: write to $SYS', () => {
    const b = k8sBase();
    acl(b, (a) => a.replace('user backend', 'user backend\ntopic write $SYS/broker/uptime'));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['ACL-3']);
    assert.deepEqual(openFindings(r, 'ACL-3'), ['ACL-3[backend:$SYS/broker/uptime]']);
  });
  it('EMQX: publish to $SYS in acl.conf', () => {
    const e = emqxBase();
    e.edit((f) => f.acl.replace('{deny, all}.', '{allow, {username, "metrics"}, publish, ["$SYS/fake"]}.\n{deny, all}.'));
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['ACL-3']);
    assert.deepEqual(openFindings(r, 'ACL-3'), ['ACL-3[metrics:$SYS/fake]']);
  });
});
