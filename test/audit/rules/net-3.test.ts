import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { awsBase, evaluate, k8sBase, openFindings, openRules } from './kit.js';

describe('NET-3: private networking', () => {
  it('compliant: the base stacks', () => {
    for (const stack of [k8sBase().stack, awsBase()]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'NET-3'), []);
    }
  });
  it('AWS: a VPC without flow logs', () => {
    const s = awsBase();
    new Vpc(s, 'Vpc', { cidrBlock: '10.0.0.0/16' });
    const r = evaluate(s);
    assert.deepEqual(openRules(r), ['NET-3']);
    assert.ok(openFindings(r, 'NET-3').includes('NET-3[Vpc:flow-logs]'), openFindings(r, 'NET-3').join(', '));
  });
});
