import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acl, compliantRows, emqxBase, evaluate, k8sBase, openFindings, openRules } from './kit.js';

describe('ACL-2: least privilege', () => {
  it('compliant: the Mosquitto and the EMQX base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'ACL-2'), []);
      assert.ok(compliantRows(r, 'ACL-2').length > 0, stack.node.id);
    }
  });
  it('Mosquitto: a rule on "#"', () => {
    const b = k8sBase();
    acl(b, (a) => a.replace('user backend', 'user backend\ntopic read #'));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['ACL-2']);
    assert.deepEqual(openFindings(r, 'ACL-2'), ['ACL-2[backend:#]']);
  });
  it('EMQX: a rule on "#" in acl.conf', () => {
    const e = emqxBase();
    e.edit((f) => f.acl.replace('{deny, all}.', '{allow, {username, "sensor-0001"}, all, ["#"]}.\n{deny, all}.'));
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['ACL-2']);
    assert.deepEqual(openFindings(r, 'ACL-2'), ['ACL-2[sensor-0001:#]']);
  });
  it('EMQX: an acl.conf term the audit cannot read fails closed', () => {
    const e = emqxBase();
    e.edit((f) => f.acl.replace('{deny, all}.', '{allow, {clientid, {re, ".*"}}, all, ["x"]}.\n{deny, all}.'));
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['ACL-2']);
    assert.deepEqual(openFindings(r, 'ACL-2'), ['ACL-2[emqx:acl.conf-term-0]']);
  });
});
