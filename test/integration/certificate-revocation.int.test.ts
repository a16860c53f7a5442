/**
 * Certificate revocation against a real Mosquitto with real TLS (Device Defender
 * REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE): the declared list (tls.revocation) rendered by the kit,
 * the CRL signed with the client CA's key by the real reloader (fortress-auth.sh ->
 * fortress-crl.sh, its own UID when run as root) and the real broker entrypoint. Measured: from the
 * moment the declared list changes until the open session of the revoked certificate is cut; then
 * the revoked certificate is refused at the handshake and a re-issued one for the same identity is
 * accepted with its rights. Also: a refreshed CRL is loaded by SIGHUP without cutting sessions; an
 * edited list and a CRL that does not verify against the client CA never replace the current CRL.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderRevocationIndex, resolveRevocation } from '../../constructs/tls/revocation.js';
import { type Ca, createCa, issueLeaf } from '../../scripts/lib/pki.js';
import { createLocalBundle, type LocalBundle } from '../../scripts/local-bundle.js';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';
import { connect, freePort, publishCode, tryConnect } from '../helpers/broker.js';
import { missing, missingBroker } from '../helpers/peers.js';
import { KubeletVolume, type PodDirs, podDirs, podIds, type ReloaderEnv, runReloader, type SupervisedBroker, startSupervised, startWatch } from '../helpers/pod.js';

const skip = missingBroker ?? missing.mosquittoPasswd;
/** Reloader interval here, seconds (production: reloadIntervalSeconds, default 30). */
const INTERVAL = 1;
/** The broker entrypoint's poll of the reload requests (its production default). */
const POLL = 1;
/** Signing, the restart of mosquitto and the TLS teardown on a loaded 2-core machine. */
const APPLY_BUDGET = 8;
const BOUND_MS = (INTERVAL + POLL + APPLY_BUDGET) * 1000;
/** The broker's alert for a revoked certificate, as Node names it (OpenSSL 3.0 on Node 20, 3.x on Node 22). */
const REVOKED_ALERT = /^ERR_SSL_(SSLV3|SSL\/TLS)_ALERT_CERTIFICATE_REVOKED$/;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(cond: () => T | undefined | Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const v = await cond();
    if (v !== undefined && v !== (false as unknown)) return v;
    await sleep(50);
  }
  return undefined;
}
const certOpts = (c: { cert: string; key: string }) => ({ cert: readFileSync(c.cert), key: readFileSync(c.key) });
const nowIso = () => `${new Date().toISOString().slice(0, 19)}Z`;
const serialOf = (certPath: string) => new X509Certificate(readFileSync(certPath)).serialNumber;

