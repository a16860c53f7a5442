/**
 * The alert rules as Prometheus itself reads them: `promtool check rules` (Prometheus 2.42 from
 * Debian) on the PrometheusRule's groups, and the selector labels that decide whether a
 * Prometheus loads them at all.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FortressError } from '../../constructs/core/errors.js';
import { buildMonitoring } from '../../constructs/monitoring/objects.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import { missing } from '../helpers/peers.js';
import { minimalBrokerProps } from '../helpers/synth.js';

const FAKE_DIGEST = `sha256:${'ab'.repeat(32)}`; // test fixture only: not a real image
const dir = mkdtempSync(join(tmpdir(), 'fortress-promtool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function promtoolCheck(groups: unknown): { status: number | null; out: string } {
  const file = join(dir, `rules-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, JSON.stringify({ groups })); // JSON is YAML
  const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('alert rules pass promtool check rules (MON-2)', { skip: missing.promtool }, () => {
  const b = buildMosquitto(minimalBrokerProps({ metricsExporter: { image: { digest: FAKE_DIGEST } } }));
  const mon = buildMonitoring({ broker: b.resolved, selectorLabels: { 'app.kubernetes.io/instance': 'mosquitto' }, prometheusLabels: { release: 'kube-prometheus-stack' } });
  const rule = mon.objects.find((o) => o.kind === 'PrometheusRule') as any;

  it('every rule of the PrometheusRule is valid for Prometheus', () => {
    const r = promtoolCheck(rule.spec.groups);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${mon.rules.length} rules found`));
  });
  it('the check can fail: a broken expression and a bad duration are refused', () => {
    const broken = [{ ...rule.spec.groups[0], rules: [{ ...rule.spec.groups[0].rules[0], expr: 'rate(broker_uptime[5m) >' }] }];
    assert.notEqual(promtoolCheck(broken).status, 0);
    const badFor = [{ ...rule.spec.groups[0], rules: [{ ...rule.spec.groups[0].rules[0], for: '5 minutes' }] }];
    assert.notEqual(promtoolCheck(badFor).status, 0);
  });
});

describe('selector labels decide which Prometheus loads the rules', () => {
  const b = buildMosquitto(minimalBrokerProps());
  const build = (labels: unknown) => buildMonitoring({ broker: b.resolved, selectorLabels: {}, prometheusLabels: labels as Record<string, string> });
  it('the PrometheusRule carries the labels (kube-prometheus-stack: release: <Helm release>)', () => {
    const r = build({ release: 'monitoring-stack' }).objects.find((o) => o.kind === 'PrometheusRule')!;
    assert.equal(r.metadata.labels?.release, 'monitoring-stack');
  });
  it('leaving them out, or an invalid label, fails with the documented default in the message', () => {
    assert.throws(
      () => build(undefined),
      (e: unknown) => e instanceof FortressError && e.code === 'MON_PROMETHEUS_LABELS' && /release: <its Helm release name>/.test(e.message),
    );
    assert.throws(
      () => build({ release: 'has spaces' }),
      (e: unknown) => e instanceof FortressError && /is not a valid Kubernetes label/.test(e.message),
    );
  });
});
