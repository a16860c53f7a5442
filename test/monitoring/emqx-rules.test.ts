/** EMQX alert rules (MON-2, issue 14 item 2): grammar, catalog, schema. promtool cases: emqx-rules.int.test.ts. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateK8sObject } from '../../constructs/k8s/objects.js';
import { CATALOG_NAMES, EMQX_METRICS } from '../../constructs/monitoring/catalog.js';
import { emqxAlertRules, emqxPrometheusRule } from '../../constructs/monitoring/emqx-rules.js';
import { promql } from './rules.test.js';

describe('EMQX alert rules (MON-2)', () => {
  const rules = emqxAlertRules({ namespace: 'mqtt-emqx', name: 'emqx', replicas: 3, maxConnections: 10000 });
  it('every expression parses with the Prometheus grammar and uses only catalogued metrics', () => {
    const used = new Set<string>();
    for (const r of rules) {
      const p = promql(r.expr);
      assert.deepEqual(p.errors, [], r.expr);
      for (const m of p.metrics) used.add(m);
    }
    for (const m of used) assert.ok(CATALOG_NAMES.has(m), `${m} is not in the catalog`);
    for (const m of [
      'emqx_authentication_failure',
      'emqx_authorization_deny',
      'emqx_packets_connack_error',
      'emqx_live_connections_count',
      'emqx_cluster_nodes_stopped',
      'emqx_cluster_nodes_running',
      'emqx_overload_protection_new_conn',
    ])
      assert.ok(used.has(m), `${m} is alerted on`);
    for (const m of EMQX_METRICS) assert.ok(CATALOG_NAMES.has(m));
  });
  it('authentication failures, denials, refused connections (flapping bans), connection limit, overload, node down and partition are covered; each rule has a runbook', () => {
    assert.deepEqual(
      rules.map((r) => r.alert),
      [
        'MqttBrokerNotReady',
        'MqttBrokerRestarting',
        'MqttCertificateExpiring',
        'EmqxAuthenticationFailures',
        'EmqxAuthorizationDenials',
        'EmqxConnectionsRefused',
        'EmqxConnectionsNearLimit',
        'EmqxOverloadRefusingConnections',
        'EmqxNodeDown',
        'EmqxClusterPartition',
      ],
    );
    for (const r of rules) for (const k of ['summary', 'description', 'runbook'] as const) assert.ok(r.annotations[k].length > 20, `${r.alert}.${k}`);
    assert.match(rules.find((r) => r.alert === 'EmqxConnectionsNearLimit')!.expr, /> 8000$/);
    for (const r of rules.filter((x) => x.alert.startsWith('Emqx'))) assert.match(r.expr, /namespace="mqtt-emqx",pod=~"emqx-\[0-9\]\+"/, r.alert);
  });
  it('the PrometheusRule validates against the prometheus-operator schema and carries the selector labels', () => {
    const o = emqxPrometheusRule({ namespace: 'mqtt-emqx', name: 'emqx', replicas: 3, maxConnections: 10000, labels: { release: 'kps' } });
    validateK8sObject(o);
    assert.equal(o.metadata.labels!.release, 'kps');
  });
});
