import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import { ValidationError } from '../../constructs/core/errors.js';
import { validateK8sObject } from '../../constructs/k8s/objects.js';
import { CATALOG_NAMES, exporterMetricName, METRIC_CATALOG } from '../../constructs/monitoring/catalog.js';
import { BrokerMonitoring } from '../../constructs/monitoring/monitoring.js';
import { buildMonitoring } from '../../constructs/monitoring/objects.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import { minimalBrokerProps, resourcesOf, synth } from '../helpers/synth.js';

const FAKE_DIGEST = `sha256:${'ab'.repeat(32)}`; // test fixture only: not a real image

/** Parses PromQL with Prometheus' own grammar; returns the syntax errors and metric names. */
export function promql(expr: string): { errors: string[]; metrics: string[] } {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const metrics: string[] = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(`syntax error at ${n.from}: ${JSON.stringify(expr.slice(Math.max(0, n.from - 10), n.to + 10))}`);
      if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector') metrics.push(expr.slice(n.from, n.to));
    },
  });
  return { errors, metrics };
}

const withExporter = () => buildMosquitto(minimalBrokerProps({ metricsExporter: { image: { digest: FAKE_DIGEST } } }));

describe('alert rules and dashboard (MON-1, MON-2)', () => {
  const b = withExporter();
  const selector = { 'app.kubernetes.io/name': 'mosquitto', 'app.kubernetes.io/instance': 'mosquitto' };
  const mon = buildMonitoring({ broker: b.resolved, selectorLabels: selector, dashboard: true, prometheusLabels: { release: 'kube-prometheus-stack' } });
  const exprs = [...mon.rules.map((r) => r.expr), ...mon.dashboardQueries];

  it('every expression parses with the Prometheus PromQL grammar', () => {
    for (const e of exprs) assert.deepEqual(promql(e).errors, [], e);
  });
  it('the parser check can fail', () => {
    assert.ok(promql('rate(broker_uptime[5m) >').errors.length > 0);
    assert.ok(promql('sum by (ns (x)').errors.length > 0);
  });
  it('every metric is in the catalog, and every catalog entry has a source', () => {
    const used = new Set(exprs.flatMap((e) => promql(e).metrics));
    assert.ok(used.size >= 8);
    for (const m of used) assert.ok(CATALOG_NAMES.has(m), `${m} is not a known metric`);
    for (const e of METRIC_CATALOG) assert.ok(e.source.length > 5, e.name);
  });
  it('the required alerts exist, each with summary, description and runbook', () => {
    assert.deepEqual(mon.rules.map((r) => r.alert).sort(), [
      'MqttBrokerDown',
      'MqttBrokerNotReady',
      'MqttBrokerRestarting',
      'MqttCertificateExpiring',
      'MqttConnectionsNearLimit',
      'MqttMessagesDropped',
      'MqttQueuedMessagesGrowing',
    ]);
    for (const r of mon.rules) for (const k of ['summary', 'description', 'runbook'] as const) assert.ok(r.annotations[k].length > 20, `${r.alert}.${k}`);
    assert.match(mon.rules.find((r) => r.alert === 'MqttConnectionsNearLimit')!.expr, /> 800$/, '80% of max_connections 1000');
    assert.match(mon.rules.find((r) => r.alert === 'MqttCertificateExpiring')!.expr, /< 14 \* 86400/);
  });
  it('without the exporter only rules on kube-state-metrics and cert-manager remain', () => {
    const m = buildMonitoring({ broker: buildMosquitto(minimalBrokerProps()).resolved, selectorLabels: selector, prometheusLabels: {} });
    assert.deepEqual(m.rules.map((r) => r.alert).sort(), ['MqttBrokerNotReady', 'MqttBrokerRestarting', 'MqttCertificateExpiring']);
    assert.ok(!m.objects.some((o) => o.kind === 'PodMonitor'));
  });
  it('PodMonitor, PrometheusRule and the dashboard validate against their schemas', () => {
    assert.deepEqual(
      mon.objects.map((o) => o.kind),
      ['PodMonitor', 'PrometheusRule', 'ConfigMap'],
    );
    for (const o of mon.objects) validateK8sObject(o);
    const dash = mon.objects.find((o) => o.kind === 'ConfigMap') as any;
    assert.equal(dash.metadata.labels.grafana_dashboard, '1');
    assert.equal(dash.metadata.namespace, 'monitoring');
    const parsed = JSON.parse(Object.values<string>(dash.data)[0]!);
    assert.equal(parsed.panels.length, mon.dashboardQueries.length);
  });
  it('the exporter maps topics like sapcc/mosquitto-exporter v0.8.0', () => {
    assert.equal(exporterMetricName('$SYS/broker/clients/connected'), 'broker_clients_connected');
    assert.equal(exporterMetricName('$SYS/broker/retained messages/count'), 'broker_retained_messages_count');
    assert.equal(exporterMetricName('$SYS/broker/load/bytes/received/1min'), 'broker_load_bytes_received_1min');
  });
});

