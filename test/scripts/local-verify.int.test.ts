/**
 * `npm run local -- --verify` as a process: renders, starts mosquitto from the PATH, proves each
 * assertion case, prints one line per case and a summary, stops the broker; a broker that
 * disagrees and a machine without mosquitto each end in one error line.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseLocalArgs } from '../../scripts/local-bundle.js';
import { freePort } from '../helpers/broker.js';
import { missingBroker } from '../helpers/peers.js';
import { oneLineError, runScript } from '../helpers/run-script.js';

const LOCAL = 'dist/scripts/local-bundle.js';
const cwd = mkdtempSync(join(tmpdir(), 'fortress-verify-cli-'));
// Started as root, mosquitto drops to its own user, which must be able to reach the bundle.
chmodSync(cwd, 0o755);
after(() => rmSync(cwd, { recursive: true, force: true }));

const portIsFree = (port: number) =>
  new Promise<boolean>((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
const verifyTemps = () => readdirSync(tmpdir()).filter((f) => f.startsWith('fortress-verify-') && !f.startsWith('fortress-verify-cli-'));

describe('npm run local -- --verify', () => {
  it('parses without --out; --out alone is still required without --verify', () => {
    assert.equal(parseLocalArgs(['--verify']).verify, true);
    assert.equal(parseLocalArgs(['--verify']).out, '');
    assert.throws(() => parseLocalArgs([]), /--out DIR is required/);
    assert.throws(() => parseLocalArgs(['--out', '']), /--out DIR is required/);
  });

  it('no mosquitto on the PATH: exit 1, one line saying so, nothing written', async () => {
    const r = await runScript(LOCAL, ['--verify', '--out', 'never'], { cwd, env: { PATH: dirname(process.execPath) } });
    assert.equal(r.status, 1, r.stdout);
    assert.equal(oneLineError(r), undefined);
    assert.match(r.stderr, /^error MOSQUITTO_MISSING: --verify starts a real Mosquitto, and there is no mosquitto on the PATH/);
    assert.equal(existsSync(join(cwd, 'never')), false);
  });

  it('the default stack: one ok line per case and a summary, exit 0, broker stopped, bundle kept in --out', { skip: missingBroker }, async () => {
    const port = await freePort();
    const before = verifyTemps();
    const r = await runScript(LOCAL, ['--verify', '--out', 'kept', '--port', String(port)], { cwd });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, new RegExp(`^mosquitto 2\\.0\\.\\d+ running from .*kept/config/mosquitto\\.conf on 127\\.0\\.0\\.1:${port}`));
    const cases = lines.filter((l) => /^(ok|FAIL|n\/a) /.test(l));
    assert.equal(cases.length, 9, r.stdout);
    assert.ok(cases.every((l) => l.startsWith('ok   assertions[')));
    assert.ok(cases.some((l) => /sensor-0001 may not publish to "devices\/sensor-0002\/telemetry": PUBACK 135 \(not authorized\), not delivered to backend$/.test(l)));
    assert.equal(lines.at(-1), 'verified: 9 of 9 assertion case(s) proven over the wire');
    assert.ok(existsSync(join(cwd, 'kept', 'bundle.json')));
    assert.equal(await portIsFree(port), true, 'the broker was stopped');
    assert.deepEqual(verifyTemps(), before);
  });

  it('without --out: a temporary bundle on a free port, removed afterwards', { skip: missingBroker }, async () => {
    const before = verifyTemps();
    const r = await runScript(LOCAL, ['--verify', '--dynamic-security'], { cwd });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /verified: 9 of 9/);
    assert.deepEqual(verifyTemps(), before);
  });

  it('a broker that disagrees (its ACL opened on start): exit 1, one line naming the first failing case, FAIL lines, broker stopped', { skip: missingBroker }, async () => {
    // A `mosquitto` first on the PATH that opens the rendered ACL, then runs the real broker.
    const real = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).stdout.trim();
    const bin = join(cwd, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'mosquitto'), `#!/bin/sh\nif [ "$1" = "-c" ]; then acl=$(sed -n 's/^acl_file //p' "$2"); printf '\\npattern readwrite #\\n' >> "$acl"; fi\nexec ${real} "$@"\n`, {
      mode: 0o755,
    });
    const port = await freePort();
    const r = await runScript(LOCAL, ['--verify', '--port', String(port)], { cwd, env: { PATH: `${bin}:${process.env.PATH}` } });
    assert.equal(r.status, 1, r.stdout);
    assert.equal(oneLineError(r), undefined);
    assert.match(
      r.stderr.trim(),
      /^error ASSERTION_WIRE: assertions\[0\]\.deny\[0\]: the running broker does not hold "sensor-0001 may not subscribe to "devices\/sensor-0002\/#"": SUBACK \d \(granted QoS \d\), "devices\/sensor-0002\/telemetry" from sensor-0002 delivered \(and 2 more case\(s\), listed above\)$/,
    );
    assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('FAIL ')).length, 3, r.stdout);
    assert.match(r.stdout, /^FAILED: 6 of 9 assertion case\(s\) proven over the wire, 3 failed$/m);
    assert.equal(await portIsFree(port), true, 'the broker was stopped');
  });
});
