/**
 * App entry of the default stacks: `npm run synth` / `npx cdktf synth|diff|deploy`.
 * Deploy phases (docs/deploy.md): 1. AWS: mqtt-network, mqtt-cluster, mosquitto-credentials
 * (emqx-credentials); 2. mqtt-platform (StorageClass, monitoring namespace); 3. prerequisites
 * (Helm: external-secrets, cert-manager, Prometheus operator); 4. mosquitto-k8s (emqx-k8s).
 * Stack order comes from references: each stack reads what it needs from the one before it.
 */
import { App, type TerraformStack } from 'cdktf';
import { FortressAudit, Suppressions } from '../constructs/audit/engine.js';
import { FortressError } from '../constructs/core/errors.js';
import { mirroredImage } from '../constructs/core/image.js';
import { EMQX_IMAGE } from '../constructs/emqx/props.js';
import type { KubernetesAccessProps } from '../constructs/k8s/provider.js';
import type { MosquittoBrokerOptions } from '../constructs/mosquitto/props.js';
import { EXPORTER_IMAGE, MOSQUITTO_IMAGE } from '../constructs/mosquitto/props.js';
import type { Policy } from '../constructs/policy/model.js';
import { writeAuditResults } from './artifacts.js';
import { LOCAL_STATE_WARNING, stateBackendFromEnv, useLocalTrialBackend, useS3Backend } from './backend.js';
import { ClusterStack } from './cluster-stack.js';
import { CredentialsAwsStack } from './credentials-aws-stack.js';
import {
  type DeployInputs,
  defaultAlarmTarget,
  defaultClusterName,
  defaultCostProfile,
  defaultMosquittoOptions,
  defaultPrometheusLabels,
  defaultRegion,
  deployBlockers,
  deployInputsFromEnv,
  deviceCidrs,
} from './defaults.js';
import { EMQX_ADMIN_SECRETS, EmqxKubernetesStack } from './emqx-k8s-stack.js';
import { MosquittoKubernetesStack } from './mosquitto-k8s-stack.js';
import { NetworkStack } from './network-stack.js';
import { PlatformKubernetesStack } from './platform-k8s-stack.js';

export interface AppOptions {
  /** Replace the example policy (the benchmark's scale case). @default templates/example-policy.yaml */
  readonly policy?: Policy;
  /** Override broker options (variants in tests and examples). @default - the defaults */
  readonly broker?: Partial<MosquittoBrokerOptions>;
  /** Deploy inputs (API path, deployers, image registry). @default - from FORTRESS_* variables */
  readonly deploy?: DeployInputs;
}

