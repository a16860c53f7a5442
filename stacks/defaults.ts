/**
 * The configuration of the default stacks, in one place: the local bundle (npm run local) renders
 * exactly these options, so what the tests start is what `cdktf deploy` ships.
 */
import { policyFromYamlFile } from '../constructs/policy/yaml.js';
import type { Policy } from '../constructs/policy/model.js';
import type { MosquittoBrokerOptions } from '../constructs/mosquitto/manifests.js';
import type { MqttPeer } from '../constructs/core/k8s-values.js';
import { templatePath } from '../constructs/templates.js';
import type { AlarmTarget } from '../constructs/monitoring/cloudwatch.js';
import type { CostProfile } from '../constructs/core/cost-profile.js';

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
  const emails = (process.env.FORTRESS_ALARM_EMAILS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return emails.length
    ? { createTopic: { emails } }
    : { createTopic: { emails: [], noSubscriberReason: 'default app without FORTRESS_ALARM_EMAILS or FORTRESS_ALARM_TOPIC_ARN: subscribe the on-call rotation to the created topic, or set one of them and synthesize again' } };
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
