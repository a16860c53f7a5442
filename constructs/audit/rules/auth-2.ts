import { parsePolicyDocument } from '../../aws/iam.js';
import type { AuditRule, RuleRow } from '../context.js';
import { SECRET_SHAPES } from '../secrets.js';
import { bad, ok } from './helpers.js';

export const rule: AuditRule = {
  id: 'AUTH-2',
  baseline: ['AUTH-2'],
  level: 'error',
  info: 'No plaintext credential in synthesized output; secrets in Secrets Manager under a customer-managed, rotating KMS key; least-privilege IAM.',
  explanation: 'Anything in cdk.tf.json ends in Terraform state, CI logs and pull requests.',
  fix: 'Generate secrets in AWS (CredentialStore), encrypt with a KMS key with rotation, grant IAM actions by name.',
  check: (c) => {
    const rows: RuleRow[] = [];
    const text = JSON.stringify(c.json);
    for (const [name, re] of SECRET_SHAPES) rows.push(re.test(text) ? bad(c.stack, `AUTH-2[shape:${name}]`, `the synthesized stack contains a ${name}`) : ok(c.stack, `no ${name}`));
    for (const r of c.resources) {
      if (r.type === 'aws_secretsmanager_secret')
        rows.push(r.config.kms_key_id ? ok(r.path, 'encrypted with a customer-managed KMS key') : bad(r.path, `AUTH-2[${r.id}:kms]`, 'secret encrypted with the AWS-managed key'));
      if (r.type === 'aws_secretsmanager_secret_version') rows.push(bad(r.path, `AUTH-2[${r.id}:value]`, 'a secret value is written by Terraform (it lands in state and cdk.tf.json)'));
      if (r.type === 'aws_kms_key') rows.push(r.config.enable_key_rotation === true ? ok(r.path, 'key rotation on') : bad(r.path, `AUTH-2[${r.id}:rotation]`, 'KMS key rotation is off'));
      if (r.type === 'aws_iam_role_policy') {
        let wild: string[] = [];
        try {
          wild = parsePolicyDocument(r.config.policy)
            .Statement.filter((s) => s.Effect === 'Allow')
            .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action as string]))
            .filter((a) => a.includes('*'));
        } catch {
          wild = ['(unparsable policy)'];
        }
        rows.push(wild.length ? bad(r.path, `AUTH-2[${r.id}:iam]`, `IAM policy allows wildcard actions ${wild.join(', ')}`) : ok(r.path, 'IAM actions named one by one'));
      }
    }
    return rows;
  },
};
