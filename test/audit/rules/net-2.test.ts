import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { awsBase, evaluate, k8sBase, openFindings, openRules, patch } from './kit.js';

describe('NET-2: firewalls admit MQTT only from declared ranges', () => {
  it('compliant: the base stacks', () => {
    for (const stack of [k8sBase().stack, awsBase()]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'NET-2'), []);
    }
  });
  it('AWS: a security group rule from 0.0.0.0/0', () => {
    const s = awsBase();
    const sg = new SecurityGroup(s, 'Sg', { name: 'open', vpcId: 'vpc-0123456789abcdef0' });
    new VpcSecurityGroupIngressRule(s, 'World', { securityGroupId: sg.id, cidrIpv4: '0.0.0.0/0', ipProtocol: 'tcp', fromPort: 8883, toPort: 8883, description: 'everyone' });
    const r = evaluate(s);
    assert.deepEqual(openRules(r), ['NET-2']);
  });
  it('Kubernetes: the broker Service turned into a NodePort', () => {
    const b = k8sBase();
    patch(b.stack, b.res('kubernetes_service_v1'), 'spec', (s) => (s.type = 'NodePort'));
    const r = evaluate(b.stack);
    assert.ok(openFindings(r, 'NET-2').includes('NET-2[mosquitto-headless:node-port]'), openFindings(r, 'NET-2').join(', '));
  });
});
