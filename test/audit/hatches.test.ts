/**
 * Escape hatches (baseline REV-2): the same unsafe object written as a typed `_v1` resource, a
 * legacy unversioned one, a kubernetes_manifest, a patch resource or an override yields its
 * finding, and the exposure diff against the compliant base shows it. Table-driven: one row per
 * hatch, each with the finding key and the diff line it must produce.
 */

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigMap } from '@cdktf/provider-kubernetes/lib/config-map/index.js';
import { ConfigMapV1Data } from '@cdktf/provider-kubernetes/lib/config-map-v1-data/index.js';
import { Daemonset } from '@cdktf/provider-kubernetes/lib/daemonset/index.js';
import { Labels } from '@cdktf/provider-kubernetes/lib/labels/index.js';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest/index.js';
import { NetworkPolicy } from '@cdktf/provider-kubernetes/lib/network-policy/index.js';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1/index.js';
import { Pod } from '@cdktf/provider-kubernetes/lib/pod/index.js';
import { PodV1 } from '@cdktf/provider-kubernetes/lib/pod-v1/index.js';
import { Service } from '@cdktf/provider-kubernetes/lib/service/index.js';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1/index.js';
import { TerraformResource, type TerraformStack } from 'cdktf';
import { diffExposure, renderDiff } from '../../constructs/audit/diff.js';
import { type AuditResult, evaluate } from '../../constructs/audit/engine.js';
import { exposureOf } from '../../constructs/audit/exposure.js';
import { renderReport } from '../../constructs/audit/report.js';
import * as view from '../../constructs/audit/view.js';
import { diffAccess, renderAccessDiff } from '../../constructs/review/access-diff.js';
import { accessOf } from '../../constructs/review/access-model.js';
import { compliantK8sStack } from '../helpers/audit-base.js';

const FAKE_DIGEST = `sha256:${'cd'.repeat(32)}`; // test fixture only
const IMAGE = `busybox:1.37@${FAKE_DIGEST}`;

interface Base {
  stack: TerraformStack;
  res: (type: string, name?: string) => TerraformResource;
  /** Rewrites a top-level key of a resource's resolved config (an override, as users write them). */
  patch: (r: TerraformResource, key: string, fn: (v: any) => void) => void;
}

function base(): Base {
  const { stack } = compliantK8sStack();
  const res = (type: string, id?: string) => stack.node.findAll().find((c) => (c as any).terraformResourceType === type && (!id || c.node.id === id)) as TerraformResource;
  const patch = (r: TerraformResource, key: string, fn: (v: any) => void) => {
    const cfg = stack.toTerraform().resource[r.terraformResourceType][stack.getLogicalId(r)];
    const v = structuredClone(cfg[key]);
    fn(v);
    r.addOverride(key, v);
  };
  return { stack, res, patch };
}

const broker = (spec: any) => spec.template.spec.container.find((c: any) => c.name === 'mosquitto');
const meta = (name: string) => ({ name, namespace: 'mqtt' });
const privileged = { privileged: true };
const appSel = { 'app.kubernetes.io/name': 'mosquitto' };