export function buildApp(outdir?: string, options: AppOptions = {}): App {
  const app = new App(outdir ? { outdir } : {});
  const region = defaultRegion();
  const clusterName = defaultClusterName();
  const deploy = options.deploy ?? deployInputsFromEnv();
  const cidrs = deviceCidrs();

  const network = new NetworkStack(app, 'mqtt-network', {
    network: { region, ...(defaultCostProfile() ? { costProfile: defaultCostProfile()! } : {}) },
    ...(cidrs.length ? { clients: cidrs.map((cidr) => ({ cidr, description: 'declared device range (FORTRESS_DEVICE_CIDRS)' })) } : {}),
  });
  const cluster = new ClusterStack(app, 'mqtt-cluster', {
    region,
    name: clusterName,
    network: network.network,
    logs: { alarmTarget: defaultAlarmTarget() },
    ...(defaultCostProfile() ? { costProfile: defaultCostProfile()! } : {}),
    ...(deploy.apiClients.length ? { apiClients: deploy.apiClients } : {}),
    ...(deploy.publicEndpoint ? { publicEndpoint: deploy.publicEndpoint } : {}),
    ...(deploy.deployerRoleArns.length ? { deployerRoleArns: deploy.deployerRoleArns } : {}),
    // Your own mirror wins; otherwise Docker Hub (and quay.io) through this account's ECR.
    ...(deploy.dockerHubCredentialArn && !deploy.imageRegistry
      ? { pullThroughCache: { dockerHubCredentialArn: deploy.dockerHubCredentialArn, ...(deploy.githubCredentialArn ? { githubCredentialArn: deploy.githubCredentialArn } : {}) } }
      : {}),
  });
  // Images: same tags and digests, from a registry the nodes reach through the ECR endpoints.
  const registry = deploy.imageRegistry ?? cluster.registry;
  const given: Partial<MosquittoBrokerOptions> = { ...defaultMosquittoOptions(options.policy), ...options.broker };
  const platform = new PlatformKubernetesStack(app, 'mqtt-platform', { ...kubernetesAccess(cluster) });
  const base: MosquittoBrokerOptions = {
    ...(given as MosquittoBrokerOptions),
    image: mirroredImage(given.image ?? MOSQUITTO_IMAGE, registry),
    ...(given.metricsExporter ? { metricsExporter: { ...given.metricsExporter, image: mirroredImage({ ...EXPORTER_IMAGE, ...given.metricsExporter.image }, registry) } } : {}),
    // The claim names the kit's encrypted gp3 class (served by the EBS CSI driver add-on).
    ...(given.persistence?.enabled === false ? {} : { persistence: { ...given.persistence, storageClassName: given.persistence?.storageClassName ?? platform.storageClassName } }),
  };
  // One external-secrets identity (the cluster's) assumes each broker's reader role: both
  // brokers' credentials sync, each store reading only its broker's secrets.
  const readerFromCluster = { kind: 'assumed-by-role' as const, roleArn: cluster.cluster.externalSecretsRole!.arn };
  const credentials = new CredentialsAwsStack(app, 'mosquitto-credentials', {
    store: { policy: base.policy, region, brokerName: base.name ?? 'mosquitto', reader: readerFromCluster },
  });
  // EMQX joins when its image digest is given: none is confirmed from a public reference.
  const emqxDigest = process.env.FORTRESS_EMQX_DIGEST;
  const emqxStacks: TerraformStack[] = [];
  if (emqxDigest) {
    const creds = new CredentialsAwsStack(app, 'emqx-credentials', {
      store: { policy: base.policy, region, brokerName: 'emqx', reader: readerFromCluster, adminSecrets: [...EMQX_ADMIN_SECRETS] },
    });
    const emqx = new EmqxKubernetesStack(app, 'emqx-k8s', {
      emqx: {
        policy: base.policy,
        namespace: 'mqtt-emqx',
        credentialsSecretName: 'emqx-credentials',
        adminSecretName: 'emqx-admin',
        tls: { secretName: 'emqx-tls', nodeSecretName: 'emqx-node-tls' },
        image: mirroredImage({ ...EMQX_IMAGE, digest: emqxDigest }, registry),
        allowFrom: [{ namespace: 'iot-backend' }],
      },
      credentials: { region, brokerName: 'emqx', auth: { kind: 'pod-identity', roleArn: creds.store.readerRole.arn } },
      issuer: { kind: 'bootstrap' },
      ...kubernetesAccess(cluster),
    });
    emqx.addDependency(creds);
    emqx.addDependency(cluster);
    // The claims need the kit's StorageClass (marked default: EMQX's claim names none).
    emqx.addDependency(platform);
    emqxStacks.push(creds, emqx);
  }
  // Declared device ranges get an internal NLB; the same list is enforced three times: the
  // NLB's security group, its source ranges, and the NetworkPolicy (client IPs preserved). The
  // load balancer subnets hold no pods, so admitting them admits only its health checks.
  const broker = cidrs.length
    ? {
        ...base,
        service: {
          type: 'LoadBalancer' as const,
          loadBalancerSourceRanges: cidrs,
          securityGroupIds: [network.brokerSecurityGroup!.securityGroup.id],
          subnetIds: network.network.loadBalancerSubnetIds,
        },
        allowFrom: [...(base.allowFrom ?? []), ...network.network.loadBalancerSubnetCidrs.map((cidr) => ({ cidr }))],
      }
    : base;
  const k8s = new MosquittoKubernetesStack(app, 'mosquitto-k8s', {
    broker,
    credentials: { region, brokerName: base.name ?? 'mosquitto', auth: { kind: 'pod-identity', roleArn: credentials.store.readerRole.arn } },
    // A per-broker CA bootstrapped by cert-manager; replace with acme / aws-pca / an existing CA.
    certificates: { issuer: { kind: 'bootstrap' } },
    monitoring: { dashboard: true, prometheusLabels: defaultPrometheusLabels() },
    // The attack canary runs when the policy has its identity (the example policy does) and
    // clients authenticate with passwords (docs/canary.md).
    ...(broker.policy.principal('canary') && ['password', 'password-or-certificate'].includes(broker.tls.clientAuth ?? 'password')
      ? { canary: { credentials: { brokerName: base.name ?? 'mosquitto' }, prometheusLabels: defaultPrometheusLabels() } }
      : {}),
    ...kubernetesAccess(cluster),
  });
  k8s.addDependency(cluster);
  k8s.addDependency(credentials);
  // The StorageClass and the monitoring namespace: named by literal, so the order is declared.
  k8s.addDependency(platform);
  if (!broker.metricsExporter) {
    Suppressions.add(k8s.broker, [
      {
        id: 'MON-1',
        reason:
          'No digest of sapcc/mosquitto-exporter:0.8.0 is confirmed from a public reference, so the default app runs no exporter; set FORTRESS_EXPORTER_DIGEST (crane digest sapcc/mosquitto-exporter:0.8.0) to add it. Alerts on readiness, restarts, certificates and authentication failures stay on.',
      },
    ]);
  }
  const all = [network, cluster, credentials, platform, k8s, ...emqxStacks] as TerraformStack[];
  for (const s of all) FortressAudit.applyTo(s);
  const backend = stateBackendFromEnv();
  for (const s of all) {
    if (backend) useS3Backend(s, s.node.id, backend);
    else useLocalTrialBackend(s, s.node.id);
  }
  return app;
}

/**
 * How the Kubernetes stacks reach the cluster: FORTRESS_KUBECONFIG / FORTRESS_KUBE_CONTEXT when
 * set; otherwise the cluster's endpoint and CA by reference, with a token from `aws eks get-token`.
 */
function kubernetesAccess(cluster: ClusterStack): KubernetesAccessProps {
  if (process.env.FORTRESS_KUBECONFIG || process.env.FORTRESS_KUBE_CONTEXT) {
    return {
      ...(process.env.FORTRESS_KUBECONFIG ? { kubeconfigPath: process.env.FORTRESS_KUBECONFIG } : {}),
      ...(process.env.FORTRESS_KUBE_CONTEXT ? { kubeContext: process.env.FORTRESS_KUBE_CONTEXT } : {}),
    };
  }
  return { eks: cluster.cluster.connection() };
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  try {
    const deploy = deployInputsFromEnv();
    const blockers = deployBlockers(deploy);
    if (blockers.length && process.env.FORTRESS_REVIEW_ONLY !== '1') {
      throw new FortressError('DEPLOY_INPUTS', `this synthesis could not be deployed: ${blockers.join('; ')}. For a synthesis to review only, set FORTRESS_REVIEW_ONLY=1. See docs/deploy.md.`);
    }
    if (blockers.length) console.error(`review-only synthesis (not deployable): ${blockers.join('; ')}`);
    if (!stateBackendFromEnv()) console.error(LOCAL_STATE_WARNING);
    const app = buildApp(undefined, { deploy });
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
