/**
 * No plaintext secret in synthesized output (baseline AUTH-2): synthesizes every default stack
 * and the example, renders a local bundle with fresh passwords, then scans every file of
 * cdktf.out for those passwords and for anything shaped like a secret value.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SECRET_SHAPES } from '../../constructs/audit/secrets.js';
import { createLocalBundle, type LocalBundle } from '../../scripts/local-bundle.js';
import { buildApp } from '../../stacks/main.js';
import { missing } from '../helpers/peers.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

export function scan(paths: string[], needles: string[]): string[] {
  const hits: string[] = [];
  for (const p of paths) {
    const text = readFileSync(p, 'latin1');
    for (const n of needles) if (text.includes(n)) hits.push(`${p}: contains a generated password`);
    for (const [name, re] of SECRET_SHAPES) if (re.test(text)) hits.push(`${p}: ${name}`);
  }
  return hits;
}

describe('no secret in synthesized output (AUTH-2)', { skip: missing.openssl }, () => {
  let out: string;
  let bundleDir: string;
  let bundle: LocalBundle;
  before(() => {
    out = mkdtempSync(join(tmpdir(), 'fortress-scan-'));
    bundleDir = mkdtempSync(join(tmpdir(), 'fortress-scan-bundle-'));
    bundle = createLocalBundle({ out: bundleDir, port: 18883 });
    buildApp(out).synth();
  });
  after(() => {
    rmSync(out, { recursive: true, force: true });
    rmSync(bundleDir, { recursive: true, force: true });
  });

  it('scans every synthesized file, assets included', () => {
    const all = files(out);
    assert.ok(all.some((f) => f.endsWith('cdk.tf.json')));
    assert.ok(
      all.some((f) => f.includes('assets')),
      'the rotation function asset is scanned too',
    );
    const hits = scan(
      all,
      bundle.users.map((u) => u.password),
    );
    assert.deepEqual(hits, []);
  });
  it('the scanner finds a planted password and each secret shape (it can fail)', () => {
    const planted = join(out, 'planted.json');
    writeFileSync(planted, `{"x":"${bundle.users[0]!.password}"}`);
    assert.equal(
      scan(
        [planted],
        bundle.users.map((u) => u.password),
      ).length,
      1,
    );
    const samples = [
      'user:$7$101$AAAAAAAAAAAAAAAA$BBBBBBBBBBBBBBBBBBBB',
      '-----BEGIN EC PRIVATE KEY-----',
      'AKIAABCDEFGHIJKLMNOP',
      '{"secret_string": "x"}',
      '{"password": "hunter2"}',
      'node.cookie = emqxsecretcookie',
    ];
    for (const s of samples) {
      writeFileSync(planted, s);
      assert.equal(scan([planted], []).length, 1, s);
    }
    rmSync(planted);
  });
});
