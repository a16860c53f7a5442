/**
 * PullThroughCache: Docker Hub (and quay.io, registry.k8s.io, optionally ghcr.io) through an ECR pull-through cache, so
 * nodes in a VPC without NAT pull every image over the ECR interface endpoints (`ecr.api`,
 * `ecr.dkr`) and the S3 gateway endpoint (which serves the layers). Images keep their tag and
 * digest; only the host and path change:
 * `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/library/eclipse-mosquitto:2.0.22@sha256:...`.
 *
 * Docker Hub requires authentication for a pull-through cache rule. The credential is a Secrets
 * Manager secret whose name starts with `ecr-pullthroughcache/` (ECR only accepts that prefix),
 * created by an operator outside Terraform (its value never appears in code, state or plan);
 * this construct takes only its ARN. See docs/deploy.md.
 */

import type * as P_ecr_pull_through_cache_rule from '@cdktf/provider-aws/lib/ecr-pull-through-cache-rule/index.js';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { assertRegion } from '../aws/region.js';
import { FortressError, scoped, show } from '../core/errors.js';
import type { ImageRegistry } from '../core/image.js';
import { providerModule } from '../core/provider-module.js';

const { EcrPullThroughCacheRule } = providerModule<typeof P_ecr_pull_through_cache_rule>('@cdktf/provider-aws/lib/ecr-pull-through-cache-rule/index.js');
type EcrPullThroughCacheRule = P_ecr_pull_through_cache_rule.EcrPullThroughCacheRule;

/** Upstream registry URL of Docker Hub in a pull-through cache rule (ECR CreatePullThroughCacheRule). */
export const DOCKER_HUB_UPSTREAM = 'registry-1.docker.io';
export const QUAY_UPSTREAM = 'quay.io';
export const K8S_UPSTREAM = 'registry.k8s.io';
export const GHCR_UPSTREAM = 'ghcr.io';

export interface PullThroughCacheProps {
  readonly region: string;
  /**
   * ARN of the Secrets Manager secret with the Docker Hub credential (`{"username": ..., "accessToken": ...}`),
   * named `ecr-pullthroughcache/<anything>`, in this account and region. Created by an operator;
   * never a value in code.
   */
  readonly dockerHubCredentialArn: string;
  /** Repository prefix of the Docker Hub cache. @default 'docker-hub' */
  readonly dockerHubPrefix?: string;
  /**
   * Also cache quay.io (no credential needed) under this prefix: cert-manager and the Prometheus
   * operator publish their images there. @default 'quay'; `false` for none
   */
  readonly quayPrefix?: string | false;
  /** Also cache registry.k8s.io (no credential; kube-state-metrics and webhook helpers) under this prefix. @default 'k8s'; `false` for none */
  readonly k8sPrefix?: string | false;
  /**
   * Also cache ghcr.io (external-secrets publishes its image there) with this credential: a
   * secret `ecr-pullthroughcache/...` holding a GitHub token (read:packages), created by an
   * operator. @default - none: mirror the external-secrets image another way
   */
  readonly githubCredentialArn?: string;
  /** @default 'ghcr' */
  readonly ghcrPrefix?: string;
}

const PREFIX = /^[a-z0-9]+([._-][a-z0-9]+)*$/;

export class PullThroughCache extends Construct {
  public readonly dockerHub: EcrPullThroughCacheRule;
  public readonly quay: EcrPullThroughCacheRule | undefined;
  public readonly k8s: EcrPullThroughCacheRule | undefined;
  public readonly ghcr: EcrPullThroughCacheRule | undefined;
  /** The registry the brokers' images come from (the account id is known at apply time). */
  public readonly registry: ImageRegistry;
  /** Repository prefixes of the cache (for the node role's import permissions). */
  public readonly prefixes: readonly string[];
  public readonly quayPrefix: string | undefined;

