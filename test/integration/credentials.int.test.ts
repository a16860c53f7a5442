/**
 * The init container and reloader script (templates/mosquitto/fortress-auth.sh) against a real
 * Mosquitto: hashes from a Secret-like directory, rotation with validation before the reload,
 * revocation, and no password in any output.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPasswordLine, verifyPasswordLine } from '../../constructs/mosquitto/passwd.js';
import { createLocalBundle } from '../../scripts/local-bundle.js';
import { type AuthDirs, authDirs, fixOwnership, runAuthScript } from '../helpers/auth-script.js';
import { connect, freePort, publishCode, type RunningBroker, startFromBundle, tryConnect } from '../helpers/broker.js';
import { missing, missingBroker } from '../helpers/peers.js';

const skip = missingBroker ?? missing.mosquittoPasswd;

describe('password hashing: TypeScript and mosquitto_passwd agree', { skip }, () => {
  it('a mosquitto_passwd line verifies in TypeScript, and a TypeScript line has its format', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortress-pw-'));
    try {
      const f = join(dir, 'pw');
      const pw = 'Zq3'.repeat(12);
      writeFileSync(f, `alice:${pw}\n`);
      execFileSync('mosquitto_passwd', ['-U', f]);
      const line = readFileSync(f, 'utf8').trim();
      assert.match(line, /^alice:\$7\$101\$/);
      assert.equal(verifyPasswordLine(line, pw), true);
      assert.equal(verifyPasswordLine(line, `${pw}x`), false);
      const ts = hashPasswordLine('alice', pw);
      assert.equal(ts.split('$').length, 5);
      assert.equal(verifyPasswordLine(ts, pw), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fortress-auth.sh (init container and reloader) with a real Mosquitto', { skip }, () => {
  let b: RunningBroker;
  let d: AuthDirs;
  let dir: string;
  const secretValues = () => b.bundle.users.map((u) => u.password);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fortress-auth-'));
    const bundle = createLocalBundle({ out: dir, port: await freePort() });
    d = authDirs(bundle, dir);
    // Replace the TypeScript-hashed files with what the init container builds.
    rmSync(join(d.out, 'passwd'));
    const r = runAuthScript('build', d);
    assert.equal(r.status, 0, r.stderr);
    b = await startFromBundle(bundle, dir);
  });
  after(async () => b?.stop());

  it('build: every user of the Secret connects with the hashed file', async () => {
    for (const u of b.bundle.users) assert.equal(await tryConnect(b.bundle, u), 'ok', u.username);
  });

  it('rotation: a changed password is picked up after validation and SIGHUP; other sessions stay up', async () => {
    const dev = b.bundle.users.find((u) => u.role === 'device')!;
    const svc = b.bundle.users.find((u) => u.role === 'service')!;
    const live = await connect(b.bundle, svc, { clientId: `${svc.username}-live` });
    const rotated = await connect(b.bundle, dev, { clientId: `${dev.username}-live` });
    // The timer starts after the script ran (spawnSync blocks the event loop meanwhile).
    let isClosed = false;
    rotated.once('close', () => (isClosed = true));
    const rotatedClosed = async () => {
      for (let i = 0; i < 60 && !isClosed; i++) await new Promise((res) => setTimeout(res, 50));
      return isClosed;
    };
    const newPw = `N${'ew-rotated-password-'.repeat(3)}`;
    writeFileSync(join(d.plain, dev.username), newPw);
    fixOwnership(dir);
    const r = runAuthScript('once', d, b.proc.pid);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /asked the broker to reload \(SIGHUP/);
    await b.waitForLog('Reloading config.');
    assert.equal(await tryConnect(b.bundle, dev), 'rc135', 'old password must stop working');
    assert.equal(await tryConnect(b.bundle, { username: dev.username, password: newPw }), 'ok');
    assert.equal(await publishCode(live, `devices/${dev.username}/commands/ping`, 'still-up'), 0, 'an unchanged identity keeps its session through the reload');
    assert.equal(await rotatedClosed(), true, 'Mosquitto re-checks sessions on reload: the old credential is revoked at once');
    await live.endAsync();
    rotated.end(true);
    assert.ok(!r.stderr.includes(newPw) && !r.stdout.includes(newPw));
    (dev as { password: string }).password = newPw;
  });

  it('an invalid new password (too short) keeps that identity on its current password and is logged as incomplete', async () => {
    const dev = b.bundle.users.filter((u) => u.role === 'device')[1]!;
    writeFileSync(join(d.plain, dev.username), 'short-pw');
    fixOwnership(dir);
    const r = runAuthScript('once', d, b.proc.pid);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`incomplete identity ${dev.username}: its password is shorter than 32 characters \\(baseline AUTH-2\\); it keeps its current password`));
    assert.ok(!r.stderr.includes('short-pw'));
    for (const s of secretValues()) assert.ok(!r.stderr.includes(s));
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(await tryConnect(b.bundle, dev), 'ok', 'the current password still works');
    assert.equal(await tryConnect(b.bundle, { username: dev.username, password: 'short-pw' }), 'rc135');
    writeFileSync(join(d.plain, dev.username), dev.password);
    fixOwnership(dir);
    assert.equal(runAuthScript('once', d, b.proc.pid).status, 0);
  });

  it('a malformed ACL is never signalled to the broker', () => {
    const acl = join(dir, 'config', 'acl');
    const good = readFileSync(acl, 'utf8');
    appendFileSync(acl, 'topic readwrite\n');
    writeFileSync(join(d.plain, b.bundle.users[0]!.username), `${b.bundle.users[0]!.password}-changed-to-trigger`);
    fixOwnership(dir);
    const r = runAuthScript('once', d, b.proc.pid);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /has 1 malformed line/);
    writeFileSync(acl, good);
    writeFileSync(join(d.plain, b.bundle.users[0]!.username), b.bundle.users[0]!.password);
    fixOwnership(dir);
    assert.equal(runAuthScript('once', d, b.proc.pid).status, 0);
  });

  it('revocation: a user removed from the list is refused after the reload', async () => {
    const gone = b.bundle.users.filter((u) => u.role === 'device')[1]!;
    assert.equal(await tryConnect(b.bundle, gone), 'ok');
    writeFileSync(
      d.users,
      `${b.bundle.users
        .filter((u) => u !== gone)
        .map((u) => u.username)
        .join('\n')}\n`,
    );
    fixOwnership(dir);
    const r = runAuthScript('once', d, b.proc.pid);
    assert.equal(r.status, 0, r.stderr);
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(await tryConnect(b.bundle, gone), 'rc135');
  });

  it('a missing Secret key keeps that identity on its current password, with a line naming the user, not a password', () => {
    const u = b.bundle.users[0]!;
    rmSync(join(d.plain, u.username));
    const r = runAuthScript('once', d, b.proc.pid);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`fortress-auth: incomplete identity ${u.username}: the Secret has no key "${u.username}"; it keeps its current password`));
    for (const s of secretValues()) assert.ok(!r.stderr.includes(s));
  });
});
