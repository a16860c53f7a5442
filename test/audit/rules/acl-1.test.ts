import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acl, compliantRows, emqxBase, evaluate, k8sBase, openFindings, openRules } from './kit.js';

describe('ACL-1: default deny', () => {
  it('compliant: the Mosquitto and the EMQX base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'ACL-1'), []);
      assert.ok(compliantRows(r, 'ACL-1').length > 0, stack.node.id);
    }
  });
  it('Mosquitto: a topic line before the first user applies to anonymous clients', () => {
    const b = k8sBase();
    acl(b, (a) => `topic read devices/#\n${a}`);
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['ACL-1']);
    assert.deepEqual(openFindings(r, 'ACL-1'), ['ACL-1[acl]']);
  });
  it('EMQX: no_match allow', () => {
    const e = emqxBase();
    e.edit((f) => {
      f.conf.authorization.no_match = 'allow';
    });
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['ACL-1']);
    assert.deepEqual(openFindings(r, 'ACL-1'), ['ACL-1[emqx:emqx]']);
  });
  it('EMQX: acl.conf ending with {allow, all}', () => {
    const e = emqxBase();
    e.edit((f) => `${f.acl.replace('{deny, all}.', '')}{allow, all}.\n`);
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['ACL-1']);
    assert.deepEqual(openFindings(r, 'ACL-1'), ['ACL-1[emqx:emqx]']);
  });
});
