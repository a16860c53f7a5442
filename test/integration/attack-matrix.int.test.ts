/**
 * Attack matrix against a real Mosquitto started from the local bundle with the example policy:
 * every hostile case is refused, and every allowed case is delivered (so a broker that refuses
 * everything cannot pass).
 */

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { createLocalBundle } from '../../scripts/local-bundle.js';
import { type AuthDirs, authDirs, fixOwnership, runAuthScript } from '../helpers/auth-script.js';
import { collect, connect, freePort, publishCode, type RunningBroker, startFromBundle, subscribeCode, tryConnect } from '../helpers/broker.js';
import { missing, missingBroker } from '../helpers/peers.js';

const WINDOW = 350;

describe('attack matrix (example policy, real Mosquitto)', { skip: missingBroker ?? missing.mosquittoPasswd }, () => {
  let b: RunningBroker;
  let d: AuthDirs;
  let dir: string;
  const u = () => ({ s1: b.user('device', 0), s2: b.user('device', 1), svc: b.user('service'), m: b.user('monitor') });
  // Client id = username: a second connection of a user takes over the first. Cases fetch the
  // standing clients through live(), which reconnects and resubscribes when a case displaced one.
  const standing = new Map<string, MqttClient>();
  const standingSubs: Record<string, () => string[]> = {
    s1: () => [],
    s2: () => [`devices/${u().s2.username}/commands/#`],
    svc: () => ['devices/+/telemetry', 'devices/+/status'],
    m: () => [],
  };
  async function live(who: 's1' | 's2' | 'svc' | 'm'): Promise<MqttClient> {
    const c = standing.get(who);
    if (c?.connected) return c;
    c?.end(true);
    const fresh = await connect(b.bundle, u()[who]);
    for (const f of standingSubs[who]!()) await subscribeCode(fresh, f);
    standing.set(who, fresh);
    return fresh;
  }
  /** Publishes and reports how the broker refused: PUBACK 135, or closing the connection. */
  async function refusal(c: MqttClient, topic: string, payload = 'x', retain = false): Promise<string> {
    const closed = new Promise<string>((r) => c.once('close', () => r('disconnected')));
    const code = publishCode(c, topic, payload, { retain }).then(
      (rc) => `rc${rc}`,
      () => 'disconnected',
    );
    return Promise.race([code, closed]);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fortress-attack-'));
    const bundle = createLocalBundle({ out: dir, port: await freePort() });
    d = authDirs(bundle, dir);
    b = await startFromBundle(bundle, dir);
  });
  after(async () => {
    for (const c of standing.values()) c.end(true);
    await b?.stop();
  });

  /** Runs `act` while `watchers` collect, returns what each received. */
  async function during(watchers: MqttClient[], act: () => Promise<unknown>): Promise<string[][]> {
    const got = watchers.map((w) => collect(w, WINDOW));
    await act();
    return (await Promise.all(got)).map((ms) => ms.map((m) => m.topic));
  }

  const hostile: [string, () => Promise<void>][] = [
    [
      'device publishes to another device telemetry',
      async () => {
        const [atBe] = await during([await live('svc')], async () => assert.equal(await publishCode(await live('s1'), `devices/${u().s2.username}/telemetry`, 'x'), 135));
        assert.deepEqual(atBe, []);
      },
    ],
    ['device publishes to another device status', async () => assert.equal(await publishCode(await live('s1'), `devices/${u().s2.username}/status`, 'x'), 135)],
    [
      'device sends a command to another device',
      async () => {
        const [at2] = await during([await live('s2')], async () => assert.equal(await publishCode(await live('s1'), `devices/${u().s2.username}/commands/reboot`, 'x'), 135));
        assert.deepEqual(at2, []);
      },
    ],
    ['device forges a command to itself (only the backend commands devices)', async () => assert.equal(await publishCode(await live('s1'), `devices/${u().s1.username}/commands/reboot`, 'x'), 135)],
    [
      'device reads another device commands',
      async () => {
        await subscribeCode(await live('s1'), `devices/${u().s2.username}/commands/#`);
        const [at1] = await during([await live('s1')], async () => publishCode(await live('svc'), `devices/${u().s2.username}/commands/update`, 'x'));
        assert.deepEqual(at1, []);
      },
    ],
    [
      'device reads all telemetry through devices/+/telemetry',
      async () => {
        await subscribeCode(await live('s1'), 'devices/+/telemetry');
        const [at1] = await during([await live('s1')], async () => publishCode(await live('s2'), `devices/${u().s2.username}/telemetry`, 'x'));
        assert.deepEqual(at1, []);
      },
    ],
    [
      'device subscribes to #',
      async () => {
        await subscribeCode(await live('s1'), '#');
        const [at1] = await during([await live('s1')], async () => publishCode(await live('s2'), `devices/${u().s2.username}/status`, 'x'));
        assert.deepEqual(at1, []);
      },
    ],
    [
      'device subscribes to +/#',
      async () => {
        await subscribeCode(await live('s1'), '+/#');
        const [at1] = await during([await live('s1')], async () => publishCode(await live('svc'), `devices/${u().s2.username}/commands/x`, 'x'));
        assert.deepEqual(at1, []);
      },
    ],
    [
      'device reads $SYS',
      async () => {
        await subscribeCode(await live('s1'), '$SYS/#');
        const got = await collect(await live('s1'), 1200);
        assert.deepEqual(
          got.filter((m) => m.topic.startsWith('$SYS')),
          [],
        );
      },
    ],
    ['device writes $SYS', async () => assert.equal(await publishCode(await live('s1'), '$SYS/broker/clients/connected', '0'), 135)],
    ['backend writes $SYS', async () => assert.equal(await publishCode(await live('svc'), '$SYS/broker/uptime', '0'), 135)],
    ['monitoring identity sends a command', async () => assert.equal(await publishCode(await live('m'), `devices/${u().s1.username}/commands/reboot`, 'x'), 135)],
    [
      'monitoring identity reads telemetry',
      async () => {
        await subscribeCode(await live('m'), 'devices/+/telemetry');
        const [atMon] = await during([await live('m')], async () => publishCode(await live('s2'), `devices/${u().s2.username}/telemetry`, 'x'));
        assert.deepEqual(atMon, []);
      },
    ],
    ['backend publishes fake telemetry', async () => assert.equal(await publishCode(await live('svc'), `devices/${u().s1.username}/telemetry`, 'x'), 135)],
    [
      'client id spoofing: a device reuses another device client id',
      async () => {
        let kicked = false;
        (await live('s2')).once('close', () => (kicked = true));
        const spoof = await connect(b.bundle, u().s1, { clientId: u().s2.username });
        await new Promise((r) => setTimeout(r, 250));
        assert.equal(kicked, false, 'use_username_as_clientid: the session of the other device survives');
        assert.equal(await publishCode(spoof, `devices/${u().s2.username}/telemetry`, 'x'), 135, 'and the spoofer gains none of its rights');
        spoof.end(true);
      },
    ],
    [
      'empty topic',
      async () => {
        const c = await live('s1');
        const closed = new Promise<boolean>((r) => {
          c.once('close', () => r(true));
          setTimeout(() => r(false), 1500);
        });
        c.publish('', 'x', { qos: 0 });
        assert.equal(await closed, true, 'the broker disconnects a PUBLISH without topic');
      },
    ],
    [
      'very long topic (10 000 levels)',
      async () => {
        const topic = `devices/${u().s1.username}/${'x/'.repeat(10000)}telemetry`;
        const [atBe] = await during([await live('svc')], async () => assert.match(await refusal(await live('s1'), topic), /^(rc135|disconnected)$/));
        assert.deepEqual(atBe, []);
      },
    ],
    [
      'long topic (60 000 bytes) in another device subtree',
      async () => {
        const topic = `devices/${u().s2.username}/${'x'.repeat(60000)}`;
        const [at2] = await during([await live('s2')], async () => assert.match(await refusal(await live('s1'), topic), /^(rc135|disconnected)$/));
        assert.deepEqual(at2, []);
      },
    ],
    [
      'topic with a wildcard in a PUBLISH',
      async () => {
        const c = await connect(b.bundle, u().svc);
        const closed = new Promise<boolean>((r) => {
          c.once('close', () => r(true));
          setTimeout(() => r(false), 1500);
        });
        c.publish('devices/+/commands/x', 'x', { qos: 0 });
        assert.equal(await closed, true);
      },
    ],
    [
      'retained message planted in another subtree',
      async () => {
        assert.equal(await publishCode(await live('s1'), `devices/${u().s2.username}/commands/evil`, 'x', { retain: true }), 135);
        const late = await connect(b.bundle, u().s2, { clientId: 'ignored' });
        const got = collect(late, WINDOW);
        await subscribeCode(late, `devices/${u().s2.username}/commands/#`);
        assert.deepEqual(
          (await got).filter((m) => m.retain),
          [],
        );
        late.end(true);
      },
    ],
    [
      'retained telemetry read by another device',
      async () => {
        assert.equal(await publishCode(await live('s1'), `devices/${u().s1.username}/telemetry`, 'ret', { retain: true }), 0);
        const got = collect(await live('s2'), WINDOW);
        await subscribeCode(await live('s2'), `devices/${u().s1.username}/telemetry`);
        assert.deepEqual(await got, []);
      },
    ],
    [
      'shared subscription on all telemetry',
      async () => {
        await subscribeCode(await live('s1'), '$share/g/devices/+/telemetry');
        const [at1] = await during([await live('s1')], async () => publishCode(await live('s2'), `devices/${u().s2.username}/telemetry`, 'x'));
        assert.deepEqual(at1, []);
      },
    ],
    [
      'Last Will aimed at another device commands',
      async () => {
        const [at2] = await during([await live('s2')], async () => {
          const w = await connect(b.bundle, u().svc, { clientId: 'ignored', will: { topic: `devices/${u().s2.username}/status`, payload: Buffer.from('evil'), qos: 1, retain: false } });
          void w;
          const wd = await connect(b.bundle, u().s1, { will: { topic: `devices/${u().s2.username}/commands/evil`, payload: Buffer.from('evil'), qos: 1, retain: false } });
          (wd as unknown as { stream: { destroy(): void } }).stream.destroy();
        });
        assert.deepEqual(at2, []);
      },
    ],
    ['anonymous connection', async () => assert.equal(await tryConnect(b.bundle, undefined), 'rc135')],
    ['wrong password', async () => assert.equal(await tryConnect(b.bundle, { username: u().s1.username, password: u().s2.password }), 'rc135')],
    [
      'revoked identity after reload',
      async () => {
        const gone = u().s2;
        writeFileSync(
          d.users,
          `${b.bundle.users
            .filter((x) => x !== gone)
            .map((x) => x.username)
            .join('\n')}\n`,
        );
        fixOwnership(dir);
        const r = runAuthScript('once', d, b.proc.pid);
        assert.equal(r.status, 0, r.stderr);
        await b.waitForLog('Reloading config.');
        assert.equal(await tryConnect(b.bundle, gone), 'rc135');
        writeFileSync(d.users, `${b.bundle.users.map((x) => x.username).join('\n')}\n`);
        fixOwnership(dir);
        assert.equal(runAuthScript('once', d, b.proc.pid).status, 0);
        await new Promise((r) => setTimeout(r, 200));
        assert.ok((await live('s2')).connected, 'restored after re-adding it');
      },
    ],
  ];

  const allowed: [string, () => Promise<void>][] = [
    [
      'device telemetry reaches the backend',
      async () => {
        const [atBe] = await during([await live('svc')], async () => publishCode(await live('s1'), `devices/${u().s1.username}/telemetry`, 'ok'));
        assert.deepEqual(atBe, [`devices/${u().s1.username}/telemetry`]);
      },
    ],
    [
      'device status reaches the backend',
      async () => {
        const [atBe] = await during([await live('svc')], async () => publishCode(await live('s2'), `devices/${u().s2.username}/status`, 'ok'));
        assert.deepEqual(atBe, [`devices/${u().s2.username}/status`]);
      },
    ],
    [
      'backend command reaches its device',
      async () => {
        const [at2] = await during([await live('s2')], async () => publishCode(await live('svc'), `devices/${u().s2.username}/commands/update`, 'ok'));
        assert.deepEqual(at2, [`devices/${u().s2.username}/commands/update`]);
      },
    ],
    [
      'backend command reaches the other device',
      async () => {
        const c = await connect(b.bundle, u().s1);
        await subscribeCode(c, `devices/${u().s1.username}/commands/#`);
        const [at1] = await during([c], async () => publishCode(await live('svc'), `devices/${u().s1.username}/commands/update`, 'ok'));
        assert.deepEqual(at1, [`devices/${u().s1.username}/commands/update`]);
        standing.set('s1', c);
      },
    ],
    [
      'monitoring reads $SYS',
      async () => {
        const got = collect(await live('m'), 1500);
        await subscribeCode(await live('m'), '$SYS/broker/version');
        assert.ok((await got).some((m) => m.topic === '$SYS/broker/version'));
      },
    ],
    [
      'retained own telemetry reaches a late backend subscriber',
      async () => {
        assert.equal(await publishCode(await live('s1'), `devices/${u().s1.username}/telemetry`, 'retained-ok', { retain: true }), 0);
        const late = await connect(b.bundle, u().svc);
        const got = collect(late, WINDOW);
        await subscribeCode(late, 'devices/+/telemetry');
        assert.ok((await got).some((m) => m.retain && String(m.payload) === 'retained-ok'));
        late.end(true);
      },
    ],
  ];

  it(`has at least 20 hostile cases (${hostile.length})`, () => assert.ok(hostile.length >= 20));
  for (const [name, fn] of hostile) it(`refused: ${name}`, fn);
  for (const [name, fn] of allowed) it(`delivered: ${name}`, fn);
});
