/**
 * VPC endpoint policies (pure): what may pass through each endpoint of the brokers' VPC. Without
 * one, an endpoint allows every principal of every account to every resource, so a pod holding
 * someone else's credentials could copy data to their bucket or secret through it: the point of
 * a VPC without NAT would be lost. Each policy allows only this account's principals (or this
 * organization's, `aws:PrincipalOrgID`) to reach this account's resources, plus the few
 * AWS-owned resources the cluster needs, each named below with where it was checked.
 *
 * Condition keys (IAM User Guide, "AWS global condition context keys",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):
 * - `aws:PrincipalAccount`: in the request context of every request, anonymous ones included.
 * - `aws:PrincipalOrgID`: present only when the principal belongs to an organization.
 * - `aws:ResourceAccount`: "always included ... for most service actions"; the page lists the
 *   exceptions: all Amazon EBS actions and some EC2 ones (CreateVolume, CopySnapshot,
 *   CreateVpcEndpoint, peering). The EC2 endpoint therefore tests it with `...IfExists` (the EBS
 *   CSI driver calls CreateVolume through it); every other endpoint with a plain StringEquals.
 * Data-perimeter patterns follow aws-samples/data-perimeter-policy-examples
 * (vpc_endpoint_policies/, service_owned_resources.md).
 */
import type { Statement } from '../aws/iam.js';

export interface EndpointPolicyContext {
  readonly partition: string;
  readonly region: string;
  /** This account's id (a token is fine). */
  readonly account: string;
  /** Allow principals of this organization instead of this account only. @default - this account */
  readonly organizationId?: string;
}

/**
 * Endpoints whose service rejects or ignores endpoint policies. The Amazon EKS User Guide
 * (security-eks.adoc, "Considerations for Amazon EKS", awsdocs/amazon-eks-user-guide as of
 * December 2024) says "VPC endpoint policies are not supported for Amazon EKS"; `eks-auth` (EKS
 * Pod Identity) is documented on the same page without a policy. The current page recommends
 * endpoint policies for `eks`, which could not be confirmed here: these two stay without one
 * (the report says so) until `aws ec2 describe-vpc-endpoint-services` shows
 * `VpcEndpointPolicySupported: true` for them.
 */
export const NO_ENDPOINT_POLICY = ['eks', 'eks-auth'] as const;

/**
 * ECR image pulls, allowed for this account's principals from any registry: the EKS add-ons'
 * images (VPC CNI, CoreDNS, kube-proxy, Pod Identity agent) live in AWS-owned registries whose
 * account differs by region (EKS User Guide, add-ons-images.adoc, e.g. 602401143452 in
 * eu-west-1, 877085696533 in af-south-1). Pulls carry no data out; pushes (PutImage,
 * UploadLayerPart, ...) stay limited to this account's repositories.
 */
export const ECR_PULL_ACTIONS = ['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'] as const;

export function endpointPolicyStatements(service: string, c: EndpointPolicyContext): Statement[] | undefined {
  if ((NO_ENDPOINT_POLICY as readonly string[]).includes(service)) return undefined;
  const principal = c.organizationId ? { 'aws:PrincipalOrgID': c.organizationId } : { 'aws:PrincipalAccount': c.account };
  const own: Statement =
    service === 'ec2'
      ? {
          Sid: 'OwnPrincipalsOwnResources',
          Effect: 'Allow',
          Principal: '*',
          Action: '*',
          Resource: '*',
          Condition: { StringEquals: principal, StringEqualsIfExists: { 'aws:ResourceAccount': c.account } },
        }
      : { Sid: 'OwnPrincipalsOwnResources', Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: { StringEquals: { ...principal, 'aws:ResourceAccount': c.account } } };
  const extra: Statement[] = [];
  if (service === 'ecr.api' || service === 'ecr.dkr') {
    extra.push({ Sid: 'OwnPrincipalsPullImages', Effect: 'Allow', Principal: '*', Action: [...ECR_PULL_ACTIONS], Resource: '*', Condition: { StringEquals: principal } });
  }
  if (service === 's3') {
    // ECR keeps image layers in an AWS-owned bucket per region and hands the client a presigned
    // URL signed by an ECR account, so no principal condition can hold here (ECR User Guide,
    // "Minimum Amazon S3 Bucket Permissions for Amazon ECR"; data-perimeter-policy-examples
    // service_owned_resources.md: arn:aws:s3:::prod-<region>-starport-layer-bucket/*).
    extra.push({ Sid: 'EcrImageLayers', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:${c.partition}:s3:::prod-${c.region}-starport-layer-bucket/*` });
  }
  if (service === 'sts') {
    // IRSA: AssumeRoleWithWebIdentity is signed by no AWS principal (the web identity token is
    // the credential), so only the role it assumes can be tied to this account.
    extra.push({
      Sid: 'WebIdentityIntoOwnRoles',
      Effect: 'Allow',
      Principal: '*',
      Action: 'sts:AssumeRoleWithWebIdentity',
      Resource: '*',
      Condition: { StringEquals: { 'aws:ResourceAccount': c.account } },
    });
  }
  return [own, ...extra];
}
