/**
 * Attacks on the audit's claim that it sees the final output whatever produced it (REV-2): Terraform
 * modules and provisioners, expressions and dynamic blocks it cannot read, CIDR unions in egress,
 * namespace selectors matching every namespace, Mosquitto's deprecated `port` and `include_dir`.
 * Each row failed (no finding) before the fix. Also: the kit's own ConfigMap data must be
 * Terraform literals (the reloader script's `${VAR:?}` made the configuration fail to parse).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigMapV1Data } from '@cdktf/provider-kubernetes/lib/config-map-v1-data/index.js';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest/index.js';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1/index.js';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1/index.js';
import { TerraformHclModule, type TerraformResource, type TerraformStack } from 'cdktf';
import { evaluate } from '../../constructs/audit/engine.js';
import { computedFields, configMapFiles, k8sObjects } from '../../constructs/audit/view.js';
import { compliantK8sStack } from '../helpers/audit-base.js';

function base() {
  const { stack } = compliantK8sStack();
  const res = (type: string, id?: string) => stack.node.findAll().find((c) => (c as any).terraformResourceType === type && (!id || c.node.id === id)) as TerraformResource;
  const conf = () => stack.toTerraform().resource.kubernetes_config_map_v1[stack.getLogicalId(res('kubernetes_config_map_v1'))].data['mosquitto.conf'] as string;
  return { stack, res, conf };
}
type B = ReturnType<typeof base>;
const meta = (name: string) => ({ name, namespace: 'mqtt' });
const open = (s: TerraformStack) =>
  evaluate(s, undefined, s.toTerraform())
    .rows.filter((r) => r.status === 'non-compliant' && !r.suppressed)
    .map((r) => r.finding!);

const ATTACKS: [string, (b: B) => void, RegExp][] = [
  ['a Terraform module (creates resources the stack JSON does not show)', (b) => new TerraformHclModule(b.stack, 'Mod', { source: 'example/evil/kubernetes' }), /^REV-2\[module\.Mod\]$/],
  [
    "a local-exec provisioner on the kit's Service",
    (b) => b.res('kubernetes_service_v1').addOverride('provisioner', [{ 'local-exec': { command: 'kubectl apply -f open.yaml' } }]),
    /^REV-2\[kubernetes_service_v1\..*:provisioner\]$/,
  ],
  [
    'a dynamic ingress block on a NetworkPolicy (allow-all rules after expansion)',
    (b) =>
      new NetworkPolicyV1(b.stack, 'Dyn', { metadata: meta('dyn'), spec: { podSelector: {}, policyTypes: ['Ingress'] } }).addOverride('spec.dynamic.ingress', {
        for_each: '${toset(["a"])}',
        content: {},
      }),
    /^REV-2\[kubernetes_network_policy_v1\.Dyn\]$/,
  ],
  ['the Service type set to a Terraform variable by an override', (b) => b.res('kubernetes_service_v1').addOverride('spec.type', '${var.service_type}'), /^REV-2\[kubernetes_service_v1\./],
  [
    'a Service manifest whose spec is an expression',
    (b) => new Manifest(b.stack, 'M', { manifest: { apiVersion: 'v1', kind: 'Service', metadata: meta('m'), spec: '${jsondecode(file("svc.json"))}' as never } }),
    /^REV-2\[kubernetes_manifest\.M\]$/,
  ],
  [
    'a for_each Service whose type is each.value',
    (b) => new ServiceV1(b.stack, 'Fe', { metadata: meta('fe'), spec: { type: '${each.value}', selector: { app: 'x' }, port: [{ port: 8883 }] } }).addOverride('for_each', { a: 'NodePort' }),
    /^REV-2\[kubernetes_service_v1\.Fe\]$/,
  ],
  [
    'broker config replaced by an expression through a ConfigMap patch',
    (b) => new ConfigMapV1Data(b.stack, 'P', { metadata: meta('mosquitto-config'), force: true, data: { 'mosquitto.conf': '${file("open.conf")}' } }),
    /^REV-2\[kubernetes_config_map_v1_data\.P\]$/,
  ],
  [
    'egress to 0.0.0.0/1 + 128.0.0.0/1 (the whole IPv4 internet)',
    (b) =>
      new NetworkPolicyV1(b.stack, 'Eg', {
        metadata: meta('eg'),
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/1' } }, { ipBlock: { cidr: '128.0.0.0/1' } }] }] },
      }),
    /^NET-1\[eg:egress-0\]$/,
  ],
  [
    'ingress from namespaceSelector kubernetes.io/metadata.name Exists (every namespace)',
    (b) =>
      new NetworkPolicyV1(b.stack, 'Ns', {
        metadata: meta('ns-exists'),
        spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'Exists' }] } }] }] },
      }),
    /^NET-2\[ns-exists:every-namespace\]$/,
  ],
  [
    'ingress from namespaceSelector NotIn [kube-system]',
    (b) =>
      new NetworkPolicyV1(b.stack, 'Ns2', {
        metadata: meta('ns-notin'),
        spec: {
          podSelector: {},
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] } }] }],
        },
      }),
    /^NET-2\[ns-notin:every-namespace\]$/,
  ],
  [
    'deprecated `port 1883` (Mosquitto 2.0.21 opens it on every address) via ConfigMap patch',
    (b) => new ConfigMapV1Data(b.stack, 'P', { metadata: meta('mosquitto-config'), force: true, data: { 'mosquitto.conf': `${b.conf()}\nport 1883\n` } }),
    /^TLS-1\[listener:1883\]$/,
  ],
  [
    'include_dir (Mosquitto reads files the audit does not)',
    (b) =>
      new ConfigMapV1Data(b.stack, 'P', {
        metadata: meta('mosquitto-config'),
        force: true,
        data: { 'mosquitto.conf': `${b.conf()}\ninclude_dir /mosquitto/config\n`, 'z.conf': 'listener 1883\nallow_anonymous true\n' },
      }),
    /^REV-2\[mosquitto:include_dir\]$/,
  ],
];

describe('attack 2: what the audit could not see is a finding', () => {
  it('the base is compliant (its own ConfigMap holds no Terraform expression)', () => assert.deepEqual(open(base().stack), []));
  for (const [name, attack, finding] of ATTACKS) {
    it(name, () => {
      const b = base();
      attack(b);
      const got = open(b.stack);
      assert.ok(
        got.some((f) => finding.test(f)),
        `expected ${finding}; open: ${got.join(', ')}`,
      );
    });
  }
});

describe("the kit's ConfigMap files are Terraform literals", () => {
  it('no `${` or `%{` reaches Terraform unescaped, and the audit reads the script back exactly', () => {
    const b = base();
    const json = b.stack.toTerraform();
    for (const [type, byId] of Object.entries<any>(json.resource))
      for (const [id, r] of Object.entries<any>(byId)) if (type.startsWith('kubernetes_')) assert.deepEqual(computedFields(r), [], `${type}.${id}`);
    const cm = k8sObjects(json).find((o) => o.kind === 'ConfigMap')!;
    const script = configMapFiles(cm)['fortress-auth.sh']!;
    assert.match(script, /: "\$\{FORTRESS_PLAIN:\?\}"/);
    assert.doesNotMatch(script, /\$\$\{/);
  });
});
