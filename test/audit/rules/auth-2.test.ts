import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { awsBase, evaluate, k8sBase, openFindings, openRules } from './kit.js';

describe('AUTH-2: no plaintext credential, customer-managed rotating keys', () => {
  it('compliant: the base stacks', () => {
    for (const stack of [k8sBase().stack, awsBase()]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'AUTH-2'), []);
    }
  });
  it('AWS: a KMS key without rotation', () => {
    const s = awsBase();
    new KmsKey(s, 'Key', { description: 'no rotation', enableKeyRotation: false });
    const r = evaluate(s);
    assert.deepEqual(openRules(r), ['AUTH-2']);
    assert.ok(openFindings(r, 'AUTH-2').includes('AUTH-2[Key:rotation]'), openFindings(r, 'AUTH-2').join(', '));
  });
  it('AWS: a secret under the AWS-managed key', () => {
    const s = awsBase();
    new SecretsmanagerSecret(s, 'Secret', { name: 'x' });
    const r = evaluate(s);
    assert.ok(openFindings(r, 'AUTH-2').includes('AUTH-2[Secret:kms]'), openFindings(r, 'AUTH-2').join(', '));
  });
});