describe('metrics exporter sidecar', () => {
  const { tf } = synth((s) => {
    const broker = new MosquittoBroker(s, 'Broker', minimalBrokerProps({ metricsExporter: { image: { digest: FAKE_DIGEST } } }));
    new BrokerMonitoring(s, 'Monitoring', { broker, prometheusLabels: { release: 'kube-prometheus-stack' } });
  });
  const pod = resourcesOf(tf, 'kubernetes_stateful_set_v1')[0].spec.template.spec;
  const exp = pod.container.find((c: any) => c.name === 'metrics-exporter');
  it('reads $SYS over the authenticated loopback listener as the monitoring identity, password from the Secret', () => {
    const env = Object.fromEntries(exp.env.map((e: any) => [e.name, e]));
    assert.equal(env.BROKER_ENDPOINT.value, 'tcp://127.0.0.1:1884');
    assert.equal(env.MQTT_USER.value, 'metrics');
    assert.deepEqual(env.MQTT_PASS.value_from.secret_key_ref, { name: 'creds', key: 'metrics' });
    assert.equal(exp.image, `sapcc/mosquitto-exporter:0.8.0@${FAKE_DIGEST}`);
    assert.equal(exp.security_context.read_only_root_filesystem, true);
  });
  it('scrapes are admitted from the monitoring namespace only', () => {
    const np = resourcesOf(tf, 'kubernetes_network_policy_v1').find((n) => n.metadata.name === 'mosquitto-allow-metrics');
    assert.deepEqual(np.spec.ingress[0].from[0].namespace_selector.match_labels, { 'kubernetes.io/metadata.name': 'monitoring' });
    assert.deepEqual(np.spec.ingress[0].ports, [{ port: '9234', protocol: 'TCP' }]);
  });
  it('custom resources wait for the Prometheus operator CRD check; labels let Prometheus select them', () => {
    const pm = resourcesOf(tf, 'kubernetes_manifest').find((m) => m.manifest.kind === 'PodMonitor');
    assert.equal(pm.manifest.metadata.labels.release, 'kube-prometheus-stack');
    assert.ok(pm.depends_on.some((d: string) => d.startsWith('data.kubernetes_resources.Monitoring_PrometheusOperatorInstalled')));
  });
  it('an exporter without a digest, or without a monitoring identity, is refused', () => {
    assert.throws(
      () => buildMosquitto(minimalBrokerProps({ metricsExporter: { image: { digest: '' } } })),
      /metricsExporter\.image\.digest must pin the image by digest.*crane digest sapcc\/mosquitto-exporter:0\.8\.0/,
    );
    const noMon = minimalBrokerProps();
    const policy = noMon.policy.restrictTo(['sensor-0001', 'backend']);
    assert.throws(
      () => synth((s) => new MosquittoBroker(s, 'Broker', { ...noMon, policy, metricsExporter: { image: { digest: FAKE_DIGEST } } })),
      (e: unknown) => e instanceof ValidationError && e.code === 'MOSQ_EXPORTER_IDENTITY',
    );
  });
});