describe('certificate revocation in a real Mosquitto (CRL signed in the pod)', { skip }, () => {
  let dir: string;
  let bundle: LocalBundle;
  let d: PodDirs;
  let ca: Ca;
  let crlCa: KubeletVolume;
  let env: ReloaderEnv;
  let b: SupervisedBroker;
  const figures: string[] = [];

  const writeList = (revoked: { serial: string; identity: string }[]) => {
    const r = resolveRevocation('tls.revocation', { caSecretName: 'mosquitto-ca', revoked: revoked.map((e) => ({ ...e, reason: 'keyCompromise' as const, revokedAt: nowIso() })) });
    writeFileSync(join(d.config, 'revoked.index'), renderRevocationIndex(r));
  };
  const chownToReloader = (p: string) => {
    const ids = podIds();
    if (ids) execFileSync('chown', ['-R', '-h', `${ids.reloader}:${ids.gid}`, p]);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fortress-crl-'));
    const base = defaultMosquittoOptions();
    bundle = createLocalBundle({
      out: dir,
      port: await freePort(),
      clientAuth: 'certificate',
      broker: { ...base, tls: { ...base.tls, revocation: { caSecretName: 'mosquitto-ca', revoked: [] } } },
    });
    assert.match(readFileSync(bundle.config, 'utf8'), /^crlfile .*\/tls\/crl\.pem$/m, 'the rendered mosquitto.conf checks the CRL');
    d = podDirs(bundle, dir);
    ca = { dir: join(dir, 'pki'), cert: join(dir, 'pki', 'ca.crt'), key: join(dir, 'pki', 'ca.key') };
    // The client CA's Secret as the kubelet mounts it, readable by the reloader only.
    crlCa = KubeletVolume.create(join(dir, 'crl-ca'), { 'tls.crt': readFileSync(ca.cert), 'tls.key': readFileSync(ca.key) });
    chownToReloader(crlCa.dir);
    const probePort = await freePort();
    env = {
      probePort,
      interval: INTERVAL,
      extraEnv: { FORTRESS_CRL_INDEX: join(d.config, 'revoked.index'), FORTRESS_CRL_CA: crlCa.dir, FORTRESS_CRL_HOURS: '168', FORTRESS_CRL_REFRESH: '86400' },
    };
    const built = runReloader('build', d, env);
    assert.equal(built.status, 0, built.stderr);
    assert.match(built.stderr, /signed the CRL \(0 revoked, valid 168h\)/);
    b = await startSupervised(bundle, d, { interval: POLL });
  });
  after(async () => {
    await b?.stop();
    if (figures.length) console.log(figures.join('\n'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('revoking a certificate cuts its open session within interval + poll + apply; it is refused, a re-issued one is accepted', async (t) => {
    const [dev, other] = bundle.users.filter((u) => u.role === 'device');
    const own = bundle.clientCertificates.find((c) => c.username === dev!.username)!;
    const reissued = issueLeaf(ca, join(dir, 'reissued'), `${dev!.username}-2`, { cn: dev!.username, usage: 'client' });
    assert.notEqual(serialOf(reissued.cert), serialOf(own.cert));
    const w = startWatch(d, env);
    try {
      const session = await connect(bundle, { username: dev!.username }, certOpts(own));
      assert.equal(await publishCode(session, `devices/${dev!.username}/telemetry`, 'before'), 0);
      let cut = false;
      session.once('close', () => (cut = true));
      await sleep(INTERVAL * 1000 + 300);
      assert.equal(cut, false, 'nothing happens while the list is unchanged');

      const t0 = Date.now();
      writeList([{ serial: serialOf(own.cert), identity: dev!.username }]);
      const elapsed = await until(() => (cut ? Date.now() - t0 : undefined), BOUND_MS);
      assert.ok(elapsed !== undefined, `the revoked certificate's session was not cut within ${BOUND_MS} ms:\n${w.logs()}\n${b.logs().slice(-2000)}`);
      assert.match(w.logs(), /revocation list changed: signed a new CRL \(1 revoked\)/);

      // The broker is back once the re-issued certificate connects; the revoked one is refused at the handshake.
      const back = await until(async () => ((await tryConnect(bundle, { username: dev!.username }, certOpts(reissued))) === 'ok' ? Date.now() - t0 : undefined), BOUND_MS);
      assert.ok(back !== undefined, `the re-issued certificate was not accepted within ${BOUND_MS} ms:\n${b.logs().slice(-2000)}`);
      assert.match(await tryConnect(bundle, { username: dev!.username }, certOpts(own)), REVOKED_ALERT);
      const fresh = await connect(bundle, { username: dev!.username }, certOpts(reissued));
      assert.equal(await publishCode(fresh, `devices/${dev!.username}/telemetry`, 'after'), 0, 'the re-issued certificate keeps the identity and its rights');
      assert.equal(await publishCode(fresh, `devices/${other!.username}/telemetry`, 'x'), 135);
      await fresh.endAsync();
      // Other identities reconnect (the restart cut every session).
      assert.equal(await tryConnect(bundle, { username: other!.username }, certOpts(bundle.clientCertificates.find((c) => c.username === other!.username)!)), 'ok');
      figures.push(
        `revocation: open session of the revoked certificate cut ${elapsed} ms after the list changed; re-issued certificate accepted after ${back} ms (interval ${INTERVAL} s, poll ${POLL} s)`,
      );
      t.diagnostic(figures.at(-1)!);
    } finally {
      await w.stop();
    }
  });

  it('a refreshed CRL (same list, signed again) is loaded with SIGHUP: sessions stay up, the revoked certificate stays refused', async () => {
    const dev = bundle.users.find((u) => u.role === 'device')!;
    const reissued = { cert: join(dir, 'reissued', `${dev.username}-2.crt`), key: join(dir, 'reissued', `${dev.username}-2.key`) };
    const live = await connect(bundle, { username: dev.username }, certOpts(reissued));
    const before = readFileSync(join(d.tls, 'crl.pem'), 'utf8');
    const from = b.logs().length;
    await sleep(1100); // a new lastUpdate second: OpenSSL prefers the newer of two equal CRLs
    const r = runReloader('once', d, { ...env, extraEnv: { ...env.extraEnv, FORTRESS_CRL_REFRESH: '0' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /CRL signed again before it expires \(1 revoked/);
    assert.notEqual(readFileSync(join(d.tls, 'crl.pem'), 'utf8'), before);
    await b.waitForLog('Reloading config.', 8000, from);
    assert.equal(live.connected, true, 'a refresh does not cut sessions');
    assert.equal(await publishCode(live, `devices/${dev.username}/telemetry`, 'still up'), 0);
    const own = bundle.clientCertificates.find((c) => c.username === dev.username)!;
    assert.match(await tryConnect(bundle, { username: dev.username }, certOpts(own)), REVOKED_ALERT);
    await live.endAsync();
  });

  for (const [name, act, expect] of [
    ['an edited list (a line that is no revoked entry)', () => writeFileSync(join(d.config, 'revoked.index'), 'V\t491231000000Z\t\t01\tunknown\t/CN=x\n'), /revocation list refused: 1 line/],
    [
      'a hostile identity injected into the list',
      () => writeFileSync(join(d.config, 'revoked.index'), 'R\t261202000000Z\t261202000000Z,keyCompromise\t01\tunknown\t/CN=a\tb\n'),
      /revocation list refused/,
    ],
    [
      "a CA Secret of another CA (the CRL would not verify against the broker's client CA)",
      () => {
        const rogue = createCa(join(dir, 'rogue-ca'), 'rogue');
        crlCa.swap({ 'tls.crt': readFileSync(rogue.cert), 'tls.key': readFileSync(rogue.key) });
        chownToReloader(crlCa.dir);
        writeList([]);
      },
      /does not verify against the broker's client CA/,
    ],
  ] as const) {
    it(`${name} never replaces the current CRL`, async () => {
      const crl = readFileSync(join(d.tls, 'crl.pem'), 'utf8');
      const index = readFileSync(join(d.config, 'revoked.index'), 'utf8');
      act();
      const r = runReloader('once', d, env);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, expect);
      assert.equal(readFileSync(join(d.tls, 'crl.pem'), 'utf8'), crl, 'the current CRL stays');
      writeFileSync(join(d.config, 'revoked.index'), index);
      const dev = bundle.users.find((u) => u.role === 'device')!;
      assert.match(await tryConnect(bundle, { username: dev.username }, certOpts(bundle.clientCertificates.find((c) => c.username === dev.username)!)), REVOKED_ALERT);
    });
  }
});
