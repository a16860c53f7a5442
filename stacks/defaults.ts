/**
 * The configuration of the default stacks, in one place: the local bundle (npm run local) renders
 * exactly these options, so what the tests start is what `cdktf deploy` ships.
 */

import type { CostProfile } from '../constructs/core/cost-profile.js';
import { FortressError, show } from '../constructs/core/errors.js';
import type { ImageRegistry } from '../constructs/core/image.js';
import type { MqttPeer } from '../constructs/k8s/values.js';
import type { AlarmTarget } from '../constructs/monitoring/cloudwatch.js';
import type { MosquittoBrokerOptions } from '../constructs/mosquitto/props.js';
import type { ApiClient } from '../constructs/network/eks.js';
import type { Policy } from '../constructs/policy/model.js';
import { policyFromYamlFile } from '../constructs/policy/yaml.js';
import { templatePath } from '../constructs/templates.js';

export const EXAMPLE_POLICY_FILE = templatePath('example-policy.yaml');

/**
 * Extra client ranges from FORTRESS_DEVICE_CIDRS (comma-separated), e.g. the NLB subnets or the
 * devices' VPN range. Without it, only the in-cluster backend namespace may connect.
 */
export function deviceCidrs(): string[] {
  return (process.env.FORTRESS_DEVICE_CIDRS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function cidrPeers(): MqttPeer[] {
  return deviceCidrs().map((cidr) => ({ cidr }));
}

export function defaultMosquittoOptions(policy?: Policy): MosquittoBrokerOptions {
  return {
    policy: policy ?? policyFromYamlFile(EXAMPLE_POLICY_FILE),
    namespace: 'mqtt',
    name: 'mosquitto',
    credentialsSecretName: 'mosquitto-credentials',
    tls: { secretName: 'mosquitto-tls' },
    allowFrom: [{ namespace: 'iot-backend' }, ...cidrPeers()],
    // No digest of sapcc/mosquitto-exporter:0.8.0 is confirmed from a public reference, so the
    // exporter runs only when its digest is given (crane digest sapcc/mosquitto-exporter:0.8.0).
    ...(process.env.FORTRESS_EXPORTER_DIGEST ? { metricsExporter: { image: { digest: process.env.FORTRESS_EXPORTER_DIGEST } } } : {}),
  };
}

/** AWS region of the default AWS stacks: FORTRESS_AWS_REGION, else eu-west-1. */
export function defaultRegion(): string {
  return process.env.FORTRESS_AWS_REGION ?? 'eu-west-1';
}

/** EKS cluster of the default stacks: FORTRESS_EKS_CLUSTER, else the kit's own cluster name. */
export function defaultClusterName(): string {
  return process.env.FORTRESS_EKS_CLUSTER ?? 'mqtt-fortress';
}

/**
 * Where the default app's alarms notify: FORTRESS_ALARM_TOPIC_ARN (an existing SNS topic), else
 * FORTRESS_ALARM_EMAILS (comma-separated; a KMS-encrypted topic is created and subscribed). With
 * neither, the topic is created without a subscriber, which the security report shows as a
 * relaxation with this reason.
 */
export function defaultAlarmTarget(): AlarmTarget {
  if (process.env.FORTRESS_ALARM_TOPIC_ARN) return { topicArn: process.env.FORTRESS_ALARM_TOPIC_ARN };
  const emails = (process.env.FORTRESS_ALARM_EMAILS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return emails.length
    ? { createTopic: { emails } }
    : {
        createTopic: {
          emails: [],
          noSubscriberReason: 'default app without FORTRESS_ALARM_EMAILS or FORTRESS_ALARM_TOPIC_ARN: subscribe the on-call rotation to the created topic, or set one of them and synthesize again',
        },
      };
}

/** Cost profile of the default AWS stacks: FORTRESS_COST_PROFILE (production or non-production), else production. */
export function defaultCostProfile(): CostProfile | undefined {
  return (process.env.FORTRESS_COST_PROFILE as CostProfile | undefined) || undefined;
}

/**
 * Labels the default app puts on its PodMonitor and PrometheusRule so Prometheus loads them.
 * kube-prometheus-stack selects rules by `release: <its Helm release name>` by default
 * (ruleSelectorNilUsesHelmValues); FORTRESS_PROMETHEUS_RELEASE names that release, default
 * `kube-prometheus-stack`.
 */
export function defaultPrometheusLabels(): Record<string, string> {
  return { release: process.env.FORTRESS_PROMETHEUS_RELEASE || 'kube-prometheus-stack' };
}

/**
 * What a deploy needs from the environment it runs in, beyond AWS credentials: a network path
 * from the deploying machine to the private EKS API, who may administer the cluster, and where
 * the images come from (the nodes have no route to the internet). Read from FORTRESS_* variables
 * by the default app; see docs/deploy.md.
 */
export interface DeployInputs {
  /** FORTRESS_DEPLOYER_ROLE_ARNS: IAM roles that deploy the Kubernetes stacks (EKS access entries). */
  readonly deployerRoleArns: readonly string[];
  /** FORTRESS_API_SOURCES: CIDRs or security group ids inside the VPC or a connected network (HTTPS to the private endpoint). */
  readonly apiClients: readonly ApiClient[];
  /** FORTRESS_PUBLIC_API_CIDRS + FORTRESS_PUBLIC_API_REASON: a public endpoint limited to these ranges (a recorded relaxation). */
  readonly publicEndpoint?: { readonly cidrs: readonly string[]; readonly reason: string };
  /** FORTRESS_DOCKERHUB_SECRET_ARN: the `ecr-pullthroughcache/...` secret of the Docker Hub pull-through cache rule. */
  readonly dockerHubCredentialArn?: string;
  /** FORTRESS_GHCR_SECRET_ARN: an `ecr-pullthroughcache/...` secret with a GitHub token, to cache ghcr.io too (the external-secrets image). */
  readonly githubCredentialArn?: string;
  /** FORTRESS_IMAGE_REGISTRY (`host/prefix`): your own mirror of Docker Hub instead of the pull-through cache. */
  readonly imageRegistry?: ImageRegistry;
}

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function deployInputsFromEnv(env: NodeJS.ProcessEnv = process.env): DeployInputs {
  const publicCidrs = list(env.FORTRESS_PUBLIC_API_CIDRS);
  if (publicCidrs.length && !env.FORTRESS_PUBLIC_API_REASON)
    throw new FortressError(
      'EKS_PUBLIC_ENDPOINT',
      'FORTRESS_PUBLIC_API_CIDRS is set without FORTRESS_PUBLIC_API_REASON: a public API endpoint is a relaxation and needs its reason (shown in the security report).',
    );
  let imageRegistry: ImageRegistry | undefined;
  if (env.FORTRESS_IMAGE_REGISTRY) {
    const m = /^([^/\s]+)\/(.+)$/.exec(env.FORTRESS_IMAGE_REGISTRY.trim());
    if (!m)
      throw new FortressError('IMAGE_REGISTRY', `FORTRESS_IMAGE_REGISTRY must be "<host>/<docker-hub-prefix>" such as "registry.example.com/docker-hub", got ${show(env.FORTRESS_IMAGE_REGISTRY)}.`);
    imageRegistry = { host: m[1]!, dockerHubPrefix: m[2]! };
  }
  return {
    deployerRoleArns: list(env.FORTRESS_DEPLOYER_ROLE_ARNS),
    apiClients: list(env.FORTRESS_API_SOURCES).map((s) =>
      s.startsWith('sg-') ? { securityGroupId: s, description: 'deploy runner (FORTRESS_API_SOURCES)' } : { cidr: s, description: 'deploy runner network (FORTRESS_API_SOURCES)' },
    ),
    ...(publicCidrs.length ? { publicEndpoint: { cidrs: publicCidrs, reason: env.FORTRESS_PUBLIC_API_REASON! } } : {}),
    ...(env.FORTRESS_DOCKERHUB_SECRET_ARN ? { dockerHubCredentialArn: env.FORTRESS_DOCKERHUB_SECRET_ARN.trim() } : {}),
    ...(env.FORTRESS_GHCR_SECRET_ARN ? { githubCredentialArn: env.FORTRESS_GHCR_SECRET_ARN.trim() } : {}),
    ...(imageRegistry ? { imageRegistry } : {}),
  };
}

/** What keeps these inputs from a deploy that works; empty when nothing does. */
export function deployBlockers(d: DeployInputs): string[] {
  const out: string[] = [];
  if (!d.apiClients.length && !d.publicEndpoint)
    out.push("no path from this machine to the private EKS API (set FORTRESS_API_SOURCES to the runner's CIDR or security group, or FORTRESS_PUBLIC_API_CIDRS with FORTRESS_PUBLIC_API_REASON)");
  if (!d.dockerHubCredentialArn && !d.imageRegistry)
    out.push('no registry the nodes can pull from (set FORTRESS_DOCKERHUB_SECRET_ARN to the ecr-pullthroughcache/ secret, or FORTRESS_IMAGE_REGISTRY to your mirror)');
  return out;
}
