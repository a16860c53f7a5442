import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { k8sObjectsOf } from '../../constructs/k8s/resources.js';
import { validateK8sObject } from '../../constructs/k8s/objects.js';
import { minimalBrokerProps, synth } from '../helpers/synth.js';

/** Leaf values of an object as strings, counted; modes in the provider's octal notation. */
function leaves(v: unknown, key = '', out = new Map<string, number>()): Map<string, number> {
  if (Array.isArray(v)) v.forEach((x) => leaves(x, key, out));
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (k !== '//' && k !== 'depends_on') leaves(x, k, out);
  } else if (v !== undefined) {
    const s = (key === 'defaultMode' || key === 'mode') && typeof v === 'number' ? '0' + v.toString(8) : String(v);
    out.set(s, (out.get(s) ?? 0) + 1);
  }
  return out;
}

describe('Kubernetes objects -> typed provider resources', () => {
  const variants = {
    default: minimalBrokerProps(),
    loadBalancer: minimalBrokerProps({ service: { type: 'LoadBalancer', loadBalancerSourceRanges: ['10.20.0.0/16', '10.30.0.0/16'] }, allowFrom: [{ namespace: 'a', podLabels: { app: 'x' } }, { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }, { namespaceLabels: { team: 'iot' } }] }),
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
        const want = leaves({ ...o.object, apiVersion: undefined, kind: undefined });
        const got = leaves(o.via === 'manifest' ? res.manifest : res);
        for (const [leaf, n] of want) {
          assert.ok((got.get(leaf) ?? 0) >= n, `${o.object.kind} ${o.object.metadata.name}: leaf ${JSON.stringify(leaf)} x${n} missing after mapping (got x${got.get(leaf) ?? 0})`);
        }
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
