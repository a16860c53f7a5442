import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FortressError } from '../../../constructs/core/errors.js';
import { errorLine, parseCli, type UsageError, writeDirAtomically } from '../../../scripts/lib/cli.js';

const base = mkdtempSync(join(tmpdir(), 'fortress-cli-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(base, `case-${n++}`);
const opts = { what: 'output', replaceable: (d: string) => existsSync(join(d, 'marker')) };

describe('writeDirAtomically', () => {
  it('a new destination appears only complete', async () => {
    const dest = fresh();
    await writeDirAtomically(dest, opts, (tmp) => {
      writeFileSync(join(tmp, 'marker'), 'x');
      assert.equal(existsSync(dest), false, 'nothing at the destination while building');
    });
    assert.equal(readFileSync(join(dest, 'marker'), 'utf8'), 'x');
    assert.deepEqual(
      readdirSync(base).filter((f) => f.includes('.tmp-')),
      [],
    );
  });
  it('a failing build leaves the earlier output untouched and no temporary folder', async () => {
    const dest = fresh();
    mkdirSync(dest);
    writeFileSync(join(dest, 'marker'), 'old');
    await assert.rejects(
      writeDirAtomically(dest, opts, (tmp) => {
        writeFileSync(join(tmp, 'marker'), 'half');
        throw new FortressError('BOOM', 'refused');
      }),
      /refused/,
    );
    assert.equal(readFileSync(join(dest, 'marker'), 'utf8'), 'old');
    assert.deepEqual(
      readdirSync(base).filter((f) => f.includes('.tmp-')),
      [],
    );
  });
  it('replaces an earlier output whole (no stale entries) and keeps what `keep` names', async () => {
    const dest = fresh();
    mkdirSync(join(dest, 'stacks', 'gone'), { recursive: true });
    mkdirSync(join(dest, 'stacks', 'kept', '.terraform'), { recursive: true });
    writeFileSync(join(dest, 'marker'), 'old');
    await writeDirAtomically(dest, { ...opts, keep: () => ['stacks/kept/.terraform', 'stacks/gone/.terraform'] }, (tmp) => {
      mkdirSync(join(tmp, 'stacks', 'kept'), { recursive: true });
      writeFileSync(join(tmp, 'marker'), 'new');
    });
    assert.deepEqual(readdirSync(join(dest, 'stacks')), ['kept']);
    assert.ok(existsSync(join(dest, 'stacks', 'kept', '.terraform')));
    assert.equal(readFileSync(join(dest, 'marker'), 'utf8'), 'new');
  });
  it('refuses a file, a non-empty foreign directory and a path below a file, before building', async () => {
    const file = fresh();
    writeFileSync(file, 'mine');
    const foreign = fresh();
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    let built = 0;
    const build = () => void built++;
    await assert.rejects(writeDirAtomically(file, opts, build), (e: FortressError) => e.code === 'OUT_NOT_DIR');
    await assert.rejects(writeDirAtomically(foreign, opts, build), (e: FortressError) => e.code === 'OUT_NOT_EMPTY');
    await assert.rejects(writeDirAtomically(join(file, 'sub'), opts, build), (e: FortressError) => e.code === 'OUT_PARENT');
    assert.equal(built, 0);
    assert.equal(readFileSync(join(foreign, 'notes.txt'), 'utf8'), 'mine');
  });
});

describe('parseCli and errorLine', () => {
  const spec = { command: 'x', usage: 'x [--out DIR]\n\nmore text', options: { out: { type: 'string' } } } as const;
  it('unknown options and stray arguments are one-line usage errors naming the usage', () => {
    assert.throws(
      () => parseCli(spec, ['--nope']),
      (e: UsageError) => e.code === 'USAGE' && /Unknown option '--nope'.*Usage: x \[--out DIR\]/.test(e.message) && !e.message.includes('\n'),
    );
    assert.throws(
      () => parseCli(spec, ['stray']),
      (e: UsageError) => /unexpected argument "stray"/.test(e.message),
    );
    assert.equal(parseCli(spec, ['--out', 'd']).values.out, 'd');
  });
  it('every error becomes one line without a stack', () => {
    const cases: [unknown, RegExp][] = [
      [new FortressError('C', 'two\nlines'), /^error C: two lines$/],
      [Object.assign(new Error('EACCES: permission denied, mkdir /x'), { code: 'EACCES' }), /^error EACCES: EACCES: permission denied, mkdir \/x$/],
      [new SyntaxError('Unexpected token } in JSON at position 3'), /^error SYNTAX: Unexpected token \} in JSON at position 3$/],
      [new TypeError('x is not a function'), /^error INTERNAL: x is not a function \(FORTRESS_DEBUG=1 prints the stack trace\)$/],
    ];
    for (const [e, want] of cases) assert.match(errorLine(e), want);
  });
});
