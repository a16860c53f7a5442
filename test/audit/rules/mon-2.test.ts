import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster/index.js';
import { awsBase, emqxBase, evaluate, k8sBase, openFindings, openRules, patch } from './kit.js';

describe('MON-2: alerts on the broker', () => {
  it('compliant: the base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack, awsBase()]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'MON-2'), []);
    }
  });
  it('Mosquitto: the PrometheusRule in another namespace', () => {
    const b = k8sBase();
    patch(b.stack, b.res('kubernetes_manifest', 'PrometheusRule'), 'manifest', (m) => (m.metadata.namespace = 'elsewhere'));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['MON-2']);
    assert.ok(openFindings(r, 'MON-2').includes('MON-2[mosquitto:rules]'), openFindings(r, 'MON-2').join(', '));
  });
  it('EMQX: the PrometheusRule in another namespace', () => {
    const e = emqxBase();
    patch(e.stack, e.res('kubernetes_manifest', 'PrometheusRule'), 'manifest', (m) => (m.metadata.namespace = 'elsewhere'));
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['MON-2']);
    assert.ok(openFindings(r, 'MON-2').includes('MON-2[emqx:emqx]'), openFindings(r, 'MON-2').join(', '));
  });
  it('AWS: an EKS cluster without the authentication-failure alarm', () => {
    const s = awsBase();
    new EksCluster(s, 'Eks', { name: 'c', roleArn: 'arn:aws:iam::123456789012:role/x', vpcConfig: { subnetIds: ['subnet-0123456789abcdef0'], endpointPublicAccess: false } });
    const r = evaluate(s);
    assert.deepEqual(openRules(r), ['MON-2']);
  });
});
