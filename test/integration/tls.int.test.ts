/**
 * TLS against a real Mosquitto (baseline TLS-1..TLS-5): every clientAuth mode synth accepts, with
 * real client certificates ('password-and-certificate' is refused at synth:
 * test/mosquitto/config.test.ts), and certificate reload through the real sidecar script: a
 * renewed pair reaches new connections without a restart while existing sessions stay up; a
 * broken, mismatched or expired pair never replaces a good one.
 */

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import type { ClientAuth } from '../../constructs/broker/client-auth.js';
import { type Ca, createCa, issueLeaf } from '../../scripts/lib/pki.js';
import { createLocalBundle } from '../../scripts/local-bundle.js';
import { authDirs, fixOwnership, runAuthScript } from '../helpers/auth-script.js';
import { collect, connect, freePort, publishCode, type RunningBroker, startFromBundle, subscribeCode, tryConnect } from '../helpers/broker.js';
import { missing, missingBroker } from '../helpers/peers.js';

/** The broker's certificate_expired alert, as Node names it: SSLV3 on Node 20 (OpenSSL 3.0), SSL/TLS on Node 22. */
const EXPIRED_ALERT = /^ERR_SSL_(SSLV3|SSL\/TLS)_ALERT_CERTIFICATE_EXPIRED$/;

const skip = missingBroker ?? missing.mosquittoPasswd;
const certOpts = (c: { cert: string; key: string }) => ({ cert: readFileSync(c.cert), key: readFileSync(c.key) });

async function brokerWith(
  clientAuth: ClientAuth,
): Promise<{ b: RunningBroker; dir: string; ca: Ca; intruder: { cert: string; key: string }; foreign: { cert: string; key: string }; expired: { cert: string; key: string } }> {
  const dir = mkdtempSync(join(tmpdir(), 'fortress-mtls-'));
  const bundle = createLocalBundle({ out: dir, port: await freePort(), clientAuth });
  const ca: Ca = { dir: join(dir, 'pki'), cert: join(dir, 'pki', 'ca.crt'), key: join(dir, 'pki', 'ca.key') };
  const extra = join(dir, 'extra');
  const intruder = issueLeaf(ca, extra, 'intruder', { cn: 'intruder', usage: 'client' });
  const foreign = issueLeaf(createCa(join(dir, 'other-ca'), 'another CA'), extra, 'foreign', { cn: bundle.users[0]!.username, usage: 'client' });
  const expired = issueLeaf(ca, extra, 'expired', { cn: bundle.users[0]!.username, usage: 'client', notBeforeDays: -30, notAfterDays: -1 });
  fixOwnership(dir);
  return { b: await startFromBundle(bundle, dir), dir, ca, intruder, foreign, expired };
}

