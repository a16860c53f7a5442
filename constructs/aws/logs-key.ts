/**
 * A customer-managed KMS key (with rotation) for a CloudWatch Logs group: the account administers
 * it through IAM, and CloudWatch Logs may use it only for that log group. The account and
 * partition come from an ARN known at apply time (`arnForAccount`), so no data source calls AWS
 * at plan time.
 */

import type * as P_kms_key from '@cdktf/provider-aws/lib/kms-key/index.js';
import { Fn } from 'cdktf';
import type { Construct } from 'constructs';
import { providerModule } from '../core/provider-module.js';
import { policyDocument, type Statement } from './iam.js';

const { KmsKey } = providerModule<typeof P_kms_key>('@cdktf/provider-aws/lib/kms-key/index.js');
type KmsKey = P_kms_key.KmsKey;

export interface LogsKeyProps {
  readonly description: string;
  readonly region: string;
  /** The log group the key encrypts. */
  readonly logGroupName: string;
  /** Any ARN of this account (e.g. a role's), to derive account and partition. */
  readonly arnForAccount: string;
  readonly tags?: Record<string, string>;
}

export function accountOf(arn: string): { account: string; partition: string } {
  return { account: Fn.element(Fn.split(':', arn), 4), partition: Fn.element(Fn.split(':', arn), 1) };
}

export function logsKeyStatements(p: Pick<LogsKeyProps, 'region' | 'logGroupName' | 'arnForAccount'>, sid: string): Statement[] {
  const { account, partition } = accountOf(p.arnForAccount);
  return [
    { Sid: 'AccountAdministersKeyThroughIam', Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
    {
      Sid: sid,
      Effect: 'Allow',
      Principal: { Service: `logs.${p.region}.amazonaws.com` },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${p.region}:${account}:log-group:${p.logGroupName}` } },
    },
  ];
}

export function logsKey(scope: Construct, id: string, p: LogsKeyProps & { sid: string; extraStatements?: readonly Statement[] }): KmsKey {
  return new KmsKey(scope, id, {
    description: p.description,
    enableKeyRotation: true,
    rotationPeriodInDays: 365,
    deletionWindowInDays: 30,
    policy: policyDocument([...logsKeyStatements(p, p.sid), ...(p.extraStatements ?? [])]),
    ...(p.tags ? { tags: p.tags } : {}),
  });
}
