/**
 * The resource policy of every MQTT credential secret (pure). Three groups of Secrets Manager
 * actions, each denied to every principal but the one that needs it, account administrators and
 * the root user included:
 *
 * - reading values (GetSecretValue, BatchGetSecretValue): only the reader and the rotation role;
 * - writing values (PutSecretValue, UpdateSecret, which accepts a SecretString,
 *   UpdateSecretVersionStage, which can make an older value current again): only the rotation role;
 * - changing the protection (the policy, tags, rotation, replication, restoring a deleted
 *   secret, deleting it without a recovery window): only the break-glass principals.
 *
 * Action list checked against the Service Authorization Reference, "Actions, resources, and
 * condition keys for AWS Secrets Manager"
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html):
 * BatchGetSecretValue, CancelRotateSecret, CreateSecret, DeleteResourcePolicy, DeleteSecret,
 * DescribeSecret, GetRandomPassword, GetResourcePolicy, GetSecretValue, ListSecretVersionIds,
 * ListSecrets, PutResourcePolicy, PutSecretValue, RemoveRegionsFromReplication,
 * ReplicateSecretToRegions, RestoreSecret, RotateSecret, StopReplicationToReplica, TagResource,
 * UntagResource, UpdateSecret, UpdateSecretVersionStage, ValidateResourcePolicy. Not denied:
 * DescribeSecret, GetResourcePolicy, ListSecretVersionIds, ListSecrets, ValidateResourcePolicy
 * (metadata, no value), GetRandomPassword and CreateSecret (no existing secret), and DeleteSecret
 * with a recovery window (Terraform destroys through it; RestoreSecret brings it back).
 * Condition keys used: aws:PrincipalArn (global, present in every signed request; the root user
 * is `arn:<partition>:iam::<account>:root`), secretsmanager:RotationLambdaARN (RotateSecret) and
 * secretsmanager:ForceDeleteWithoutRecovery (DeleteSecret), both listed for those actions in the
 * reference above.
 */
import type { Statement } from '../aws/iam.js';

export const READ_VALUE_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue'] as const;
export const WRITE_VALUE_ACTIONS = ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecret', 'secretsmanager:UpdateSecretVersionStage'] as const;
export const PROTECTION_ACTIONS = [
  'secretsmanager:PutResourcePolicy',
  'secretsmanager:DeleteResourcePolicy',
  'secretsmanager:TagResource',
  'secretsmanager:UntagResource',
  'secretsmanager:CancelRotateSecret',
  'secretsmanager:RestoreSecret',
  'secretsmanager:ReplicateSecretToRegions',
  'secretsmanager:RemoveRegionsFromReplication',
  'secretsmanager:StopReplicationToReplica',
] as const;

export interface SecretPolicyOptions {
  readonly readerRoleArn: string;
  readonly rotationRoleArn: string;
  /** The only function RotateSecret may name. */
  readonly rotationFunctionArn: string;
  /** Principals that may change the protection (policy, tags, rotation, restore). */
  readonly breakGlassPrincipalArns: readonly string[];
  /** Deletion without a recovery window is denied unless the store was built with a window of 0 days. */
  readonly allowImmediateDeletion: boolean;
}

export function secretPolicyStatements(o: SecretPolicyOptions): Statement[] {
  const only = (arns: readonly string[]) => ({ ArnNotEquals: { 'aws:PrincipalArn': [...arns] } });
  return [
    { Sid: 'OnlyReaderAndRotationReadValues', Effect: 'Deny', Principal: '*', Action: [...READ_VALUE_ACTIONS], Resource: '*', Condition: only([o.readerRoleArn, o.rotationRoleArn]) },
    { Sid: 'OnlyRotationWritesValues', Effect: 'Deny', Principal: '*', Action: [...WRITE_VALUE_ACTIONS], Resource: '*', Condition: only([o.rotationRoleArn]) },
    { Sid: 'OnlyBreakGlassChangesProtection', Effect: 'Deny', Principal: '*', Action: [...PROTECTION_ACTIONS], Resource: '*', Condition: only(o.breakGlassPrincipalArns) },
    // RotateSecret with another function would hand the values to it; without RotationLambdaARN
    // (a rotation now, with the configured function) the request is left to IAM.
    {
      Sid: 'RotateOnlyWithTheKitFunction',
      Effect: 'Deny',
      Principal: '*',
      Action: 'secretsmanager:RotateSecret',
      Resource: '*',
      Condition: { Null: { 'secretsmanager:RotationLambdaARN': 'false' }, ArnNotEquals: { 'secretsmanager:RotationLambdaARN': o.rotationFunctionArn } },
    },
    ...(o.allowImmediateDeletion
      ? []
      : [
          {
            Sid: 'OnlyBreakGlassDeletesWithoutRecovery',
            Effect: 'Deny' as const,
            Principal: '*',
            Action: 'secretsmanager:DeleteSecret',
            Resource: '*',
            Condition: { Bool: { 'secretsmanager:ForceDeleteWithoutRecovery': 'true' }, ...only(o.breakGlassPrincipalArns) },
          },
        ]),
  ];
}
