import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1/index.js';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1/index.js';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1/index.js';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1/index.js';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1/index.js';
import { StatefulSetV1 } from '@cdktf/provider-kubernetes/lib/stateful-set-v1/index.js';
import { type App, type TerraformResource, TerraformStack, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { EmqxCluster } from '../../constructs/emqx/cluster.js';
import { validateK8sObject } from '../../constructs/k8s/objects.js';
import { kubernetesProvider } from '../../constructs/k8s/provider.js';
import { k8sObjectsOf, terraformLiteralData } from '../../constructs/k8s/resources.js';
import { toTypedConfig } from '../../constructs/k8s/to-terraform.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { minimalBrokerProps, synth } from '../helpers/synth.js';

type Ctor = new (scope: Construct, id: string, config: never) => TerraformResource;
/** The provider's generated classes: the reference the kit's lighter resources must equal. */
const GENERATED: Record<string, Ctor> = {
  kubernetes_namespace_v1: NamespaceV1 as unknown as Ctor,
  kubernetes_service_account_v1: ServiceAccountV1 as unknown as Ctor,
  kubernetes_config_map_v1: ConfigMapV1 as unknown as Ctor,
  kubernetes_service_v1: ServiceV1 as unknown as Ctor,
  kubernetes_stateful_set_v1: StatefulSetV1 as unknown as Ctor,
  kubernetes_network_policy_v1: NetworkPolicyV1 as unknown as Ctor,
};

/** Leaf values of an object as strings, counted; modes in the provider's octal notation. */
function leaves(v: unknown, key = '', out = new Map<string, number>()): Map<string, number> {
  if (Array.isArray(v)) for (const x of v) leaves(x, key, out);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (k !== '//' && k !== 'depends_on') leaves(x, k, out);
  } else if (v !== undefined) {
    const s = (key === 'defaultMode' || key === 'mode') && typeof v === 'number' ? `0${v.toString(8)}` : String(v);
    out.set(s, (out.get(s) ?? 0) + 1);
  }
  return out;
}

describe('Kubernetes objects -> typed provider resources', () => {
  const variants = {
    default: minimalBrokerProps(),
    loadBalancer: minimalBrokerProps({
      service: { type: 'LoadBalancer', loadBalancerSourceRanges: ['10.20.0.0/16', '10.30.0.0/16'] },
      allowFrom: [{ namespace: 'a', podLabels: { app: 'x' } }, { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }, { namespaceLabels: { team: 'iot' } }],
    }),
    noPersistence: minimalBrokerProps({ persistence: { enabled: false }, createNamespace: false }),
  };
  for (const [name, props] of Object.entries(variants)) {
    it(`${name}: every leaf of every object survives synthesis (cdktf drops unknown keys silently)`, () => {
      const { stack, tf } = synth((s) => new MosquittoBroker(s, 'Broker', props));
      const objs = k8sObjectsOf(stack);
      assert.ok(objs.length > 5);
      for (const o of objs) {
        validateK8sObject(o.object);
        const res = tf.resource[o.resource.terraformResourceType]?.[stack.getLogicalId(o.resource)];
        assert.ok(res, `no resource at ${o.path}`);
        const want = leaves({ ...terraformLiteralData(o.object), apiVersion: undefined, kind: undefined });
        const got = leaves(o.via === 'manifest' ? res.manifest : res);
        for (const [leaf, n] of want) {
          assert.ok((got.get(leaf) ?? 0) >= n, `${o.object.kind} ${o.object.metadata.name}: leaf ${JSON.stringify(leaf)} x${n} missing after mapping (got x${got.get(leaf) ?? 0})`);
        }
      }
    });
  }
  const emqxProps = (over: Record<string, unknown> = {}) => ({
    policy: minimalBrokerProps().policy,
    credentialsSecretName: 'emqx-credentials',
    adminSecretName: 'emqx-admin',
    tls: { secretName: 'emqx-tls', nodeSecretName: 'emqx-node-tls' },
    image: { digest: `sha256:${'a'.repeat(64)}` },
    allowFrom: [{ namespace: 'iot' }],
    ...over,
  });
  const sources: Record<string, (s: TerraformStack) => unknown> = {
    ...Object.fromEntries(Object.entries(variants).map(([n, p]) => [`mosquitto ${n}`, (s: TerraformStack) => new MosquittoBroker(s, 'Broker', p)])),
    'emqx default': (s) => new EmqxCluster(s, 'Emqx', emqxProps() as never),
    'emqx wss, certificates, one node': (s) => new EmqxCluster(s, 'Emqx', emqxProps({ replicas: 1, wssPort: 8084, tls: { secretName: 'a', nodeSecretName: 'b', clientAuth: 'certificate' } }) as never),
    'emqx certificates with revocation (CRL server)': (s) =>
      new EmqxCluster(
        s,
        'Emqx',
        emqxProps({
          tls: {
            secretName: 'a',
            nodeSecretName: 'b',
            clientAuth: 'certificate',
            revocation: { caSecretName: 'emqx-ca', revoked: [{ serial: '01', identity: 'd', reason: 'keyCompromise', revokedAt: '2026-12-02T10:00:00Z' }] },
          },
        }) as never,
      ),
  };
  for (const [name, make] of Object.entries(sources)) {
    it(`${name}: the kit's typed resources synthesize exactly what the provider's generated classes do`, () => {
      const app: App = Testing.app();
      const stack = new TerraformStack(app, 'kit');
      kubernetesProvider(stack);
      make(stack);
      const ours = JSON.parse(Testing.synth(stack));
      const ref = new TerraformStack(Testing.app(), 'reference');
      kubernetesProvider(ref);
      const typed = k8sObjectsOf(stack).filter((o) => o.via === 'typed');
      assert.ok(typed.length >= 5);
      const pairs = typed.map((o, i) => {
        const type = o.resource.terraformResourceType;
        const r = new GENERATED[type]!(ref, `r${i}`, toTypedConfig(terraformLiteralData(o.object)) as never);
        return { o, type, r };
      });
      const theirs = JSON.parse(Testing.synth(ref));
      const strip = (x: any) => Object.fromEntries(Object.entries(x).filter(([k]) => k !== '//' && k !== 'depends_on'));
      for (const { o, type, r } of pairs) {
        assert.deepEqual(strip(ours.resource[type][stack.getLogicalId(o.resource)]), strip(theirs.resource[type][ref.getLogicalId(r)]), `${o.object.kind} ${o.object.metadata.name}`);
      }
    });
  }
  it('the check itself catches a dropped key', () => {
    const a = leaves({ spec: { foo: 'kept', bar: 'dropped' } });
    const b = leaves({ spec: { foo: 'kept' } });
    assert.equal(b.get('dropped'), undefined);
    assert.equal(a.get('dropped'), 1);
  });
});

describe('schema validation cache', () => {
  it('never remembers a failure: a broken object fails every time, a fixed one passes', () => {
    const good = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cache-probe' }, data: { a: 'b' } };
    const bad = { ...good, data: { a: 42 } } as unknown as typeof good;
    for (let i = 0; i < 3; i++) assert.throws(() => validateK8sObject(bad), /ConfigMap cache-probe does not match the Kubernetes schema/);
    validateK8sObject(good);
    validateK8sObject(good);
    assert.throws(() => validateK8sObject(bad), /does not match/);
  });
  it('an unknown kind fails closed', () => {
    assert.throws(() => validateK8sObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }), /no schema is registered for example\.com\/v1\/Widget/);
  });
});
