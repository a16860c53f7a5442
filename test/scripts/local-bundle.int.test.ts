/** `npm run local -- --out DIR`: the bundle lands whole in DIR, its paths name DIR, Mosquitto starts from it. */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { LocalBundle } from '../../scripts/local-bundle.js';
import { missing, missingBroker } from '../helpers/peers.js';
import { runScript } from '../helpers/run-script.js';

const cwd = mkdtempSync(join(tmpdir(), 'fortress-local-int-'));
// Started as root, mosquitto drops to its own user, which must be able to reach the bundle.
chmodSync(cwd, 0o755);
after(() => rmSync(cwd, { recursive: true, force: true }));
const port = 20000 + (process.pid % 20000);

function walkText(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walkText(join(dir, e.name)) : [readFileSync(join(dir, e.name), 'utf8')]));
}

describe('npm run local: a complete bundle', { skip: missing.openssl }, () => {
  const out = join(cwd, 'bundle');
  it('writes DIR whole; every path inside names DIR, none the temporary folder', async () => {
    const r = await runScript('dist/scripts/local-bundle.js', ['--out', 'bundle', '--port', String(port), '--client-auth', 'certificate'], { cwd });
    assert.equal(r.status, 0, r.stderr);
    const b = JSON.parse(readFileSync(join(out, 'bundle.json'), 'utf8')) as LocalBundle;
    assert.equal(b.config, join(out, 'config', 'mosquitto.conf'));
    assert.equal(b.clientAuth, 'certificate');
    assert.equal(b.mtls, true);
    assert.equal(b.clientCertificates.length, b.users.length);
    for (const text of walkText(out)) assert.doesNotMatch(text, /\.tmp-/);
    const conf = readFileSync(b.config, 'utf8');
    assert.match(conf, new RegExp(`cafile ${join(out, 'tls', 'ca.crt').replace(/[.]/g, '\\.')}`));
    assert.match(conf, /require_certificate true/);
    assert.equal(statSync(out).mode & 0o777, 0o700);
    assert.deepEqual(
      readdirSync(cwd).filter((f) => f.includes('.tmp-')),
      [],
    );
  });
  it('a second run replaces the earlier bundle (fresh passwords), nothing else is left', async () => {
    const old = JSON.parse(readFileSync(join(out, 'bundle.json'), 'utf8')) as LocalBundle;
    const r = await runScript('dist/scripts/local-bundle.js', ['--out', 'bundle', '--port', String(port)], { cwd });
    assert.equal(r.status, 0, r.stderr);
    const b = JSON.parse(readFileSync(join(out, 'bundle.json'), 'utf8')) as LocalBundle;
    assert.equal(b.clientAuth, 'password');
    assert.equal(b.clientCertificates.length, 0);
    assert.notEqual(b.users[0]!.password, old.users[0]!.password);
    assert.deepEqual(readdirSync(cwd).sort(), ['bundle']);
  });
  it('mosquitto starts from the moved bundle unchanged', { skip: missingBroker ?? missing.mosquitto }, async () => {
    const p = spawn('mosquitto', ['-c', join(out, 'config', 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`mosquitto did not open port ${port}: ${log}`)), 15_000);
        const on = (d: Buffer) => {
          log += d.toString();
          if (log.includes(`listen socket on port ${port}`)) {
            clearTimeout(t);
            resolve();
          }
        };
        p.stdout.on('data', on);
        p.stderr.on('data', on);
        p.on('exit', (c) => {
          clearTimeout(t);
          reject(new Error(`mosquitto exited ${c}: ${log}`));
        });
      });
      assert.doesNotMatch(log, /Error/);
    } finally {
      p.removeAllListeners('exit');
      p.kill();
    }
  });
});
