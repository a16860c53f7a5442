/**
 * The README's second command, `scripts/setup-peers.sh && npm test`, as written: as a user
 * without root it installs nothing, says what is missing and how to install it, and exits 0 so
 * the tests still run (and skip what is missing); as root with --dry-run it plans the Debian
 * packages, promtool's included. Peers are made "missing" with a PATH of basic tools only, and a
 * fake apt-get records any call.
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from '../helpers/run-script.js';

const dir = mkdtempSync(join(tmpdir(), 'fortress-setup-peers-'));
after(() => rmSync(dir, { recursive: true, force: true }));
chmodSync(dir, 0o755);
const bin = join(dir, 'bin');
mkdirSync(bin);
for (const tool of ['bash', 'id', 'grep', 'head', 'sed', 'cat', 'cut', 'paste', 'awk', 'env']) {
  const real = ['/usr/bin', '/bin'].map((d) => join(d, tool)).find((p) => existsSync(p));
  if (real) symlinkSync(real, join(bin, tool));
}
const marker = join(dir, 'apt-get-called');
writeFileSync(join(bin, 'apt-get'), `#!/bin/bash\necho "$@" >> ${marker}\n`, { mode: 0o755 });
const script = join(dir, 'setup-peers.sh');
copyFileSync(join(ROOT, 'scripts', 'setup-peers.sh'), script);
chmodSync(script, 0o755);

function run(args: string[], asUser: boolean): Promise<{ status: number; stdout: string; stderr: string }> {
  const root = process.getuid?.() === 0;
  // As root, drop to nobody for the user case; as a user, run directly.
  const [cmd, argv] = asUser && root ? ['/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', join(bin, 'bash'), script, ...args]] : [join(bin, 'bash'), [script, ...args]];
  return new Promise((resolve) =>
    execFile(cmd, argv, { env: { PATH: bin, HOME: dir }, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0, stdout, stderr }),
    ),
  );
}

describe('scripts/setup-peers.sh as written in the README', () => {
  it('the README runs it without sudo, and it is executable', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    assert.match(readme, /^scripts\/setup-peers\.sh && npm test /m);
    assert.doesNotMatch(readme.split('\n').slice(0, 8).join('\n'), /sudo /);
    assert.ok(statSync(join(ROOT, 'scripts', 'setup-peers.sh')).mode & 0o100);
  });
  it('as a user: installs nothing, names every missing peer and how to install it, exits 0', {
    skip: process.getuid?.() === 0 && !existsSync('/usr/bin/setpriv') ? 'setpriv is needed to run as a user' : undefined,
  }, async () => {
    rmSync(marker, { force: true });
    const r = await run([], true);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /not root, so nothing is installed\. Missing: mosquitto 2\.0\.18\+, mosquitto clients \(mosquitto_passwd and mosquitto_pub\), openssl, Erlang \(erl\) with crypto, Erlang public_key\/ssl\/inets, promtool\./,
    );
    assert.match(r.stdout, /reported as skipped with the reason.*sudo scripts\/setup-peers\.sh/);
    assert.equal(existsSync(marker), false, 'apt-get was called');
  });
  it('--dry-run (as whoever runs the tests, root in CI): plans backports Mosquitto and the Debian packages with prometheus, runs nothing', async () => {
    rmSync(marker, { force: true });
    const r = await run(['--dry-run'], false);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /would run: apt-get install -t bookworm-backports mosquitto mosquitto-clients$/m);
    assert.match(r.stdout, /would run: apt-get install --no-install-recommends openssl erlang-base erlang-crypto erlang-public-key erlang-ssl erlang-inets prometheus$/m);
    assert.equal(existsSync(marker), false, 'apt-get was called');
  });
  it('with every peer present it says so and touches nothing', async () => {
    for (const tool of ['mosquitto', 'mosquitto_passwd', 'mosquitto_pub', 'openssl', 'erl', 'promtool']) {
      writeFileSync(join(bin, tool), tool === 'mosquitto' ? '#!/bin/bash\necho "mosquitto version 2.0.21"\n' : '#!/bin/bash\n', { mode: 0o755 });
    }
    try {
      rmSync(marker, { force: true });
      const r = await run([], false);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'setup-peers: all peers present\n');
      assert.equal(existsSync(marker), false);
    } finally {
      for (const tool of ['mosquitto', 'mosquitto_passwd', 'mosquitto_pub', 'openssl', 'erl', 'promtool']) rmSync(join(bin, tool));
    }
  });
});
