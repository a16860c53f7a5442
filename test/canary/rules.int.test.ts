/**
 * The attack canary's alert rules as Prometheus reads them: `promtool check rules`, and
 * `promtool test rules` over kube-state-metrics series of a CronJob whose latest run failed, whose
 * old failure was followed by a success, that never succeeded, and that stopped running.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { canaryAlertRules } from '../../constructs/canary/objects.js';
import type { AlertRule } from '../../constructs/monitoring/rules.js';
import { missing } from '../helpers/peers.js';

const dir = mkdtempSync(join(tmpdir(), 'fortress-canary-rules-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const rules = canaryAlertRules({ namespace: 'mqtt', cronJob: 'mosquitto-canary', everyMinutes: 5 });
const rulesFile = join(dir, 'rules.yaml');
writeFileSync(rulesFile, JSON.stringify({ groups: [{ name: 'canary', rules }] }));

const ns = 'namespace="mqtt"';
const failed = (job: string, v: string) => ({ series: `kube_job_status_failed{${ns},job_name="${job}"}`, values: v });
const started = (job: string, v: string) => ({ series: `kube_job_status_start_time{${ns},job_name="${job}"}`, values: v });
const lastSuccess = (v: string) => ({ series: `kube_cronjob_status_last_successful_time{${ns},cronjob="mosquitto-canary"}`, values: v });
const rule = (name: string) => rules.find((r) => r.alert === name)!;
const fires = (r: AlertRule, labels: Record<string, string>) => [{ exp_labels: { ...labels, ...r.labels }, exp_annotations: r.annotations }];

function promtool(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}
function testRules(tests: unknown[]): { status: number | null; out: string } {
  const file = join(dir, `test-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, JSON.stringify({ rule_files: [rulesFile], evaluation_interval: '1m', tests }));
  return promtool(['test', 'rules', file]);
}

describe('attack canary alert rules (promtool)', { skip: missing.promtool }, () => {
  it('promtool check rules accepts both rules', () => {
    const r = promtool(['check', 'rules', rulesFile]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS: 2 rules found/);
  });

  const failedNow = {
    interval: '1m',
    input_series: [
      failed('mosquitto-canary-100', '0 1x20'),
      started('mosquitto-canary-100', '6000x20'),
      lastSuccess('5000x20'),
      failed('mosquitto-canary-90', '0x20'),
      started('mosquitto-canary-90', '5000x20'),
    ],
    alert_rule_test: [
      { eval_time: '0m', alertname: 'MqttCanaryFailed', exp_alerts: [] },
      { eval_time: '2m', alertname: 'MqttCanaryFailed', exp_alerts: fires(rule('MqttCanaryFailed'), { namespace: 'mqtt' }) },
    ],
  };
  const failedThenSucceeded = {
    interval: '1m',
    input_series: [failed('mosquitto-canary-80', '1x20'), started('mosquitto-canary-80', '4000x20'), lastSuccess('5000x20')],
    alert_rule_test: [{ eval_time: '5m', alertname: 'MqttCanaryFailed', exp_alerts: [] }],
  };
  const neverSucceeded = {
    interval: '1m',
    input_series: [failed('mosquitto-canary-70', '1x20'), started('mosquitto-canary-70', '60x20')],
    alert_rule_test: [{ eval_time: '2m', alertname: 'MqttCanaryFailed', exp_alerts: fires(rule('MqttCanaryFailed'), { namespace: 'mqtt' }) }],
  };
  const anotherCronJob = {
    interval: '1m',
    input_series: [failed('backup-70', '1x20'), started('backup-70', '60x20'), { series: `kube_job_status_failed{namespace="other",job_name="mosquitto-canary-70"}`, values: '1x20' }],
    alert_rule_test: [{ eval_time: '2m', alertname: 'MqttCanaryFailed', exp_alerts: [] }],
  };
  const stopped = {
    interval: '1m',
    input_series: [lastSuccess('0x60')],
    alert_rule_test: [
      { eval_time: '20m', alertname: 'MqttCanaryNotRunning', exp_alerts: [] },
      { eval_time: '40m', alertname: 'MqttCanaryNotRunning', exp_alerts: fires(rule('MqttCanaryNotRunning'), { namespace: 'mqtt' }) },
    ],
  };
  const healthy = {
    interval: '1m',
    input_series: [lastSuccess('0+60x60')],
    alert_rule_test: [{ eval_time: '50m', alertname: 'MqttCanaryNotRunning', exp_alerts: [] }],
  };
  const absent = {
    interval: '1m',
    input_series: [failed('mosquitto-canary-1', '0x60')],
    alert_rule_test: [
      { eval_time: '10m', alertname: 'MqttCanaryNotRunning', exp_alerts: [] },
      { eval_time: '20m', alertname: 'MqttCanaryNotRunning', exp_alerts: fires(rule('MqttCanaryNotRunning'), { namespace: 'mqtt', cronjob: 'mosquitto-canary' }) },
    ],
  };

  for (const [what, t] of Object.entries({ failedNow, failedThenSucceeded, neverSucceeded, anotherCronJob, stopped, healthy, absent })) {
    it(`promtool test rules: ${what}`, () => {
      const r = testRules([t]);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /SUCCESS/);
    });
  }

  it('the tests can fail: expecting no alert when the latest run failed is refused by promtool', () => {
    const r = testRules([{ ...failedNow, alert_rule_test: [{ eval_time: '2m', alertname: 'MqttCanaryFailed', exp_alerts: [] }] }]);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /FAILED/);
  });
});
