/**
 * What the access diff does not model counts as a widening when it changes (found by a second
 * attack on the diff): pod templates, configuration and script keys, Terraform meta-arguments and
 * executors, expressions in ConfigMap values. Each case edits the compliant stack's JSON as a pull
 * request could; an unchanged stack yields nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasTerraformExpression } from '../../constructs/audit/k8s-view.js';
import { unmodelledChanges } from '../../constructs/review/unmodelled.js';
import { compliantK8sStack } from '../helpers/audit-base.js';

const base = JSON.parse(JSON.stringify(compliantK8sStack().stack.toTerraform()));
const one = <T>(v: T | T[]): T => (Array.isArray(v) ? v[0]! : v);
const edit = (fn: (j: any) => void) => {
  const j = structuredClone(base);
  fn(j);
  return unmodelledChanges('k8s', base, j);
};
const sts = (j: any) => Object.values<any>(j.resource.kubernetes_stateful_set_v1)[0];
const podSpec = (j: any) => one(one(one(sts(j).spec).template).spec);
const cm = (j: any) => Object.values<any>(j.resource.kubernetes_config_map_v1).find((c) => 'mosquitto.conf' in one(c.data));

describe('unmodelled parts: a change counts as widening', () => {
  it('the same stack gives nothing', () => assert.deepEqual(unmodelledChanges('k8s', base, structuredClone(base)), []));
  it('a rule file change the model reads (the ACL) gives nothing here', () => {
    assert.deepEqual(
      edit((j) => {
        one(cm(j).data).acl += '\n# a comment\n';
      }),
      [],
    );
  });
  const cases: [string, (j: any) => void, RegExp][] = [
    ['another image', (j) => (one(podSpec(j).container).image = `ghcr.io/evil/mosquitto@sha256:${'a'.repeat(64)}`), /pod template/],
    ['an init container writing an open ACL', (j) => podSpec(j).init_container.push({ name: 'zz', image: 'x', command: ['/bin/sh', '-c', 'echo > /run/acl'] }), /pod template/],
    ['a command naming another configuration', (j) => (one(podSpec(j).container).command = ['mosquitto', '-c', '/mosquitto/config/alt.conf']), /pod template/],
    ['a bridge in mosquitto.conf', (j) => (one(cm(j).data)['mosquitto.conf'] += '\nconnection backup\naddress 203.0.113.7:1883\ntopic # both 0\n'), /"mosquitto.conf"/],
    ['the entrypoint script', (j) => (one(cm(j).data)['fortress-broker.sh'] += '\n# changed\n'), /"fortress-broker.sh"/],
    ['count on a NetworkPolicy', (j) => (Object.values<any>(j.resource.kubernetes_network_policy_v1)[0].count = 0), /Terraform count/],
    ['lifecycle ignore_changes on the ConfigMap', (j) => (cm(j).lifecycle = { ignore_changes: ['data'] }), /Terraform lifecycle/],
    ['a terraform_data with local-exec', (j) => (j.resource.terraform_data = { x: { provisioner: { 'local-exec': { command: 'kubectl patch ...' } } } }), /terraform_data/],
    ['an interpolation after a % in the ACL', (j) => (one(cm(j).data).acl += '\n# %${"\\nuser backend\\ntopic readwrite #"}\n'), /Terraform expression/],
  ];
  for (const [name, fn, re] of cases)
    it(name, () => {
      const ch = edit(fn);
      assert.ok(ch.length > 0, 'no change reported');
      assert.ok(
        ch.every((c) => c.new && c.side === 'after'),
        'every entry is new',
      );
      assert.match(ch.map((c) => c.text).join('\n'), re);
    });
});

describe('Terraform template expressions, scanned as Terraform does', () => {
  for (const [s, e] of [
    ['plain', false],
    ['${x}', true],
    ['$${x}', false],
    ['%%{x}', false],
    ['%{ if a }', true],
    ['%${"a"}', true],
    ['$%{x}', true],
    ['$$${x}', false],
    ['a$', false],
    ['%%%{x}', false],
  ] as const)
    it(JSON.stringify(s), () => assert.equal(hasTerraformExpression(s), e));
});
