/**
 * Queued messages reach offline clients (finding 4 of issue 12, Mosquitto issue 2618) on a real
 * Mosquitto started from the local bundle: QoS 1 and 2 commands published while a device with a
 * persistent session is offline are delivered when it reconnects, through a reload (SIGHUP, as the
 * reloader sends) and across a broker restart from the same persistence directory (the PVC), on
 * the password listener and on the certificate listener.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalBundle, type LocalBundle } from '../../scripts/local-bundle.js';
import { fixOwnership } from '../helpers/auth-script.js';
import { type ConnectOptions, connect, freePort, publishCode, type Received, type RunningBroker, startFromBundle, subscribeCode } from '../helpers/broker.js';
import { missing, missingBroker } from '../helpers/peers.js';

const PERSISTENT = { clean: false, properties: { sessionExpiryInterval: 3600 } } as const;

describe('queued QoS 1/2 messages reach offline devices (real Mosquitto, persistence on disk)', { skip: missingBroker ?? missing.mosquittoPasswd }, () => {
  let b: RunningBroker;
  let dir: string;
  let bundle: LocalBundle;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fortress-queue-'));
    bundle = createLocalBundle({ out: dir, port: await freePort(), clientAuth: 'password-or-certificate' });
    fixOwnership(dir);
    b = await startFromBundle(bundle, dir, { keepDir: true });
  });
  after(async () => {
    await b?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const user = (name: string) => bundle.users.find((u) => u.username === name)!;
  /** How device `name` connects: with its password on the TLS port, or its certificate on the certificate port. */
  const via = (name: string, kind: 'password' | 'certificate'): [{ username: string; password?: string }, ConnectOptions] => {
    if (kind === 'password') return [user(name), PERSISTENT];
    const c = bundle.clientCertificates.find((x) => x.username === name)!;
    return [{ username: name }, { ...PERSISTENT, cert: readFileSync(c.cert), key: readFileSync(c.key), port: bundle.extraListeners.find((l) => l.purpose === 'certificate')!.port }];
  };

  /** Subscribes with a persistent session, goes offline, receives commands, runs `meanwhile`, reconnects. */
  async function queued(device: string, kind: 'password' | 'certificate', tag: string, meanwhile: () => Promise<void>): Promise<string[]> {
    const [cred, opts] = via(device, kind);
    const d = await connect(bundle, cred, opts);
    assert.ok((await subscribeCode(d, `devices/${device}/commands/#`)) <= 2);
    await d.endAsync();
    const be = await connect(bundle, user('backend'));
    for (const qos of [1, 2] as const) {
      await new Promise<void>((res, rej) => be.publish(`devices/${device}/commands/${tag}-qos${qos}`, 'queued', { qos }, (e) => (e ? rej(e) : res())));
    }
    assert.equal(await publishCode(be, `devices/${device}/commands/${tag}-last`, 'x'), 0);
    await be.endAsync();
    await meanwhile();
    const got: Received[] = [];
    const back = await connect(bundle, cred, opts, got);
    await new Promise((r) => setTimeout(r, 700));
    await back.endAsync();
    return got.map((m) => m.topic).sort();
  }
  const expected = (device: string, tag: string) => [`devices/${device}/commands/${tag}-last`, `devices/${device}/commands/${tag}-qos1`, `devices/${device}/commands/${tag}-qos2`];

  for (const kind of ['password', 'certificate'] as const) {
    const device = kind === 'password' ? 'sensor-0002' : 'sensor-0001';
    it(`${kind} listener: delivered on reconnect`, async () => assert.deepEqual(await queued(device, kind, 'plain', async () => {}), expected(device, 'plain')));
    it(`${kind} listener: delivered after a reload (SIGHUP) while the device was offline`, async () => {
      const reloads = b.logs().split('Reloading config.').length;
      const got = await queued(device, kind, 'reload', async () => {
        b.proc.kill('SIGHUP');
        await b.waitForLog(new RegExp(`(Reloading config\\.[\\s\\S]*){${reloads}}`));
      });
      assert.deepEqual(got, expected(device, 'reload'));
    });
  }
  it('both listeners: delivered after the broker restarts from its persistence directory', async () => {
    const restart = async () => {
      await b.stop();
      b = await startFromBundle(bundle, dir, { keepDir: true });
    };
    // Queue for both devices, restart once, then check both.
    const [c2, o2] = via('sensor-0002', 'password');
    const [c1, o1] = via('sensor-0001', 'certificate');
    for (const [c, o, dev] of [
      [c2, o2, 'sensor-0002'],
      [c1, o1, 'sensor-0001'],
    ] as const) {
      const d = await connect(bundle, c, o);
      await subscribeCode(d, `devices/${dev}/commands/#`);
      await d.endAsync();
    }
    const be = await connect(bundle, user('backend'));
    for (const dev of ['sensor-0002', 'sensor-0001']) assert.equal(await publishCode(be, `devices/${dev}/commands/restart`, 'x'), 0);
    await be.endAsync();
    await restart();
    for (const [c, o, dev] of [
      [c2, o2, 'sensor-0002'],
      [c1, o1, 'sensor-0001'],
    ] as const) {
      const got: Received[] = [];
      const back = await connect(bundle, c, o, got);
      await new Promise((r) => setTimeout(r, 700));
      await back.endAsync();
      assert.deepEqual(
        got.map((m) => m.topic),
        [`devices/${dev}/commands/restart`],
        `${dev} after the restart`,
      );
    }
  });
});
