/**
 * The report's operations section, from the default app's synthesized stacks: alarm targets, the
 * Prometheus that loads the rules, endpoint policies, secrets teardown and cost drivers, for the
 * production default and the non-production profile.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exposureOf } from '../../constructs/audit/exposure.js';
import { renderReport } from '../../constructs/audit/report.js';
import { buildApp } from '../../stacks/main.js';

function reports(env: Record<string, string>): Record<string, string> {
  const out = mkdtempSync(join(tmpdir(), 'fortress-ops-'));
  const old = { ...process.env };
  Object.assign(process.env, env);
  try {
    buildApp(out).synth();
    return Object.fromEntries(readdirSync(join(out, 'stacks')).map((s) => [s, renderReport(exposureOf(s, JSON.parse(readFileSync(join(out, 'stacks', s, 'cdk.tf.json'), 'utf8'))), undefined)]));
  } finally {
    process.env = old;
    rmSync(out, { recursive: true, force: true });
  }
}

describe('security report: operations (alarm targets, rule selection, teardown, cost)', () => {
  const prod = reports({ FORTRESS_ALARM_EMAILS: 'oncall@example.com' });
  it('the cluster report names whom each alarm pages and how missing data counts', () => {
    const r = prod['mqtt-cluster']!;
    assert.match(r, /### Alarm targets/);
    assert.match(r, /-mqtt-authentication-failures \| SNS topic .*-mqtt-alarms \(created here, KMS-encrypted; subscribers: email oncall@example\.com\) \| notBreaching/);
    assert.match(r, /-container-logs-missing \| SNS topic .* \| breaching/);
  });
  it('without a target the default app says in bold that nobody is paged', () => {
    assert.match(reports({})['mqtt-cluster']!, /\*\*no subscriber: nobody is paged until someone subscribes\*\*/);
  });
  it('the broker report names the Prometheus that loads the rules', () => {
    assert.match(prod['mosquitto-k8s']!, /mqtt\/mosquitto-alerts \| .*release: kube-prometheus-stack \| kube-prometheus-stack installed as Helm release "kube-prometheus-stack"/);
    assert.match(reports({ FORTRESS_PROMETHEUS_RELEASE: 'prom' })['mosquitto-k8s']!, /Helm release "prom" \(its default ruleSelector is release: prom\)/);
  });
  it('the network report lists each endpoint policy and the endpoint-hours; the credentials report the recovery window and break-glass', () => {
    const n = prod['mqtt-network']!;
    assert.match(n, /\| secretsmanager \| restricted: OwnPrincipalsOwnResources \|/);
    assert.match(n, /\| s3 \| restricted: OwnPrincipalsOwnResources, EcrImageLayers \|/);
    assert.match(n, /\| eks-auth \| none \(the service does not support endpoint policies\) \|/);
    assert.match(n, /Interface endpoints \| 10 endpoints in 30 endpoint-zones: 30 endpoint-hours per hour, about 21900 per month/);
    assert.match(n, /VPC flow logs \| traffic ALL, aggregated every 60 s, kept 365 days/);
    assert.match(prod['mosquitto-credentials']!, /\| mqtt-fortress\/mosquitto\/\* \| 30 days \| arn:<partition>:iam::<account>:root \|/);
  });
  it('cost drivers: production by default; FORTRESS_COST_PROFILE=non-production is named and shows the smaller numbers', () => {
    const c = prod['mqtt-cluster']!;
    assert.match(c, /Cost profile \| production/);
    assert.match(c, /EKS control-plane logs \| 5 log types .*kept 365 days/);
    assert.match(c, /CloudWatch Application Signals \| off/);
    const np = reports({ FORTRESS_COST_PROFILE: 'non-production', FORTRESS_ALARM_EMAILS: 'oncall@example.com' });
    assert.match(np['mqtt-network']!, /Cost profile \| non-production/);
    assert.match(np['mqtt-network']!, /10 endpoints in 20 endpoint-zones: 20 endpoint-hours per hour, about 14600 per month/);
    assert.match(np['mqtt-network']!, /traffic REJECT, .* kept 90 days/);
    assert.match(np['mqtt-cluster']!, /EKS control-plane logs \| 5 log types .*kept 90 days/);
    assert.match(np['mqtt-cluster']!, /Container Insights enhanced metrics \| off/);
    assert.match(np['mqtt-network']!, /restricted: OwnPrincipalsOwnResources/, 'endpoint policies stay on');
  });
});
