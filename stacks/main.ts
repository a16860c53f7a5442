/**
 * App entry of the default stacks: `npm run synth` / `npx cdktf synth|diff|deploy`.
 * Deploy order: mqtt-network, mqtt-cluster, mosquitto-credentials, mosquitto-k8s.
 */
import { App, type TerraformStack } from 'cdktf';
import { defaultAlarmTarget, defaultClusterName, defaultCostProfile, defaultMosquittoOptions, defaultPrometheusLabels, defaultRegion, deviceCidrs } from './defaults.js';
import { MosquittoKubernetesStack } from './mosquitto-k8s-stack.js';
import { CredentialsAwsStack } from './credentials-aws-stack.js';
import { NetworkStack } from './network-stack.js';
import { ClusterStack } from './cluster-stack.js';
import { stateBackendFromEnv, useS3Backend } from './backend.js';
import { writeAuditResults } from './artifacts.js';
import { EMQX_ADMIN_SECRETS, EmqxKubernetesStack } from './emqx-k8s-stack.js';
import { FortressError } from '../constructs/core/errors.js';
import type { Policy } from '../constructs/policy/model.js';
import type { MosquittoBrokerOptions } from '../constructs/mosquitto/manifests.js';
import { FortressAudit, Suppressions } from '../constructs/audit/engine.js';

export interface AppOptions {
  /** Replace the example policy (the benchmark's scale case). @default templates/example-policy.yaml */
  readonly policy?: Policy;
  /** Override broker options (variants in tests and examples). @default - the defaults */
  readonly broker?: Partial<MosquittoBrokerOptions>;
}

export function buildApp(outdir?: string, options: AppOptions = {}): App {
  const app = new App(outdir ? { outdir } : {});
  const region = defaultRegion();
  const clusterName = defaultClusterName();
  const base: MosquittoBrokerOptions = { ...defaultMosquittoOptions(options.policy), ...options.broker };
  const cidrs = deviceCidrs();

  const network = new NetworkStack(app, 'mqtt-network', {
    network: { region, ...(defaultCostProfile() ? { costProfile: defaultCostProfile()! } : {}) },
    ...(cidrs.length ? { clients: cidrs.map((cidr) => ({ cidr, description: 'declared device range (FORTRESS_DEVICE_CIDRS)' })) } : {}),
  });
  const cluster = new ClusterStack(app, 'mqtt-cluster', { region, name: clusterName, network: network.network, logs: { alarmTarget: defaultAlarmTarget() }, ...(defaultCostProfile() ? { costProfile: defaultCostProfile()! } : {}) });
  const credentials = new CredentialsAwsStack(app, 'mosquitto-credentials', {
    store: { policy: base.policy, region, brokerName: base.name ?? 'mosquitto', reader: { kind: 'pod-identity', clusterName } },
  });
  // EMQX joins when its image digest is given: none is confirmed from a public reference.
  const emqxDigest = process.env.FORTRESS_EMQX_DIGEST;
  const emqxStacks: TerraformStack[] = [];
  if (emqxDigest) {
    const creds = new CredentialsAwsStack(app, 'emqx-credentials', {
      store: { policy: base.policy, region, brokerName: 'emqx', reader: { kind: 'pod-identity', clusterName }, adminSecrets: [...EMQX_ADMIN_SECRETS] },
    });
    const emqx = new EmqxKubernetesStack(app, 'emqx-k8s', {
      emqx: {
        policy: base.policy,
        namespace: 'mqtt-emqx',
        credentialsSecretName: 'emqx-credentials',
        adminSecretName: 'emqx-admin',
        tls: { secretName: 'emqx-tls', nodeSecretName: 'emqx-node-tls' },
        image: { digest: emqxDigest },
        allowFrom: [{ namespace: 'iot-backend' }],
      },
      credentials: { region, brokerName: 'emqx' },
      issuer: { kind: 'bootstrap' },
    });
    emqx.addDependency(creds);
    emqx.addDependency(cluster);
    emqxStacks.push(creds, emqx);
  }
  // Declared device ranges get an internal NLB; the same list is enforced three times: the
  // NLB's security group, its source ranges, and the NetworkPolicy (client IPs preserved). The
  // load balancer subnets hold no pods, so admitting them admits only its health checks.
  const broker = cidrs.length
    ? {
        ...base,
        service: { type: 'LoadBalancer' as const, loadBalancerSourceRanges: cidrs, securityGroupIds: [network.brokerSecurityGroup!.securityGroup.id], subnetIds: network.network.loadBalancerSubnetIds },
        allowFrom: [...(base.allowFrom ?? []), ...network.network.loadBalancerSubnetCidrs.map((cidr) => ({ cidr }))],
      }
    : base;
  const k8s = new MosquittoKubernetesStack(app, 'mosquitto-k8s', {
    broker,
    credentials: { region, brokerName: base.name ?? 'mosquitto' },
    // A per-broker CA bootstrapped by cert-manager; replace with acme / aws-pca / an existing CA.
    certificates: { issuer: { kind: 'bootstrap' } },
    monitoring: { dashboard: true, prometheusLabels: defaultPrometheusLabels() },
    ...(process.env.FORTRESS_KUBECONFIG ? { kubeconfigPath: process.env.FORTRESS_KUBECONFIG } : {}),
    ...(process.env.FORTRESS_KUBE_CONTEXT ? { kubeContext: process.env.FORTRESS_KUBE_CONTEXT } : {}),
  });
  k8s.addDependency(cluster);
  k8s.addDependency(credentials);
  if (!broker.metricsExporter) {
    Suppressions.add(k8s.broker, [
      {
        id: 'MON-1',
        reason:
          'No digest of sapcc/mosquitto-exporter:0.8.0 is confirmed from a public reference, so the default app runs no exporter; set FORTRESS_EXPORTER_DIGEST (crane digest sapcc/mosquitto-exporter:0.8.0) to add it. Alerts on readiness, restarts, certificates and authentication failures stay on.',
      },
    ]);
  }
  for (const s of [network, cluster, credentials, k8s, ...emqxStacks] as TerraformStack[]) FortressAudit.applyTo(s);
  const backend = stateBackendFromEnv();
  if (backend) for (const s of [network, cluster, credentials, k8s, ...emqxStacks] as TerraformStack[]) useS3Backend(s, s.node.id, backend);
  return app;
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  try {
    const app = buildApp();
    app.synth();
    writeAuditResults(app);
  } catch (e) {
    if (e instanceof FortressError) {
      console.error(`error ${e.code}: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
}
