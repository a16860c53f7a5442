/** The IAM role the external-secrets controller reads a CredentialStore's secrets with. */
import type * as P_eks_pod_identity_association from '@cdktf/provider-aws/lib/eks-pod-identity-association/index.js';
import type * as P_iam_role from '@cdktf/provider-aws/lib/iam-role/index.js';
import type { Construct } from 'constructs';
import { policyDocument, type Statement } from '../aws/iam.js';
import { providerModule } from '../core/provider-module.js';
import type { SecretsReader } from './store-props.js';

const { EksPodIdentityAssociation } = providerModule<typeof P_eks_pod_identity_association>('@cdktf/provider-aws/lib/eks-pod-identity-association/index.js');
const { IamRole } = providerModule<typeof P_iam_role>('@cdktf/provider-aws/lib/iam-role/index.js');
type IamRole = P_iam_role.IamRole;

export function readerRole(scope: Construct, name: string, r: SecretsReader, tags: Record<string, string>): IamRole {
  if (r.kind === 'assumed-by-role') {
    // sts:TagSession: Pod Identity sessions carry session tags that may pass on to the chained session.
    return new IamRole(scope, 'ReaderRole', {
      name: `${name}-secrets-reader`,
      description: "assumed by the external-secrets controller role to read this broker's MQTT passwords",
      assumeRolePolicy: policyDocument([{ Effect: 'Allow', Principal: { AWS: r.roleArn }, Action: ['sts:AssumeRole', 'sts:TagSession'] }]),
      tags,
    });
  }
  const ns = r.namespace ?? 'external-secrets';
  const sa = r.serviceAccount ?? 'external-secrets';
  const trust: Statement =
    r.kind === 'pod-identity'
      ? {
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: { StringEquals: { 'aws:RequestTag/eks-cluster-name': r.clusterName, 'aws:RequestTag/kubernetes-namespace': ns, 'aws:RequestTag/kubernetes-service-account': sa } },
        }
      : {
          Effect: 'Allow',
          Principal: { Federated: r.oidcProviderArn },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { [`${r.oidcIssuer}:sub`]: `system:serviceaccount:${ns}:${sa}`, [`${r.oidcIssuer}:aud`]: 'sts.amazonaws.com' } },
        };
  const role = new IamRole(scope, 'ReaderRole', {
    name: `${name}-secrets-reader`,
    description: `external-secrets (${ns}/${sa}) reads the MQTT passwords`,
    assumeRolePolicy: policyDocument([trust]),
    tags,
  });
  if (r.kind === 'pod-identity') {
    new EksPodIdentityAssociation(scope, 'ReaderPodIdentity', { clusterName: r.clusterName, namespace: ns, serviceAccount: sa, roleArn: role.arn, tags });
  }
  return role;
}
