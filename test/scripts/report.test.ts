/**
 * `npm run report -- --diff BEFORE AFTER` as a CI gate: one-line errors with exit 1, exit 2 on
 * widening with --fail-on widen, the JSON form; and the report mode writing into --out.
 */

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ExposureDiff } from '../../constructs/audit/diff.js';
import { reachabilityWidening } from '../../constructs/review/reachability.js';
import { AUDIT_FILE, writeAuditResults } from '../../stacks/artifacts.js';
import { buildApp } from '../../stacks/main.js';
import { oneLineError, runScript, tree } from '../helpers/run-script.js';

const REPORT = 'dist/scripts/report.js';
const cwd = mkdtempSync(join(tmpdir(), 'fortress-report-cli-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

function synthTo(dir: string, env: Record<string, string> = {}): void {
  const old = { ...process.env };
  Object.assign(process.env, env);
  try {
    const app = buildApp(join(cwd, dir));
    app.synth();
    writeAuditResults(app);
  } finally {
    process.env = old;
  }
}

describe('report --diff: exit codes and errors', () => {
  before(() => {
    synthTo('base');
    synthTo('wider', { FORTRESS_DEVICE_CIDRS: '192.0.2.0/24' });
    cpSync(join(cwd, 'base'), join(cwd, 'same'), { recursive: true });
    cpSync(join(cwd, 'base'), join(cwd, 'broken-tf'), { recursive: true });
    writeFileSync(join(cwd, 'broken-tf', 'stacks', 'mosquitto-k8s', 'cdk.tf.json'), '{"resource": {');
    cpSync(join(cwd, 'base'), join(cwd, 'broken-audit'), { recursive: true });
    writeFileSync(join(cwd, 'broken-audit', 'stacks', 'mqtt-network', AUDIT_FILE), 'not json');
    mkdirSync(join(cwd, 'empty'));
    writeFileSync(join(cwd, 'a-file'), 'x');
  });

  it('--fail-on widen: exit 2 when a change widens exposure, 0 when none does', async () => {
    const widen = await runScript(REPORT, ['--diff', 'base', 'wider', '--fail-on', 'widen'], { cwd });
    assert.equal(widen.status, 2, widen.stderr);
    assert.match(widen.stdout, /### Widens exposure/);
    assert.match(widen.stderr, /^[1-9]\d* change\(s\) widen exposure or access$/m);
    const narrow = await runScript(REPORT, ['--diff', 'wider', 'base', '--fail-on', 'widen'], { cwd });
    assert.equal(narrow.status, 0, `${narrow.stdout}${narrow.stderr}`);
    assert.match(narrow.stdout, /### Narrows or neutral/);
    const same = await runScript(REPORT, ['--diff', 'base', 'same', '--fail-on', 'widen'], { cwd });
    assert.equal(same.status, 0, same.stderr);
    // Without --fail-on, a widening diff is a report, not a failure.
    assert.equal((await runScript(REPORT, ['--diff', 'base', 'wider'], { cwd })).status, 0);
  });

  it('--json: the same result as JSON, per stack, widening changes first', async () => {
    const r = await runScript(REPORT, ['--diff', 'base', 'wider', '--json'], { cwd });
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(r.stdout) as ExposureDiff;
    assert.equal(d.version, 2);
    assert.deepEqual([d.before, d.after], ['base', 'wider']);
    assert.deepEqual(
      d.stacks.map((s) => s.stack),
      ['mosquitto-credentials', 'mosquitto-k8s', 'mqtt-cluster', 'mqtt-network', 'mqtt-platform'],
    );
    const k8s = d.stacks.find((s) => s.stack === 'mosquitto-k8s')!;
    assert.equal(k8s.status, 'changed');
    assert.ok(
      k8s.changes.some((c) => c.widens && c.area === 'source range' && c.text.includes('192.0.2.0/24')),
      JSON.stringify(k8s.changes),
    );
    const firstNarrow = k8s.changes.findIndex((c) => !c.widens);
    assert.ok(firstNarrow === -1 || k8s.changes.slice(firstNarrow).every((c) => !c.widens), 'widening first');
    // The total: every stack's widening, plus the reachability gained across stacks.
    assert.equal(d.widening, d.stacks.reduce((n, s) => n + s.widening, 0) + reachabilityWidening(d.reachability));
    assert.ok(d.reachability.gained.some((e) => e.source === '192.0.2.0/24'));
    assert.equal(d.stacks.find((s) => s.stack === 'mosquitto-credentials')!.status, 'unchanged');
    // --json with --fail-on: still JSON on stdout, exit 2.
    const gate = await runScript(REPORT, ['--diff', 'base', 'wider', '--json', '--fail-on', 'widen'], { cwd });
    assert.equal(gate.status, 2);
    assert.equal((JSON.parse(gate.stdout) as ExposureDiff).widening, d.widening);
  });

  it('a stack present on one side only is added or removed', async () => {
    cpSync(join(cwd, 'base'), join(cwd, 'fewer'), { recursive: true });
    rmSync(join(cwd, 'fewer', 'stacks', 'mqtt-cluster'), { recursive: true });
    const d = JSON.parse((await runScript(REPORT, ['--diff', 'fewer', 'base', '--json'], { cwd })).stdout) as ExposureDiff;
    assert.equal(d.stacks.find((s) => s.stack === 'mqtt-cluster')!.status, 'added');
    const back = JSON.parse((await runScript(REPORT, ['--diff', 'base', 'fewer', '--json'], { cwd })).stdout) as ExposureDiff;
    assert.equal(back.stacks.find((s) => s.stack === 'mqtt-cluster')!.status, 'removed');
  });

  const bad: [string, string[], RegExp][] = [
    ['a missing BEFORE directory', ['--diff', 'nope', 'base'], /BEFORE directory nope does not exist/],
    ['a missing directory with --fail-on widen (errors stay 1)', ['--diff', 'base', 'nope', '--fail-on', 'widen'], /AFTER directory nope does not exist/],
    ['a missing AFTER directory', ['--diff', 'base', 'nope'], /AFTER directory nope does not exist/],
    ['a directory without stacks', ['--diff', 'empty', 'base'], /BEFORE directory empty holds no synthesized stack/],
    ['a file instead of a directory', ['--diff', 'base', 'a-file'], /AFTER a-file is not a directory/],
    ['a broken cdk.tf.json', ['--diff', 'base', 'broken-tf'], /AFTER: broken-tf\/stacks\/mosquitto-k8s\/cdk\.tf\.json is not valid JSON/],
    ['a broken audit file', ['--diff', 'broken-audit', 'base'], /BEFORE: broken-audit\/stacks\/mqtt-network\/mqtt-fortress-audit\.json is not valid JSON/],
    ['one directory', ['--diff', 'base'], /--diff needs two directories/],
    ['three directories', ['--diff', 'base', 'same', 'wider'], /--diff needs two directories/],
    ['an unknown --fail-on', ['--diff', 'base', 'same', '--fail-on', 'narrow'], /--fail-on accepts only "widen"/],
    ['--fail-on without --diff', ['--fail-on', 'widen'], /apply only to --diff/],
    ['a directory without --diff', ['base'], /unexpected argument "base"/],
  ];
  for (const [what, args, message] of bad) {
    it(`${what}: exit 1, one line, nothing written`, async () => {
      const snapshot = tree(cwd);
      const r = await runScript(REPORT, args, { cwd });
      assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
      assert.equal(oneLineError(r), undefined);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
      assert.deepEqual(tree(cwd), snapshot);
    });
  }
  it('a widening diff back to the base is not widening: leaving a load balancer narrows', async () => {
    const d = JSON.parse((await runScript(REPORT, ['--diff', 'wider', 'base', '--json'], { cwd })).stdout) as ExposureDiff;
    assert.equal(d.widening, 0, JSON.stringify(d.stacks.flatMap((s) => s.changes.filter((c) => c.widens))));
    assert.ok(d.stacks.find((s) => s.stack === 'mosquitto-k8s')!.changes.some((c) => /no longer a load balancer/.test(c.text)));
  });
});

describe('report without --diff', () => {
  it('synthesizes into --out and writes the reports there, and only there', async () => {
    const r = await runScript(REPORT, ['--out', 'out'], { cwd });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^mosquitto-k8s: \d+ resources, 0 open findings \(1 suppressed\)$/m);
    assert.match(r.stdout, /^wrote out\/stacks\/mosquitto-k8s\/security-report\.sarif$/m);
    assert.match(r.stdout, /^wrote out\/reachability\.json$/m);
    const reach = JSON.parse(readFileSync(join(cwd, 'out', 'reachability.json'), 'utf8')) as { source: string; port: number; target: string; layers: unknown[] }[];
    assert.ok(
      reach.some((e) => e.source === 'namespace iot-backend' && e.port === 8883 && e.target === 'mqtt/mosquitto:8883' && e.layers.length === 3),
      JSON.stringify(reach),
    );
    assert.match(readFileSync(join(cwd, 'out', 'reachability.md'), 'utf8'), /^## Reachability$/m);
    const sarif = JSON.parse(readFileSync(join(cwd, 'out', 'stacks', 'mosquitto-k8s', 'security-report.sarif'), 'utf8'));
    assert.equal(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri.includes('.tmp-'), false);
    assert.deepEqual(
      tree(cwd).filter((f) => f.includes('.tmp-')),
      [],
    );
  });
});