/** [name, hatch, finding key that must be open, diff line that must appear] */
const HATCHES: [string, (b: Base) => void, string, RegExp][] = [
  [
    'allow-all ingress NetworkPolicy as the legacy typed kubernetes_network_policy',
    (b) => new NetworkPolicy(b.stack, 'AllowAll', { metadata: meta('allow-all'), spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] } }),
    'NET-1[allow-all:ingress-0]',
    /\*\*network\*\*: NetworkPolicy mqtt\/allow-all admits any source on all ports/,
  ],
  [
    'allow-all ingress NetworkPolicy as kubernetes_manifest (caught before)',
    (b) =>
      new Manifest(b.stack, 'AllowAllManifest', {
        manifest: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('allow-all-m'), spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] } },
      }),
    'NET-1[allow-all-m:ingress-0]',
    /\*\*network\*\*: NetworkPolicy mqtt\/allow-all-m admits any source on all ports/,
  ],
  [
    'egress-all NetworkPolicy (kubernetes_network_policy_v1)',
    (b) => new NetworkPolicyV1(b.stack, 'EgressAll', { metadata: meta('egress-all'), spec: { podSelector: {}, egress: [{}], policyTypes: ['Egress'] } }),
    'NET-1[egress-all:egress-0]',
    /\*\*finding\*\*: new finding NET-1\\\[egress-all:egress-0\\\]/,
  ],
  [
    'egress to 0.0.0.0/0 as the legacy kubernetes_network_policy',
    (b) => new NetworkPolicy(b.stack, 'EgressWorld', { metadata: meta('egress-world'), spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }], policyTypes: ['Egress'] } }),
    'NET-1[egress-world:egress-0]',
    /\*\*finding\*\*: new finding NET-1\\\[egress-world:egress-0\\\]/,
  ],
  [
    'kubernetes_config_map_v1_data (force) adding an anonymous plaintext 1883 listener',
    (b) => {
      const conf = b.stack.toTerraform().resource.kubernetes_config_map_v1[b.stack.getLogicalId(b.res('kubernetes_config_map_v1'))].data['mosquitto.conf'];
      new ConfigMapV1Data(b.stack, 'ConfPatch', { metadata: meta('mosquitto-config'), force: true, data: { 'mosquitto.conf': `${conf}\nlistener 1883\nallow_anonymous true\n` } });
    },
    'AUTH-1[listener:1883]',
    /\*\*TLS\*\*: new listener mqtt\/mosquitto:1883 bound to all addresses, plaintext/,
  ],
  [
    'kubernetes_config_map_v1_data giving sensor-0001 `topic readwrite #`',
    (b) => {
      const acl = b.stack.toTerraform().resource.kubernetes_config_map_v1[b.stack.getLogicalId(b.res('kubernetes_config_map_v1'))].data.acl;
      new ConfigMapV1Data(b.stack, 'AclPatch', { metadata: meta('mosquitto-config'), force: true, data: { acl: acl.replace('user sensor-0001', 'user sensor-0001\ntopic readwrite #') } });
    },
    'ACL-2[sensor-0001:#]',
    /`sensor-0001` on `mqtt\/mosquitto` \(stack `k8s`\) may now (publish to|subscribe to and receive) `#`/,
  ],
  [
    'ConfigMap override: plaintext listener (caught before)',
    (b) => b.patch(b.res('kubernetes_config_map_v1'), 'data', (d) => (d['mosquitto.conf'] += '\nlistener 1883\nallow_anonymous false\nmax_connections 10\n')),
    'TLS-1[listener:1883]',
    /\*\*TLS\*\*: new listener mqtt\/mosquitto:1883 bound to all addresses, plaintext/,
  ],
  [
    'ConfigMap override: allow_anonymous true (caught before)',
    (b) => b.patch(b.res('kubernetes_config_map_v1'), 'data', (d) => (d['mosquitto.conf'] = d['mosquitto.conf'].replace('allow_anonymous false', 'allow_anonymous true'))),
    'AUTH-1[listener:8883]',
    /\*\*TLS\*\*: mqtt\/mosquitto:8883: anonymous access now allowed/,
  ],
  [
    'legacy unversioned kubernetes_config_map carrying a second broker config with plaintext 1883',
    (b) => new ConfigMap(b.stack, 'Legacy', { metadata: meta('shadow-config'), data: { 'mosquitto.conf': 'per_listener_settings true\nlistener 1883\nallow_anonymous true\n' } }),
    'TLS-1[listener:1883]',
    /\*\*TLS\*\*: new listener mqtt\/shadow:1883 bound to all addresses, plaintext/,
  ],
  [
    'NodePort Service (kubernetes_service_v1)',
    (b) => new ServiceV1(b.stack, 'NodePort', { metadata: meta('mqtt-node'), spec: { type: 'NodePort', selector: appSel, port: [{ port: 8883, targetPort: '8883', nodePort: 30883 }] } }),
    'NET-2[mqtt-node:node-port]',
    /\*\*endpoint\*\*: new endpoint mqtt\/mqtt-node node ports \(NodePort\) on 30883/,
  ],
  [
    "the kit's Service turned into a NodePort by an override",
    (b) => b.res('kubernetes_service_v1', 'Service-mosquitto').addOverride('spec.type', 'NodePort'),
    'NET-2[mosquitto:node-port]',
    /\*\*endpoint\*\*: new endpoint mqtt\/mosquitto node ports \(NodePort\) on 8883/,
  ],
  [
    "externalIPs on the kit's Service",
    (b) => b.res('kubernetes_service_v1', 'Service-mosquitto').addOverride('spec.external_ips', ['203.0.113.10']),
    'NET-2[mosquitto:external-ips]',
    /\*\*endpoint\*\*: new endpoint mqtt\/mosquitto external IPs 203\.0\.113\.10 \(externalIPs\) on 8883/,
  ],
  [
    'legacy kubernetes_service LoadBalancer without source ranges',
    (b) => new Service(b.stack, 'Lb', { metadata: meta('mqtt-lb'), spec: { type: 'LoadBalancer', selector: appSel, port: [{ port: 8883, targetPort: '8883' }] } }),
    'NET-2[mqtt-lb:no-source-ranges]',
    /\*\*endpoint\*\*: new endpoint mqtt\/mqtt-lb \(LoadBalancer\) on 8883, default load balancer from every address/,
  ],
  [
    "hostPort on the broker's container",
    (b) => b.patch(b.res('kubernetes_stateful_set_v1'), 'spec', (s) => (broker(s).port[0].host_port = 8883)),
    'NET-2[mosquitto/mosquitto:host-port-8883]',
    /\*\*endpoint\*\*: new endpoint mqtt\/mosquitto\/mosquitto host ports \(hostPort\) on 8883/,
  ],
  [
    'hostIPC on the broker pod',
    (b) => b.patch(b.res('kubernetes_stateful_set_v1'), 'spec', (s) => (s.template.spec.host_ipc = true)),
    'POD-1[mosquitto:pod]',
    /\*\*finding\*\*: new finding POD-1\\\[mosquitto:pod\\\]/,
  ],
  [
    'hostNetwork on the broker pod',
    (b) => b.patch(b.res('kubernetes_stateful_set_v1'), 'spec', (s) => (s.template.spec.host_network = true)),
    'NET-2[mosquitto:host-network]',
    /\*\*endpoint\*\*: new endpoint mqtt\/mosquitto host network \(hostNetwork\) on 8883/,
  ],
  [
    'privileged Pod as kubernetes_manifest',
    (b) =>
      new Manifest(b.stack, 'PodManifest', {
        manifest: { apiVersion: 'v1', kind: 'Pod', metadata: meta('debug-m'), spec: { containers: [{ name: 'sh', image: IMAGE, securityContext: privileged }] } },
      }),
    'POD-1[debug-m/sh]',
    /\*\*finding\*\*: new finding POD-1\\\[debug-m\/sh\\\]/,
  ],
  [
    'privileged Pod as kubernetes_pod_v1',
    (b) => new PodV1(b.stack, 'PodV1', { metadata: meta('debug-v1'), spec: { container: [{ name: 'sh', image: IMAGE, securityContext: privileged }] } }),
    'POD-1[debug-v1/sh]',
    /\*\*finding\*\*: new finding POD-1\\\[debug-v1\/sh\\\]/,
  ],
  [
    'legacy kubernetes_pod sharing the host PID namespace',
    (b) => new Pod(b.stack, 'PodLegacy', { metadata: meta('debug-legacy'), spec: { hostPid: true, container: [{ name: 'sh', image: IMAGE }] } }),
    'POD-1[debug-legacy:pod]',
    /\*\*finding\*\*: new finding POD-1\\\[debug-legacy:pod\\\]/,
  ],
  [
    'legacy kubernetes_daemonset binding host port 1883',
    (b) =>
      new Daemonset(b.stack, 'Ds', {
        metadata: meta('relay'),
        spec: {
          selector: { matchLabels: { app: 'relay' } },
          template: { metadata: { labels: { app: 'relay' } }, spec: { container: [{ name: 'relay', image: IMAGE, port: [{ containerPort: 1883, hostPort: 1883 }] }] } },
        },
      }),
    'NET-2[relay/relay:host-port-1883]',
    /\*\*endpoint\*\*: new endpoint mqtt\/relay\/relay host ports \(hostPort\) on 1883/,
  ],
  [
    'privileged CronJob as kubernetes_manifest',
    (b) =>
      new Manifest(b.stack, 'Cron', {
        manifest: {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: meta('nightly'),
          spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: IMAGE, securityContext: privileged }] } } } } },
        },
      }),
    'POD-1[nightly/job]',
    /\*\*finding\*\*: new finding POD-1\\\[nightly\/job\\\]/,
  ],
  [
    'ReplicaSet on the host network as kubernetes_manifest',
    (b) =>
      new Manifest(b.stack, 'Rs', {
        manifest: {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: meta('rs'),
          spec: {
            selector: { matchLabels: { app: 'rs' } },
            template: { metadata: { labels: { app: 'rs' } }, spec: { hostNetwork: true, containers: [{ name: 'rs', image: IMAGE, ports: [{ containerPort: 8080 }] }] } },
          },
        },
      }),
    'NET-2[rs:host-network]',
    /\*\*endpoint\*\*: new endpoint mqtt\/rs host network \(hostNetwork\) on 8080/,
  ],
  [
    'kubernetes_labels relaxing the namespace to Pod Security privileged',
    (b) => new Labels(b.stack, 'Relabel', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mqtt' }, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' }, force: true }),
    'POD-1[ns:mqtt]',
    /\*\*finding\*\*: new finding POD-1\\\[ns:mqtt\\\]/,
  ],
  [
    'a Kubernetes resource type the audit does not know',
    (b) => new TerraformResource(b.stack, 'Future', { terraformResourceType: 'kubernetes_gateway_v9' }),
    'REV-2[kubernetes_gateway_v9.Future]',
    /\*\*finding\*\*: new finding REV-2\\\[kubernetes\\_gateway\\_v9\.Future\\\]/,
  ],
  [
    'a manifest of a kind the audit does not read',
    (b) =>
      new Manifest(b.stack, 'Gw', {
        manifest: {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'Gateway',
          metadata: meta('gw'),
          spec: { gatewayClassName: 'public', listeners: [{ name: 'mqtt', port: 1883, protocol: 'TCP' }] },
        },
      }),
    'REV-2[kubernetes_manifest.Gw]',
    /\*\*finding\*\*: new finding REV-2\\\[kubernetes\\_manifest\.Gw\\\]/,
  ],
  [
    'another provider that applies raw YAML (kubectl_manifest)',
    (b) => new TerraformResource(b.stack, 'Kubectl', { terraformResourceType: 'kubectl_manifest' }).addOverride('yaml_body', 'kind: Service'),
    'REV-2[kubectl_manifest.Kubectl]',
    /\*\*finding\*\*: new finding REV-2\\\[kubectl\\_manifest\.Kubectl\\\]/,
  ],
];

