import { dependable, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { SecretsManagerDelivery } from '../constructs/credentials/delivery.js';
import type { SecretsReaderAuth } from '../constructs/credentials/external-secrets.js';
import { EmqxCluster } from '../constructs/emqx/cluster.js';
import type { EmqxClusterProps } from '../constructs/emqx/props.js';
import { EMQX_SYNC_API_KEY } from '../constructs/emqx/props.js';
import { crdCheck } from '../constructs/k8s/crd-check.js';
import { type KubernetesAccessProps, kubernetesProvider } from '../constructs/k8s/provider.js';
import { addK8sObject } from '../constructs/k8s/resources.js';
import { emqxPrometheusRule } from '../constructs/monitoring/emqx-rules.js';
import type { IssuerStrategy } from '../constructs/tls/cert-manager.js';
import { BrokerCertificates } from '../constructs/tls/certificates.js';
import { requireTerraform } from './backend.js';

/** Admin secrets an EMQX cluster needs from Secrets Manager, and how its Secret is rendered. */
export const EMQX_ADMIN_SECRETS = [
  {
    key: 'cookie',
    description: 'EMQX Erlang distribution cookie',
    rotate: false,
    notRotatedReason: 'every node must hold the same cookie, so it changes only with a planned full restart: rotate the secret, then scale the StatefulSet to 0 and back.',
  },
  {
    key: 'dashboard',
    description: 'EMQX dashboard admin password',
    rotate: false,
    notRotatedReason:
      'EMQX applies dashboard.default_password only when it creates the admin user; change it in the dashboard or with `emqx ctl admins passwd admin <new>` after updating the secret. The dashboard is not exposed outside the cluster.',
  },
  {
    key: 'prometheus',
    description: 'EMQX API key secret of the Prometheus scraper',
    rotate: false,
    notRotatedReason: 'EMQX reads api_key.bootstrap_file only at node start: rotate the secret, then `kubectl rollout restart statefulset/<name>`.',
  },
  {
    key: 'sync',
    description: 'EMQX API key secret of the credential-sync sidecar',
    rotate: false,
    notRotatedReason: 'EMQX reads api_key.bootstrap_file only at node start: rotate the secret, then `kubectl rollout restart statefulset/<name>`.',
  },
] as const;

export interface EmqxKubernetesStackProps extends KubernetesAccessProps {
  readonly emqx: EmqxClusterProps;
  /** Credentials and admin secrets from the CredentialStore of broker `brokerName`. */
  readonly credentials: { readonly region: string; readonly brokerName: string; readonly auth?: SecretsReaderAuth };
  readonly issuer: IssuerStrategy;
  /** Labels your Prometheus selects PodMonitors by. @default - none */
  readonly prometheusLabels?: Record<string, string>;
}

/** A hardened EMQX 5.8 cluster with its credentials, certificates and scrape configuration. */
export class EmqxKubernetesStack extends TerraformStack {
  public readonly cluster: EmqxCluster;
  constructor(scope: Construct, id: string, props: EmqxKubernetesStackProps) {
    super(scope, id);
    requireTerraform(this);
    kubernetesProvider(this, props);
    this.cluster = new EmqxCluster(this, 'Emqx', props.emqx);
    new SecretsManagerDelivery(this, 'Credentials', {
      broker: this.cluster,
      region: props.credentials.region,
      brokerName: props.credentials.brokerName,
      ...(props.credentials.auth ? { auth: props.credentials.auth } : {}),
      targetSecretName: props.emqx.credentialsSecretName,
      admin: {
        secretName: props.emqx.adminSecretName,
        keys: EMQX_ADMIN_SECRETS.map((a) => a.key),
        template: {
          cookie: '{{ .cookie }}',
          'dashboard-password': '{{ .dashboard }}',
          // key:secret without a role: EMQX's open-source edition has no API key roles (RBAC is an
          // enterprise feature), so a `:viewer` suffix would promise a restriction it does not enforce.
          'api-keys': `prometheus-scraper:{{ .prometheus }}\n${EMQX_SYNC_API_KEY}:{{ .sync }}\n`,
          'prometheus-user': 'prometheus-scraper',
          'prometheus-password': '{{ .prometheus }}',
        },
      },
    });
    new BrokerCertificates(this, 'Certificates', { broker: this.cluster, issuer: props.issuer });
    // EMQX's native Prometheus endpoint, behind basic auth with the scraper's API key.
    const crd = crdCheck(
      this,
      'PrometheusOperatorInstalled',
      'podmonitors.monitoring.coreos.com',
      'The Prometheus operator is not installed in this cluster (no CRD podmonitors.monitoring.coreos.com).',
    );
    const b = this.cluster.build;
    const pm = addK8sObject(
      this,
      'PodMonitor',
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PodMonitor',
        metadata: { name: `${b.name}-metrics`, namespace: b.namespace, labels: { 'app.kubernetes.io/part-of': 'mqtt-fortress', ...(props.prometheusLabels ?? {}) } },
        spec: {
          selector: { matchLabels: { 'app.kubernetes.io/name': 'emqx', 'app.kubernetes.io/instance': b.name } },
          podMetricsEndpoints: [
            {
              port: 'dashboard',
              path: '/api/v5/prometheus/stats',
              interval: '30s',
              basicAuth: { username: { name: props.emqx.adminSecretName, key: 'prometheus-user' }, password: { name: props.emqx.adminSecretName, key: 'prometheus-password' } },
            },
          ],
        },
      },
      { asManifest: true, ...(this.cluster.namespaceResource ? { dependsOn: [this.cluster.namespaceResource] } : {}) },
    );
    pm.dependsOn = [...(pm.dependsOn ?? []), dependable(crd)];
    // Alerts on EMQX's own counters (MON-2): constructs/monitoring/emqx-rules.ts.
    const rulesCrd = crdCheck(
      this,
      'PrometheusRulesInstalled',
      'prometheusrules.monitoring.coreos.com',
      'The Prometheus operator is not installed in this cluster (no CRD prometheusrules.monitoring.coreos.com).',
    );
    const rule = addK8sObject(
      this,
      'PrometheusRule',
      emqxPrometheusRule({
        namespace: b.namespace,
        name: b.name,
        replicas: b.replicas,
        maxConnections: b.resolved.limits.maxConnections,
        crlServer: b.resolved.tls.revocation !== undefined,
        labels: props.prometheusLabels ?? {},
      }),
      { asManifest: true, ...(this.cluster.namespaceResource ? { dependsOn: [this.cluster.namespaceResource] } : {}) },
    );
    rule.dependsOn = [...(rule.dependsOn ?? []), dependable(rulesCrd)];
  }
}
