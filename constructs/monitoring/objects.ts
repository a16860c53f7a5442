/** prometheus-operator objects and the Grafana dashboard for a broker (pure). */

import type { MonitoredSettings } from '../broker/target.js';
import { assertDnsLabel } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';
import { type K8sObject, registerModelSchema } from '../k8s/objects.js';
import { type AlertRule, certificateSeries, mosquittoAlertRules } from './rules.js';

registerModelSchema('monitoring.coreos.com/v1', 'PodMonitor', '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor');
registerModelSchema('monitoring.coreos.com/v1', 'PrometheusRule', '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule');

export interface MonitoringObjectsOptions {
  readonly broker: MonitoredSettings;
  readonly selectorLabels: Record<string, string>;
  /**
   * Labels your Prometheus selects PodMonitors and PrometheusRules by. Required: a rule no
   * Prometheus selects never fires, silently. kube-prometheus-stack's Prometheus selects
   * `release: <its Helm release name>` by default (`ruleSelectorNilUsesHelmValues: true`), e.g.
   * `{ release: 'kube-prometheus-stack' }` for `helm install kube-prometheus-stack ...`. Pass `{}`
   * only for a Prometheus whose ruleSelector and podMonitorSelector are `{}` (select everything).
   * The security report names the Prometheus that will load the rules.
   */
  readonly prometheusLabels: Record<string, string>;
  /** Alert on certificate expiry (cert-manager metrics). @default true */
  readonly certificates?: boolean;
  /** A Grafana dashboard ConfigMap with the standard sidecar label `grafana_dashboard: "1"`. @default false */
  readonly dashboard?: boolean;
  /** Namespace the Grafana sidecar watches. @default the monitoring namespace */
  readonly dashboardNamespace?: string;
}

export interface MonitoringBuild {
  readonly objects: K8sObject[];
  readonly rules: AlertRule[];
  readonly dashboardQueries: string[];
}

export function buildMonitoring(o: MonitoringObjectsOptions): MonitoringBuild {
  const b = o.broker;
  assertPrometheusLabels(o.prometheusLabels);
  if (o.dashboardNamespace !== undefined) assertDnsLabel('dashboardNamespace', o.dashboardNamespace);
  const labels = { 'app.kubernetes.io/part-of': 'mqtt-fortress', 'app.kubernetes.io/instance': b.name, 'app.kubernetes.io/managed-by': 'terraform', ...(o.prometheusLabels ?? {}) };
  const rules = mosquittoAlertRules({ namespace: b.namespace, name: b.name, maxConnections: b.maxConnections, exporter: Boolean(b.exporter), certificates: o.certificates ?? true });
  const objects: K8sObject[] = [];
  if (b.exporter) {
    objects.push({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: { name: `${b.name}-metrics`, namespace: b.namespace, labels },
      spec: { selector: { matchLabels: { ...o.selectorLabels } }, podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', scheme: 'http' }] },
    });
  }
  objects.push({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: `${b.name}-alerts`, namespace: b.namespace, labels },
    spec: { groups: [{ name: `mqtt-fortress.${b.namespace}.${b.name}`, rules: rules.map((r) => ({ ...r, labels: { ...r.labels }, annotations: { ...r.annotations } })) }] },
  });
  const sel = `namespace="${b.namespace}"`;
  const panels: { title: string; expr: string; unit: string }[] = [
    { title: 'Ready broker pods', expr: `kube_statefulset_status_replicas_ready{${sel},statefulset="${b.name}"}`, unit: 'short' },
    { title: 'Container restarts (1h)', expr: `increase(kube_pod_container_status_restarts_total{${sel}}[1h])`, unit: 'short' },
    ...(b.exporter
      ? [
          { title: 'Connected clients', expr: `broker_clients_connected{${sel}}`, unit: 'short' },
          { title: 'Messages received per second', expr: `rate(broker_publish_messages_received{${sel}}[5m])`, unit: 'ops' },
          { title: 'Messages dropped per second', expr: `rate(broker_publish_messages_dropped{${sel}}[5m])`, unit: 'ops' },
          { title: 'Stored messages', expr: `broker_store_messages_count{${sel}}`, unit: 'short' },
        ]
      : []),
    { title: 'Days until certificate expiry', expr: `(${certificateSeries('certmanager_certificate_expiration_timestamp_seconds', b.namespace)} - time()) / 86400`, unit: 'd' },
  ];
  if (o.dashboard) {
    const dashboard = {
      title: `MQTT broker ${b.namespace}/${b.name}`,
      uid: `mqtt-fortress-${b.namespace}-${b.name}`.slice(0, 40),
      schemaVersion: 39,
      tags: ['mqtt', 'mqtt-fortress'],
      time: { from: 'now-6h', to: 'now' },
      panels: panels.map((p, i) => ({
        id: i + 1,
        type: 'timeseries',
        title: p.title,
        gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
        fieldConfig: { defaults: { unit: p.unit } },
        targets: [{ expr: p.expr, refId: 'A' }],
      })),
    };
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${b.name}-dashboard`, namespace: o.dashboardNamespace ?? b.monitoringNamespace, labels: { ...labels, grafana_dashboard: '1' } },
      data: { [`mqtt-fortress-${b.name}.json`]: JSON.stringify(dashboard, null, 2) },
    });
  }
  return { objects, rules, dashboardQueries: panels.map((p) => p.expr) };
}

/** Kubernetes label syntax: optional DNS prefix, name of at most 63 characters; values of at most 63. */
export function assertPrometheusLabels(labels: unknown): asserts labels is Record<string, string> {
  if (!labels || typeof labels !== 'object' || Array.isArray(labels)) {
    throw new FortressError(
      'MON_PROMETHEUS_LABELS',
      `prometheusLabels is required: the labels your Prometheus selects rules and PodMonitors by. kube-prometheus-stack selects release: <its Helm release name>, e.g. { release: 'kube-prometheus-stack' }; pass {} only for a Prometheus that selects everything. Got ${show(labels)}.`,
    );
  }
  for (const [k, v] of Object.entries(labels)) {
    if (
      !/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(k) ||
      typeof v !== 'string' ||
      !/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(v)
    ) {
      throw new FortressError(
        'MON_PROMETHEUS_LABELS',
        `prometheusLabels ${show(k)}: ${show(v)} is not a valid Kubernetes label (name and value: letters, digits, "-", "_", ".", at most 63 characters).`,
      );
    }
  }
}
