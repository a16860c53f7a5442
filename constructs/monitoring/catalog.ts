/**
 * Metric names the alert rules and the dashboard may use, each with its source (MON-1). A test
 * derives the Mosquitto names from the $SYS topics of a real Mosquitto with the exporter's own
 * naming rule, and checks that every rule refers only to names listed here.
 */

/** sapcc/mosquitto-exporter v0.8.0 `parseTopic`: strip "$SYS/", then "/", " ", "-", "." become "_". */
export function exporterMetricName(topic: string): string {
  return topic.replace('$SYS/', '').replace(/[/ .-]/g, '_');
}

/** Topics the exporter skips (static or deprecated). */
export const EXPORTER_IGNORED_TOPICS = ['$SYS/broker/timestamp', '$SYS/broker/version', '$SYS/broker/clients/active', '$SYS/broker/clients/inactive'];

/** $SYS topics Mosquitto 2.0.21 publishes with the kit's configuration (measured; see test). */
export const MOSQUITTO_SYS_TOPICS = [
  '$SYS/broker/bytes/received',
  '$SYS/broker/bytes/sent',
  '$SYS/broker/clients/connected',
  '$SYS/broker/clients/disconnected',
  '$SYS/broker/clients/expired',
  '$SYS/broker/clients/maximum',
  '$SYS/broker/clients/total',
  '$SYS/broker/heap/current',
  '$SYS/broker/heap/maximum',
  ...['bytes/received', 'bytes/sent', 'connections', 'messages/received', 'messages/sent', 'publish/dropped', 'publish/received', 'publish/sent', 'sockets'].flatMap((k) =>
    ['1min', '5min', '15min'].map((w) => `$SYS/broker/load/${k}/${w}`),
  ),
  '$SYS/broker/messages/received',
  '$SYS/broker/messages/sent',
  '$SYS/broker/messages/stored',
  '$SYS/broker/publish/bytes/received',
  '$SYS/broker/publish/bytes/sent',
  '$SYS/broker/publish/messages/dropped',
  '$SYS/broker/publish/messages/received',
  '$SYS/broker/publish/messages/sent',
  '$SYS/broker/retained messages/count',
  '$SYS/broker/shared_subscriptions/count',
  '$SYS/broker/store/messages/bytes',
  '$SYS/broker/store/messages/count',
  '$SYS/broker/subscriptions/count',
  '$SYS/broker/uptime',
];

/**
 * EMQX 5.8's own counters and gauges the EMQX alert rules use, as apps/emqx_prometheus/src/
 * emqx_prometheus.erl (v5.8.9) names them: authn_metric_meta, acl_metric_meta,
 * emqx_packet_metric_meta, olp_metric_meta, stats_metric_meta, cluster_metric_meta.
 */
export const EMQX_METRICS = [
  'emqx_authentication_failure',
  'emqx_authentication_success',
  'emqx_authorization_deny',
  'emqx_authorization_allow',
  'emqx_packets_connack_error',
  'emqx_packets_connack_auth_error',
  'emqx_overload_protection_new_conn',
  'emqx_live_connections_count',
  'emqx_cluster_nodes_running',
  'emqx_cluster_nodes_stopped',
] as const;

export interface CatalogEntry {
  readonly name: string;
  readonly source: string;
}

export const METRIC_CATALOG: readonly CatalogEntry[] = [
  ...MOSQUITTO_SYS_TOPICS.filter((t) => !EXPORTER_IGNORED_TOPICS.includes(t)).map((t) => ({ name: exporterMetricName(t), source: `sapcc/mosquitto-exporter v0.8.0 from Mosquitto 2.0.21 ${t}` })),
  { name: 'up', source: 'Prometheus, per scrape target' },
  { name: 'certmanager_certificate_expiration_timestamp_seconds', source: 'cert-manager controller metrics' },
  { name: 'certmanager_certificate_ready_status', source: 'cert-manager controller metrics' },
  { name: 'kube_pod_container_status_restarts_total', source: 'kube-state-metrics' },
  { name: 'kube_statefulset_status_replicas_ready', source: 'kube-state-metrics' },
  { name: 'kube_statefulset_replicas', source: 'kube-state-metrics' },
  ...EMQX_METRICS.map((name) => ({ name, source: `EMQX 5.8.9 /api/v5/prometheus/stats (apps/emqx_prometheus/src/emqx_prometheus.erl)` })),
];

export const CATALOG_NAMES = new Set(METRIC_CATALOG.map((m) => m.name));
