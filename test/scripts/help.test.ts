/**
 * Every script of scripts/: `--help` prints the usage, exits 0 and changes nothing; an unknown
 * flag exits 1 with one line and changes nothing.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { oneLineError, runScript, tree } from '../helpers/run-script.js';

const SCRIPTS: [script: string, usage: RegExp][] = [
  ['dist/scripts/synth.js', /^npm run synth -- \[--out DIR\]/],
  ['dist/scripts/report.js', /^npm run report -- \[--out DIR\]\nnpm run report -- --diff BEFORE AFTER/],
  ['dist/scripts/render.js', /^npm run render -- \[--out DIR\]/],
  ['dist/scripts/local-bundle.js', /^npm run local -- --out DIR/],
  ['dist/scripts/bench.js', /^npm run bench -- \[--runs N\]/],
  ['scripts/run-tests.mjs', /^node scripts\/run-tests\.mjs \[--fast\]/],
  ['scripts/setup-peers.sh', /^scripts\/setup-peers\.sh \[--dry-run\]/],
  ['scripts/consumer-test.sh', /^scripts\/consumer-test\.sh \[--keep\]/],
];

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
/** A working directory with an earlier output in it, which no --help or bad flag may touch. */
function workdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fortress-help-'));
  dirs.push(d);
  writeFileSync(join(d, 'keep.txt'), 'untouched');
  return d;
}

describe('every script: --help and an unknown flag', () => {
  for (const [script, usage] of SCRIPTS) {
    it(`${script} --help prints its usage, exits 0, writes nothing`, async () => {
      const cwd = workdir();
      const before = tree(cwd);
      for (const flag of ['--help', '-h']) {
        const r = await runScript(script, [flag], { cwd });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, usage);
        assert.match(r.stdout, /--help/);
        assert.equal(r.stderr, '');
      }
      // Even after other valid flags: --help wins and nothing runs.
      const r = await runScript(script, ['--out', 'x', '--help'], { cwd });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(tree(cwd), before);
    });
    it(`${script} --no-such-flag exits 1 with one line, writes nothing`, async () => {
      const cwd = workdir();
      const before = tree(cwd);
      const r = await runScript(script, ['--no-such-flag'], { cwd });
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.equal(oneLineError(r), undefined);
      assert.match(r.stderr, /no-such-flag/);
      assert.deepEqual(tree(cwd), before);
    });
  }
});