const open = (a: AuditResult) => a.rows.filter((r) => r.status === 'non-compliant' && !r.suppressed).map((r) => r.finding!);

describe('escape hatches: each yields its finding and its line in the exposure diff', () => {
  assert.ok(HATCHES.length >= 15);
  for (const [name, hatch, finding, line] of HATCHES) {
    it(name, () => {
      const b = base();
      const before = b.stack.toTerraform();
      const auditBefore = evaluate(b.stack, undefined, before);
      assert.deepEqual(open(auditBefore), [], 'the base is compliant');
      hatch(b);
      const after = b.stack.toTerraform();
      const auditAfter = evaluate(b.stack, undefined, after);
      assert.ok(open(auditAfter).includes(finding), `${finding} is open; open findings: ${open(auditAfter).join(', ')}`);
      // Exposure changes, and what each identity may do (compared by meaning: the access diff).
      const md = `${renderDiff('k8s', diffExposure(exposureOf('k8s', before), exposureOf('k8s', after), auditBefore, auditAfter))}${renderAccessDiff(diffAccess('k8s', accessOf('k8s', before), accessOf('k8s', after)))}`;
      assert.match(md, line);
      assert.match(md, /### Widens exposure|### Access gained/);
    });
  }
});

describe('the report never calls a node-reachable endpoint in-cluster only', () => {
  it('NodePort, externalIPs, hostPort and hostNetwork rows say who can reach them', () => {
    const b = base();
    HATCHES.find(([n]) => n.startsWith('NodePort Service'))![1](b);
    HATCHES.find(([n]) => n.startsWith('externalIPs'))![1](b);
    HATCHES.find(([n]) => n.startsWith("hostPort on the broker's"))![1](b);
    HATCHES.find(([n]) => n.startsWith('ReplicaSet on the host network'))![1](b);
    const json = b.stack.toTerraform();
    const md = renderReport(exposureOf('k8s', json), evaluate(b.stack, undefined, json));
    const rows = md.split('\n').filter((l) => /^\| mqtt\//.test(l) && / \| (NodePort|externalIPs|hostPort|hostNetwork) \| /.test(l));
    assert.equal(rows.length, 5, md);
    for (const r of rows) {
      assert.doesNotMatch(r, /in-cluster only/);
      assert.match(r, /every address/);
    }
    assert.match(md, /\| mqtt\/mqtt-node \| NodePort \| 8883 \| - \| \*\*in-cluster, and every address that reaches a node on its node ports\*\* \|/);
  });
});

describe('the view knows every resource type of the Kubernetes provider', () => {
  it('each resource type of @cdktf/provider-kubernetes (from node_modules) is classified', () => {
    const require = createRequire(import.meta.url);
    const lib = join(dirname(require.resolve('@cdktf/provider-kubernetes/package.json')), 'lib');
    const types = readdirSync(lib, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('data-') && d.name !== 'provider')
      .map((d) => /tfResourceType = "([a-z0-9_]+)"/.exec(readFileSync(join(lib, d.name, 'index.js'), 'utf8'))?.[1])
      .filter((t): t is string => Boolean(t));
    assert.ok(types.length >= 80, `${types.length} resource types`);
    const known: Record<string, unknown> = (view as { K8S_RESOURCE_TYPES?: Record<string, unknown> }).K8S_RESOURCE_TYPES ?? {};
    assert.deepEqual(
      types.filter((t) => !known[t]),
      [],
    );
    assert.deepEqual(
      Object.keys(known).filter((t) => !types.includes(t)),
      [],
      'no type the provider does not have',
    );
  });
});
