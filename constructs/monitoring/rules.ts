/**
 * The alert rules (baseline MON-2) with runbook text, as a PrometheusRule spec. Pure: the
 * expressions are tested with Prometheus' own PromQL grammar and against the metric catalog.
 */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: 'critical' | 'warning' };
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook: string };
}

export interface MosquittoAlertOptions {
  readonly namespace: string;
  readonly name: string;
  readonly maxConnections: number;
  /** Rules that need the exporter's metrics. */
  readonly exporter: boolean;
  /** Rule on certificate expiry (cert-manager metrics). */
  readonly certificates: boolean;
  /** Days before expiry that alert. @default 14 */
  readonly certificateWarningDays?: number;
}

/**
 * cert-manager's certificate series of one namespace, under both labellings: scraped with
 * `honorLabels: true` the certificate's namespace is `namespace`; with `honorLabels: false` (the
 * default of a ServiceMonitor) Prometheus keeps the target's namespace (cert-manager's own) in
 * `namespace` and renames the certificate's to `exported_namespace`. The first branch requires
 * `exported_namespace` to be absent, so a certificate of another namespace is never counted when
 * cert-manager itself runs in this one.
 */
export function certificateSeries(metric: string, namespace: string): string {
  return `(${metric}{namespace="${namespace}",exported_namespace=""} or ${metric}{exported_namespace="${namespace}"})`;
}

export function mosquittoAlertRules(o: MosquittoAlertOptions): AlertRule[] {
  const sel = `namespace="${o.namespace}"`;
  const pod = `namespace="${o.namespace}",pod=~"${o.name}-[0-9]+"`;
  const rules: AlertRule[] = [
    {
      alert: 'MqttBrokerNotReady',
      expr: `kube_statefulset_status_replicas_ready{${sel},statefulset="${o.name}"} < kube_statefulset_replicas{${sel},statefulset="${o.name}"}`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `MQTT broker ${o.namespace}/${o.name} has no ready pod`,
        description: 'The broker StatefulSet has fewer ready pods than desired: MQTT clients cannot connect.',
        runbook: `kubectl -n ${o.namespace} describe pod ${o.name}-0; kubectl -n ${o.namespace} logs ${o.name}-0 -c hash-credentials (a failed init container names the missing Secret key or the invalid certificate); kubectl -n ${o.namespace} get externalsecret,certificate.`,
      },
    },
    {
      alert: 'MqttBrokerRestarting',
      expr: `increase(kube_pod_container_status_restarts_total{${pod}}[1h]) > 3`,
      for: '0m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `Containers of ${o.namespace}/${o.name} restart repeatedly`,
        description: 'More than 3 container restarts in an hour. In dynamic-security mode each credential rotation restarts the broker once; more points to crashes or OOM kills.',
        runbook: `kubectl -n ${o.namespace} get pod -l app.kubernetes.io/instance=${o.name} -o wide; look for OOMKilled in kubectl describe and raise resources.limits.memory, or read the previous logs with kubectl logs --previous.`,
      },
    },
  ];
  if (o.exporter) {
    rules.push(
      {
        alert: 'MqttBrokerDown',
        expr: `up{${sel},container="metrics-exporter"} == 0 or rate(broker_uptime{${sel}}[3m]) == 0`,
        for: '3m',
        labels: { severity: 'critical' },
        annotations: {
          summary: `MQTT broker ${o.namespace}/${o.name} is down or unobservable`,
          description: 'The exporter cannot be scraped, or the broker stopped publishing $SYS/broker/uptime (the exporter lost its loopback connection).',
          runbook: `kubectl -n ${o.namespace} logs ${o.name}-0 -c mosquitto and -c metrics-exporter; "not authorised" in the exporter log means the monitoring identity's password did not reach it.`,
        },
      },
      {
        alert: 'MqttConnectionsNearLimit',
        expr: `broker_clients_connected{${sel}} > ${Math.floor(o.maxConnections * 0.8)}`,
        for: '10m',
        labels: { severity: 'warning' },
        annotations: {
          summary: `MQTT broker ${o.namespace}/${o.name} is above 80% of max_connections (${o.maxConnections})`,
          description: 'New connections are refused once the limit is reached. A sudden rise can also be a connection flood.',
          runbook:
            'Compare with the device fleet size. A legitimate rise: raise limits.maxConnections (and memory). A flood: find the source addresses in the flow logs and tighten the allowed client ranges.',
        },
      },
      {
        alert: 'MqttMessagesDropped',
        expr: `rate(broker_publish_messages_dropped{${sel}}[5m]) > 0`,
        for: '10m',
        labels: { severity: 'warning' },
        annotations: {
          summary: `MQTT broker ${o.namespace}/${o.name} drops messages`,
          description: 'PUBLISH messages are dropped because in-flight or queue limits of slow or offline subscribers are reached.',
          runbook: 'Find slow consumers (persistent sessions that stay offline) and fix them, or raise limits.maxQueuedMessages if memory allows.',
        },
      },
      {
        alert: 'MqttQueuedMessagesGrowing',
        expr: `deriv(broker_store_messages_count{${sel}}[30m]) > 1`,
        for: '30m',
        labels: { severity: 'warning' },
        annotations: {
          summary: `Stored messages of ${o.namespace}/${o.name} keep growing`,
          description: 'The number of messages held for offline sessions has grown steadily for 30 minutes.',
          runbook: 'Persistent sessions of clients that never come back keep messages; expire them (persistent_client_expiration) or reconnect the clients.',
        },
      },
    );
  }
  if (o.certificates) {
    const days = o.certificateWarningDays ?? 14;
    rules.push({
      alert: 'MqttCertificateExpiring',
      expr: `${certificateSeries('certmanager_certificate_expiration_timestamp_seconds', o.namespace)} - time() < ${days} * 86400`,
      for: '1h',
      labels: { severity: 'critical' },
      annotations: {
        summary: `Certificate {{ $labels.name }} in ${o.namespace} expires within ${days} days`,
        description: 'cert-manager renews 30 days before expiry by default, so this means renewal has been failing for two weeks.',
        runbook: `kubectl -n ${o.namespace} describe certificate; kubectl -n ${o.namespace} get certificaterequest,order,challenge; the issuer's status says why renewal fails.`,
      },
    });
  }
  return rules;
}
