/** The EMQX alert rules under `promtool test rules` (Prometheus 2.42): each alert fires on its series and stays quiet below its threshold. */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { emqxAlertRules } from '../../constructs/monitoring/emqx-rules.js';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0 ? undefined : 'promtool is not installed: run scripts/setup-peers.sh (Debian prometheus)';

describe('EMQX alert rules in promtool', { skip: promtool }, () => {
  it('promtool check rules and test rules pass: every alert fires on its series, none below threshold', () => {
    const rules = emqxAlertRules({ namespace: 'mqtt-emqx', name: 'emqx', replicas: 3, maxConnections: 1000, crlServer: true });
    const by = Object.fromEntries(rules.map((r) => [r.alert, r]));
    const s = (name: string, pod: string, values: string) => ({ series: `${name}{namespace="mqtt-emqx",pod="${pod}"}`, values });
    const fires = (alert: string, at: string) => ({
      eval_time: at,
      alertname: alert,
      exp_alerts: [{ exp_labels: { severity: by[alert]!.labels.severity }, exp_annotations: { ...by[alert]!.annotations } }],
    });
    const quiet = (alert: string, at: string) => ({ eval_time: at, alertname: alert, exp_alerts: [] });
    const up3 = ['emqx-0', 'emqx-1', 'emqx-2'].map((p) => s('up', p, '1x30'));
    const tests = [
      {
        interval: '1m',
        input_series: [s('emqx_authentication_failure', 'emqx-0', '0+5x15'), s('emqx_authentication_failure', 'emqx-1', '0+3x15')],
        alert_rule_test: [fires('EmqxAuthenticationFailures', '10m')],
      },
      {
        interval: '1m',
        input_series: [s('emqx_authentication_failure', 'emqx-0', '0+1x15'), s('emqx_authentication_failure', 'emqx-1', '0+2x15')],
        alert_rule_test: [quiet('EmqxAuthenticationFailures', '10m')],
      },
      { interval: '1m', input_series: [s('emqx_authorization_deny', 'emqx-2', '0+10x15')], alert_rule_test: [fires('EmqxAuthorizationDenials', '10m')] },
      { interval: '1m', input_series: [s('emqx_authorization_deny', 'emqx-2', '0+2x15')], alert_rule_test: [quiet('EmqxAuthorizationDenials', '10m')] },
      // Flapping bans show as CONNACK errors that are not authentication errors.
      {
        interval: '1m',
        input_series: [s('emqx_packets_connack_error', 'emqx-0', '0+6x30'), s('emqx_packets_connack_auth_error', 'emqx-0', '0+1x30')],
        alert_rule_test: [fires('EmqxConnectionsRefused', '20m')],
      },
      {
        interval: '1m',
        input_series: [s('emqx_packets_connack_error', 'emqx-0', '0+6x30'), s('emqx_packets_connack_auth_error', 'emqx-0', '0+6x30')],
        alert_rule_test: [quiet('EmqxConnectionsRefused', '20m')],
      },
      {
        interval: '1m',
        input_series: [s('emqx_live_connections_count', 'emqx-1', '900x30'), s('emqx_live_connections_count', 'emqx-0', '10x30')],
        alert_rule_test: [quiet('EmqxConnectionsNearLimit', '5m'), fires('EmqxConnectionsNearLimit', '20m')],
      },
      { interval: '1m', input_series: [s('emqx_live_connections_count', 'emqx-1', '700x30')], alert_rule_test: [quiet('EmqxConnectionsNearLimit', '20m')] },
      { interval: '1m', input_series: [s('emqx_overload_protection_new_conn', 'emqx-0', '0+1x30')], alert_rule_test: [fires('EmqxOverloadRefusingConnections', '15m')] },
      { interval: '1m', input_series: [s('emqx_overload_protection_new_conn', 'emqx-0', '0x30')], alert_rule_test: [quiet('EmqxOverloadRefusingConnections', '15m')] },
      {
        interval: '1m',
        input_series: [...up3, ...['emqx-0', 'emqx-1'].map((p) => s('emqx_cluster_nodes_stopped', p, '0 0 0 1x27'))],
        alert_rule_test: [quiet('EmqxNodeDown', '4m'), fires('EmqxNodeDown', '10m')],
      },
      { interval: '1m', input_series: [s('up', 'emqx-0', '1x30'), s('up', 'emqx-1', '1x30'), s('up', 'emqx-2', '0x30')], alert_rule_test: [fires('EmqxNodeDown', '10m')] },
      { interval: '1m', input_series: [...up3, ...['emqx-0', 'emqx-1', 'emqx-2'].map((p) => s('emqx_cluster_nodes_stopped', p, '0x30'))], alert_rule_test: [quiet('EmqxNodeDown', '10m')] },
      {
        interval: '1m',
        input_series: [s('emqx_cluster_nodes_running', 'emqx-0', '3x30'), s('emqx_cluster_nodes_running', 'emqx-1', '3 3 2x28'), s('emqx_cluster_nodes_running', 'emqx-2', '3 3 2x28')],
        alert_rule_test: [fires('EmqxClusterPartition', '10m')],
      },
      { interval: '1m', input_series: ['emqx-0', 'emqx-1', 'emqx-2'].map((p) => s('emqx_cluster_nodes_running', p, '3x30')), alert_rule_test: [quiet('EmqxClusterPartition', '10m')] },
      {
        interval: '1m',
        input_series: [{ series: 'kube_statefulset_status_replicas_ready{namespace="mqtt-emqx",statefulset="emqx-crl"}', values: '2 2 0x28' }],
        alert_rule_test: [quiet('EmqxCrlServerDown', '4m'), fires('EmqxCrlServerDown', '10m')],
      },
      {
        interval: '1m',
        input_series: [{ series: 'kube_statefulset_status_replicas_ready{namespace="mqtt-emqx",statefulset="emqx-crl"}', values: '1x30' }],
        alert_rule_test: [quiet('EmqxCrlServerDown', '10m')],
      },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'fortress-promtool-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), JSON.stringify({ groups: [{ name: 'emqx', rules }] }));
      writeFileSync(join(dir, 'tests.yaml'), JSON.stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }));
      const check = spawnSync('promtool', ['check', 'rules', 'rules.yaml'], { cwd: dir, encoding: 'utf8' });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      const t = spawnSync('promtool', ['test', 'rules', 'tests.yaml'], { cwd: dir, encoding: 'utf8' });
      assert.equal(t.status, 0, t.stdout + t.stderr);
      // The harness can fail: an alert expected where its series say otherwise.
      writeFileSync(
        join(dir, 'bad.yaml'),
        JSON.stringify({
          rule_files: ['rules.yaml'],
          evaluation_interval: '1m',
          tests: [{ interval: '1m', input_series: [s('emqx_authorization_deny', 'emqx-2', '0+2x15')], alert_rule_test: [fires('EmqxAuthorizationDenials', '10m')] }],
        }),
      );
      assert.notEqual(spawnSync('promtool', ['test', 'rules', 'bad.yaml'], { cwd: dir, encoding: 'utf8' }).status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
