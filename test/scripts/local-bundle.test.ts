/** `npm run local`: bad input exits 1 with one line and writes nothing. */

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseLocalArgs } from '../../scripts/local-bundle.js';
import { oneLineError, runScript, tree } from '../helpers/run-script.js';

const LOCAL = 'dist/scripts/local-bundle.js';
const cwd = mkdtempSync(join(tmpdir(), 'fortress-local-cli-'));
after(() => rmSync(cwd, { recursive: true, force: true }));
writeFileSync(join(cwd, 'a-file'), 'mine');
mkdirSync(join(cwd, 'mine'));
writeFileSync(join(cwd, 'mine', 'notes.txt'), 'mine');

describe('npm run local: bad input', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'an unknown --client-auth',
      ['--out', 'b', '--client-auth', 'bogus'],
      /^error USAGE: --client-auth must be one of password, password-and-certificate, certificate, password-or-certificate, got "bogus"/,
    ],
    ['--mtls with --client-auth', ['--out', 'b', '--mtls', '--client-auth', 'certificate'], /^error USAGE: --mtls and --client-auth/],
    ['no --out', [], /^error USAGE: --out DIR is required/],
    ['--out without a value', ['--out'], /^error USAGE: Option '--out <value>' argument missing/],
    ['--out naming an existing file', ['--out', 'a-file'], /^error OUT_NOT_DIR: --out .*a-file exists and is not a directory/],
    ['--out below a file', ['--out', 'a-file/sub'], /^error OUT_PARENT: /],
    ['--out naming a folder that is not a bundle', ['--out', 'mine'], /^error OUT_NOT_EMPTY: /],
    ['--out with white space', ['--out', 'my bundle'], /^error USAGE: --out "my bundle": the path may not contain white space/],
    ['a privileged port', ['--out', 'b', '--port', '80'], /^error USAGE: --port must be an integer from 1024 to 65533, got "80"/],
    ['a port that is not a number', ['--out', 'b', '--port', '88x3'], /^error USAGE: --port must be an integer/],
    // Refused by the renderer after parsing: nothing may be left behind.
    ['a plaintext port', ['--out', 'b', '--port', '1883'], /^error PLAINTEXT_PORT: port is 1883/],
    ['a stray argument', ['--out', 'b', 'extra'], /^error USAGE: unexpected argument "extra"/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: exit 1, one line, nothing written`, async () => {
      const before = tree(cwd);
      const r = await runScript(LOCAL, args, { cwd });
      assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
      assert.equal(oneLineError(r), undefined);
      assert.match(r.stderr, message);
      assert.deepEqual(tree(cwd), before);
    });
  }
  it('an unwritable parent directory: one line (EACCES as a user; as root, a read-only /proc path)', async () => {
    const locked = join(cwd, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    try {
      const out = process.getuid?.() === 0 ? '/proc/fortress-test/bundle' : join(locked, 'bundle');
      const r = await runScript(LOCAL, ['--out', out], { cwd });
      assert.equal(r.status, 1, r.stdout);
      assert.equal(oneLineError(r), undefined);
      assert.match(r.stderr, /^error (EACCES|ENOENT|EPERM|EROFS): /);
    } finally {
      rmSync(locked, { recursive: true, force: true });
    }
  });
  it('the parsed options carry the chosen mode (the bundle cannot claim mtls over a password-only config)', () => {
    assert.equal(parseLocalArgs(['--out', 'x', '--client-auth', 'certificate']).clientAuth, 'certificate');
    assert.equal(parseLocalArgs(['--out', 'x', '--mtls']).mtls, true);
    assert.equal(parseLocalArgs(['--out', 'x']).clientAuth, undefined);
    assert.equal(readFileSync(join(cwd, 'a-file'), 'utf8'), 'mine');
  });
});
