/** `npm run synth`: one summary line per stack, an output holding only this synth's stacks, atomic. */

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { oneLineError, runScript, tree } from '../helpers/run-script.js';

const SYNTH = 'dist/scripts/synth.js';
const cwd = mkdtempSync(join(tmpdir(), 'fortress-synth-cli-'));
after(() => rmSync(cwd, { recursive: true, force: true }));
const STACKS = ['mosquitto-credentials', 'mosquitto-k8s', 'mqtt-cluster', 'mqtt-network', 'mqtt-platform'];

describe('npm run synth', () => {
  it('prints one line per stack (resources, open findings) and writes cdktf.out', async () => {
    const r = await runScript(SYNTH, [], { cwd });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(
      lines.slice(0, 5).map((l) => l.split(':')[0]),
      ['mqtt-network', 'mqtt-cluster', 'mqtt-platform', 'mosquitto-credentials', 'mosquitto-k8s'],
    );
    for (const l of lines.slice(0, 5)) assert.match(l, /^[a-z0-9-]+: [1-9]\d* resources, 0 open findings( \(\d+ suppressed\))?$/);
    assert.match(lines[4]!, /^mosquitto-k8s: \d+ resources, 0 open findings \(1 suppressed\)$/);
    assert.equal(lines[5], '5 stacks written to cdktf.out/stacks');
    const tf = JSON.parse(readFileSync(join(cwd, 'cdktf.out', 'stacks', 'mqtt-network', 'cdk.tf.json'), 'utf8'));
    const count = Object.values<Record<string, unknown>>(tf.resource).reduce((n, r) => n + Object.keys(r).length, 0);
    assert.match(lines[0]!, new RegExp(`^mqtt-network: ${count} resources`));
  });
  it('a stack folder left from an earlier synth is gone; Terraform working files of current stacks stay', async () => {
    mkdirSync(join(cwd, 'cdktf.out', 'stacks', 'emqx-k8s'), { recursive: true });
    writeFileSync(join(cwd, 'cdktf.out', 'stacks', 'emqx-k8s', 'cdk.tf.json'), '{}');
    mkdirSync(join(cwd, 'cdktf.out', 'stacks', 'mqtt-network', '.terraform', 'providers'), { recursive: true });
    writeFileSync(join(cwd, 'cdktf.out', 'stacks', 'mqtt-network', '.terraform.lock.hcl'), '# lock');
    const r = await runScript(SYNTH, [], { cwd });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(join(cwd, 'cdktf.out', 'stacks')).sort(), STACKS);
    assert.ok(existsSync(join(cwd, 'cdktf.out', 'stacks', 'mqtt-network', '.terraform', 'providers')));
    assert.equal(readFileSync(join(cwd, 'cdktf.out', 'stacks', 'mqtt-network', '.terraform.lock.hcl'), 'utf8'), '# lock');
    assert.deepEqual(
      readdirSync(cwd).filter((f) => f.includes('.tmp-')),
      [],
    );
  });
  it('a failing synth exits 1 with one line and leaves the earlier output as it was', async () => {
    const before = tree(join(cwd, 'cdktf.out'));
    const tf = readFileSync(join(cwd, 'cdktf.out', 'stacks', 'mosquitto-k8s', 'cdk.tf.json'), 'utf8');
    const r = await runScript(SYNTH, [], { cwd, env: { FORTRESS_STATE_BUCKET: 'Not_A_Bucket' } });
    assert.equal(r.status, 1);
    assert.equal(oneLineError(r), undefined);
    assert.match(r.stderr, /^error STATE_BUCKET: FORTRESS_STATE_BUCKET must be an S3 bucket name/);
    assert.deepEqual(tree(join(cwd, 'cdktf.out')), before);
    assert.equal(readFileSync(join(cwd, 'cdktf.out', 'stacks', 'mosquitto-k8s', 'cdk.tf.json'), 'utf8'), tf);
    assert.deepEqual(
      readdirSync(cwd).filter((f) => f.includes('.tmp-')),
      [],
    );
  });
  it('refuses to replace a directory that is not a cdktf output, and a file', async () => {
    mkdirSync(join(cwd, 'mine'));
    writeFileSync(join(cwd, 'mine', 'notes.txt'), 'keep me');
    writeFileSync(join(cwd, 'a-file'), 'keep me');
    for (const [out, code] of [
      ['mine', 'OUT_NOT_EMPTY'],
      ['a-file', 'OUT_NOT_DIR'],
      ['a-file/sub', 'OUT_PARENT'],
    ] as const) {
      const r = await runScript(SYNTH, ['--out', out], { cwd });
      assert.equal(r.status, 1, out);
      assert.equal(oneLineError(r), undefined);
      assert.match(r.stderr, new RegExp(`^error ${code}: `));
    }
    assert.equal(readFileSync(join(cwd, 'mine', 'notes.txt'), 'utf8'), 'keep me');
    assert.equal(readFileSync(join(cwd, 'a-file'), 'utf8'), 'keep me');
  });
});

describe('npm run render', () => {
  it('writes kubernetes.yaml into --out, nothing elsewhere', async () => {
    const r = await runScript('dist/scripts/render.js', ['--out', 'rendered'], { cwd });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^wrote rendered\/stacks\/mosquitto-k8s\/kubernetes\.yaml$/m);
    assert.ok(readFileSync(join(cwd, 'rendered', 'stacks', 'mosquitto-k8s', 'kubernetes.yaml'), 'utf8').includes('kind: StatefulSet'));
  });
});