  constructor(scope: Construct, id: string, props: PullThroughCacheProps) {
    super(scope, id);
    const dockerHubPrefix = props.dockerHubPrefix ?? 'docker-hub';
    const quayPrefix = props.quayPrefix === false ? undefined : (props.quayPrefix ?? 'quay');
    const k8sPrefix = props.k8sPrefix === false ? undefined : (props.k8sPrefix ?? 'k8s');
    const ghcrPrefix = props.githubCredentialArn ? (props.ghcrPrefix ?? 'ghcr') : undefined;
    scoped(this, () => {
      assertRegion('region', props.region);
      const credential = (prop: string, arn: string | undefined, example: string) => {
        // ECR accepts only secrets whose name starts with ecr-pullthroughcache/.
        if (typeof arn !== 'string' || !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:ecr-pullthroughcache\/[A-Za-z0-9/_+=.@-]+$/.test(arn)) {
          throw new FortressError(
            'ECR_PTC_CREDENTIAL',
            `${prop} must be the ARN of a Secrets Manager secret named "ecr-pullthroughcache/..." (ECR accepts no other prefix), got ${show(arn)}. Create it with: aws secretsmanager create-secret --name ecr-pullthroughcache/${example} --secret-string file://${example}.json`,
          );
        }
        const region = arn.split(':')[3];
        if (region !== props.region) throw new FortressError('ECR_PTC_CREDENTIAL', `${prop} is in region ${show(region)}; the secret must be in the rule's region ${props.region}.`);
      };
      credential('dockerHubCredentialArn', props.dockerHubCredentialArn, 'docker-hub');
      if (props.githubCredentialArn !== undefined) credential('githubCredentialArn', props.githubCredentialArn, 'ghcr');
      const prefixes = [
        ['dockerHubPrefix', dockerHubPrefix],
        ['quayPrefix', quayPrefix],
        ['k8sPrefix', k8sPrefix],
        ['ghcrPrefix', ghcrPrefix],
      ] as const;
      for (const [prop, p] of prefixes) {
        if (p !== undefined && (!PREFIX.test(p) || p.length < 2 || p.length > 30))
          throw new FortressError('ECR_PTC_PREFIX', `${prop} must be 2 to 30 lower-case letters, digits, ".", "_" or "-", got ${show(p)}.`);
      }
      const used = prefixes.filter(([, p]) => p !== undefined).map(([, p]) => p);
      if (new Set(used).size !== used.length) throw new FortressError('ECR_PTC_PREFIX', `the cache prefixes ${show(used)} repeat; each upstream needs its own prefix.`);
    });
    this.dockerHub = new EcrPullThroughCacheRule(this, 'DockerHub', { ecrRepositoryPrefix: dockerHubPrefix, upstreamRegistryUrl: DOCKER_HUB_UPSTREAM, credentialArn: props.dockerHubCredentialArn });
    this.quay = quayPrefix ? new EcrPullThroughCacheRule(this, 'Quay', { ecrRepositoryPrefix: quayPrefix, upstreamRegistryUrl: QUAY_UPSTREAM }) : undefined;
    this.k8s = k8sPrefix ? new EcrPullThroughCacheRule(this, 'K8s', { ecrRepositoryPrefix: k8sPrefix, upstreamRegistryUrl: K8S_UPSTREAM }) : undefined;
    this.ghcr = ghcrPrefix ? new EcrPullThroughCacheRule(this, 'Ghcr', { ecrRepositoryPrefix: ghcrPrefix, upstreamRegistryUrl: GHCR_UPSTREAM, credentialArn: props.githubCredentialArn! }) : undefined;
    this.quayPrefix = quayPrefix;
    this.prefixes = [dockerHubPrefix, ...[quayPrefix, k8sPrefix, ghcrPrefix].filter((p): p is string => p !== undefined)];
    // registry_id is the account id: a reference, so consumers depend on the rule existing.
    this.registry = { host: `${Fn.tostring(this.dockerHub.registryId)}.dkr.ecr.${props.region}.amazonaws.com`, dockerHubPrefix };
  }
}