describe("clientAuth 'certificate' (CN is the username)", { skip }, () => {
  let t: Awaited<ReturnType<typeof brokerWith>>;
  before(async () => (t = await brokerWith('certificate')));
  after(async () => t?.b.stop());

  it("a device's certificate alone authenticates it as its CN, with its rights", async () => {
    const dev = t.b.bundle.users.find((u) => u.role === 'device')!;
    const c = await connect(t.b.bundle, { username: dev.username }, certOpts(t.b.bundle.clientCertificates.find((x) => x.username === dev.username)!));
    assert.equal(await publishCode(c, `devices/${dev.username}/telemetry`, 'x'), 0);
    assert.equal(await publishCode(c, 'devices/someone-else/telemetry', 'x'), 135);
    await c.endAsync();
  });
  it('no certificate, another CA, expired: refused', async () => {
    const u = t.b.bundle.users[0]!;
    assert.match(await tryConnect(t.b.bundle, u), /CERTIFICATE_REQUIRED|ECONNRESET|closed/);
    assert.equal(await tryConnect(t.b.bundle, u, certOpts(t.foreign)), 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
    assert.match(await tryConnect(t.b.bundle, u, certOpts(t.expired)), EXPIRED_ALERT);
  });
  it('a CN that is no identity connects (Mosquitto limit) but every publish and delivery is refused', async () => {
    const c = await connect(t.b.bundle, {}, certOpts(t.intruder));
    const backend = t.b.bundle.users.find((u) => u.role === 'service')!;
    const be = await connect(t.b.bundle, { username: backend.username }, certOpts(t.b.bundle.clientCertificates.find((x) => x.username === backend.username)!));
    for (const topic of ['devices/sensor-0001/telemetry', 'devices/intruder/telemetry', 'x']) assert.equal(await publishCode(c, topic, 'x'), 135);
    await subscribeCode(c, '#');
    const got = collect(c, 400);
    await publishCode(be, 'devices/sensor-0001/commands/x', 'x');
    assert.deepEqual(await got, []);
    await Promise.all([c.endAsync(), be.endAsync()]);
  });
});

describe("clientAuth 'password-or-certificate' (two listeners)", { skip }, () => {
  let t: Awaited<ReturnType<typeof brokerWith>>;
  before(async () => (t = await brokerWith('password-or-certificate')));
  after(async () => t?.b.stop());
  it('passwords on the TLS port, certificates on the certificate port, each refused on the other', async () => {
    const u = t.b.bundle.users[0]!;
    const certPort = t.b.bundle.extraListeners.find((l) => l.purpose === 'certificate')!.port;
    const own = certOpts(t.b.bundle.clientCertificates.find((c) => c.username === u.username)!);
    assert.equal(await tryConnect(t.b.bundle, u), 'ok');
    assert.equal(await tryConnect(t.b.bundle, { username: u.username }, own), 'rc135', 'no password on the password port');
    assert.equal(await tryConnect(t.b.bundle, { username: u.username }, { ...own, port: certPort }), 'ok');
    assert.match(await tryConnect(t.b.bundle, u, { port: certPort }), /CERTIFICATE_REQUIRED|ECONNRESET|closed/);
    assert.match(await tryConnect(t.b.bundle, u, { ...certOpts(t.expired), port: certPort }), EXPIRED_ALERT);
  });
});

function serverFingerprint(b: RunningBroker): Promise<string> {
  return new Promise((res, rej) => {
    const s = tls.connect({ host: '127.0.0.1', port: b.bundle.port, ca: readFileSync(b.bundle.caFile), servername: b.bundle.tlsServerName }, () => {
      res(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.on('error', rej);
  });
}

describe('certificate reload without restart (TLS-4)', { skip }, () => {
  let b: RunningBroker;
  let dir: string;
  let ca: Ca;
  let src: string;
  let probePort: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fortress-reload-'));
    const bundle = createLocalBundle({ out: dir, port: await freePort() });
    ca = { dir: join(dir, 'pki'), cert: join(dir, 'pki', 'ca.crt'), key: join(dir, 'pki', 'ca.key') };
    src = join(dir, 'tls-source');
    mkdirSync(src);
    cpSync(join(dir, 'tls'), src, { recursive: true });
    authDirs(bundle, dir);
    probePort = await freePort();
    b = await startFromBundle(bundle, dir);
  });
  after(async () => b?.stop());

  const issue = (name: string, o: { notAfterDays?: number; notBeforeDays?: number } = {}) =>
    issueLeaf(ca, join(dir, 'issued'), name, { cn: 'localhost', usage: 'server', dnsNames: ['localhost'], ips: ['127.0.0.1'], ...o });
  const put = (cert: string, key: string) => {
    cpSync(cert, join(src, 'tls.crt'));
    cpSync(key, join(src, 'tls.key'));
    fixOwnership(dir);
  };
  const run = () => runAuthScript('tls-once', authDirs(b.bundle, dir), b.proc.pid, { tlsSrc: src, tlsDir: join(dir, 'tls'), probePort });

  it('a renewed pair is validated, staged and picked up by new connections; the existing session stays up', async () => {
    const before = await serverFingerprint(b);
    const live = await connect(b.bundle, b.user('service'));
    const renewed = issue('renewed');
    put(renewed.cert, renewed.key);
    const r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /certificate renewed and validated; asked the broker to reload/);
    await b.waitForLog('Reloading config.');
    const after = await serverFingerprint(b);
    assert.notEqual(after, before, 'new connections see the renewed certificate');
    assert.equal(after, new X509Certificate(readFileSync(renewed.cert)).fingerprint256);
    assert.equal(live.connected, true);
    assert.equal(await publishCode(live, 'devices/sensor-0001/commands/x', 'still up'), 0, 'the existing session survived the reload');
    await live.endAsync();
  });

  for (const [name, make] of [
    ['a key that does not match the certificate', () => ({ cert: issue('a').cert, key: issue('b').key })],
    ['an expired certificate', () => issue('expired', { notBeforeDays: -20, notAfterDays: -1 })],
    ['a certificate from another CA', () => issueLeaf(createCa(join(dir, 'rogue-ca'), 'rogue'), join(dir, 'issued'), 'rogue', { cn: 'localhost', usage: 'server', dnsNames: ['localhost'] })],
    ['a file that is not PEM', () => ({ cert: join(dir, 'config', 'users'), key: issue('c').key })],
  ] as const) {
    it(`${name} never replaces the good certificate`, async () => {
      const good = await serverFingerprint(b);
      const reloads = b.logs().split('Reloading config.').length;
      const bad = make();
      put(bad.cert, bad.key);
      const r = run();
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /new certificate rejected.*\n.*keeping the current certificate/);
      assert.equal(await serverFingerprint(b), good);
      assert.equal(b.logs().split('Reloading config.').length, reloads, 'no SIGHUP was sent');
    });
  }
});
