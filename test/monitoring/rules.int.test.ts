/**
 * The alert rules evaluated by Prometheus itself: `promtool test rules` over the shipped
 * PrometheusRule's groups with synthetic series.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildMonitoring } from '../../constructs/monitoring/objects.js';
import type { AlertRule } from '../../constructs/monitoring/rules.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import { missing } from '../helpers/peers.js';
import { minimalBrokerProps } from '../helpers/synth.js';

const dir = mkdtempSync(join(tmpdir(), 'fortress-promtool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const broker = buildMosquitto(minimalBrokerProps()).resolved;
const mon = buildMonitoring({ broker, selectorLabels: { 'app.kubernetes.io/name': 'mosquitto' }, prometheusLabels: {} });
const ns = broker.namespace;
const M = 'certmanager_certificate_expiration_timestamp_seconds';
const TEN_DAYS = 10 * 86400; // expiry timestamp 10 days after the test's time 0
const FAR = 1000 * 86400;

/** Runs promtool over the given rules with the certificate series; returns its exit code and output. */
function promtool(rules: readonly AlertRule[], expected: { name: string; labels: Record<string, string> }[]): { status: number | null; out: string } {
  const cert = rules.find((r) => r.alert === 'MqttCertificateExpiring')!;
  const ruleFile = join(dir, `rules-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(ruleFile, JSON.stringify({ groups: [{ name: 'test', rules }] }));
  const series = (labels: Record<string, string>, expiry: number) => ({
    series: `${M}{${Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',')}}`,
    values: `${expiry}x180`,
  });
  const annotations = (name: string) => Object.fromEntries(Object.entries(cert.annotations).map(([k, v]) => [k, v.replace(/\{\{ \$labels\.name \}\}/g, name)]));
  const test = {
    rule_files: [ruleFile],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: [
          // honorLabels: true: the certificate's own namespace label survives.
          series({ namespace: ns, name: 'direct', job: 'cert-manager' }, TEN_DAYS),
          // honorLabels: false (ServiceMonitor default): the target's namespace wins, the certificate's becomes exported_namespace.
          series({ namespace: 'cert-manager', exported_namespace: ns, name: 'exported', job: 'cert-manager' }, TEN_DAYS),
          // Another namespace's certificate, under both labellings, and with cert-manager itself running in the broker's namespace.
          series({ namespace: 'other', name: 'foreign', job: 'cert-manager' }, TEN_DAYS),
          series({ namespace: 'cert-manager', exported_namespace: 'other', name: 'foreign-exported', job: 'cert-manager' }, TEN_DAYS),
          series({ namespace: ns, exported_namespace: 'other', name: 'foreign-scraped-here', job: 'cert-manager' }, TEN_DAYS),
          // Far from expiry.
          series({ namespace: ns, name: 'fresh', job: 'cert-manager' }, FAR),
          series({ namespace: 'cert-manager', exported_namespace: ns, name: 'fresh-exported', job: 'cert-manager' }, FAR),
        ],
        alert_rule_test: [
          { eval_time: '30m', alertname: 'MqttCertificateExpiring', exp_alerts: [] }, // pending: for 1h
          {
            eval_time: '2h',
            alertname: 'MqttCertificateExpiring',
            exp_alerts: expected.map((e) => ({ exp_labels: { ...e.labels, name: e.name, job: 'cert-manager', severity: 'critical' }, exp_annotations: annotations(e.name) })),
          },
        ],
      },
    ],
  };
  const testFile = join(dir, `test-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(testFile, JSON.stringify(test));
  const r = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const BOTH: { name: string; labels: Record<string, string> }[] = [
  { name: 'direct', labels: { namespace: ns } },
  { name: 'exported', labels: { namespace: 'cert-manager', exported_namespace: ns } },
];

describe('certificate expiry alert under promtool (MON-2)', { skip: missing.promtool }, () => {
  it('fires for certificates of the broker namespace under both labellings, only those, after 1h', () => {
    const r = promtool(mon.rules, BOTH);
    assert.equal(r.status, 0, r.out);
  });
  it('the promtool check can fail: the rule keyed on `namespace` alone misses the exported_namespace labelling', () => {
    const old = mon.rules.map((x) => (x.alert === 'MqttCertificateExpiring' ? { ...x, expr: `${M}{namespace="${ns}"} - time() < 14 * 86400` } : x));
    const r = promtool(old, BOTH);
    assert.notEqual(r.status, 0, 'promtool must reject the namespace-only rule');
    assert.match(r.out, /exported/);
  });
});
