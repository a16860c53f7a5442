import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acl, compliantRows, conf, emqxBase, evaluate, k8sBase, openFindings, openRules } from './kit.js';

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
  it('Mosquitto: identity-class pattern lines scoped by %u pass with password logins; unscoped, or with a listener that takes the certificate CN as username, they are a finding', () => {
    const scoped = k8sBase();
    acl(scoped, (a) => `${a}\npattern write devices/%u/telemetry\n`);
    assert.deepEqual(openFindings(evaluate(scoped.stack), 'ACL-1'), []);
    const unscoped = k8sBase();
    acl(unscoped, (a) => `${a}\npattern write devices/telemetry\n`);
    assert.deepEqual(openFindings(evaluate(unscoped.stack), 'ACL-1'), ['ACL-1[acl]']);
    const certs = k8sBase();
    acl(certs, (a) => `${a}\npattern write devices/%u/telemetry\n`);
    conf(certs, (c) => c.replace(/^(listener 8883.*)$/m, '$1\nuse_identity_as_username true'));
    assert.match(JSON.stringify(certs.stack.toTerraform()), /use_identity_as_username true/);
    assert.deepEqual(openFindings(evaluate(certs.stack), 'ACL-1'), ['ACL-1[acl]']);
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
