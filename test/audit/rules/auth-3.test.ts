import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TerraformResource } from 'cdktf';
import { CredentialStore } from '../../../constructs/credentials/credential-store.js';
import { examplePolicy } from '../../helpers/synth.js';
import { awsBase, evaluate, openFindings, openRules } from './kit.js';

describe('AUTH-3: credentials rotate', () => {
  it('compliant: a CredentialStore as the kit builds it', () => {
    const s = awsBase();
    new CredentialStore(s, 'Credentials', { policy: examplePolicy(), region: 'eu-west-1', reader: { kind: 'pod-identity', clusterName: 'c' } });
    assert.deepEqual(openFindings(evaluate(s), 'AUTH-3'), []);
  });
  it('AWS: passwords rotated every 120 days', () => {
    const s = awsBase();
    new CredentialStore(s, 'Credentials', { policy: examplePolicy(), region: 'eu-west-1', reader: { kind: 'pod-identity', clusterName: 'c' } });
    const rot = s.node.findAll().find((c) => (c as any).terraformResourceType === 'aws_secretsmanager_secret_rotation') as TerraformResource;
    rot.addOverride('rotation_rules.automatically_after_days', 120);
    const r = evaluate(s);
    assert.deepEqual(openRules(r), ['AUTH-3']);
  });
});
