/**
 * The configuration of the default stacks, in one place: the local bundle (npm run local) renders
 * exactly these options, so what the tests start is what `cdktf deploy` ships.
 */
import { policyFromYamlFile } from '../constructs/policy/yaml.js';
import type { Policy } from '../constructs/policy/model.js';
import type { MosquittoBrokerOptions } from '../constructs/mosquitto/manifests.js';
import type { MqttPeer } from '../constructs/core/k8s-values.js';
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
