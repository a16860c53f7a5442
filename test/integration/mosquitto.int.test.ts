/**
 * The configuration this kit deploys, started in a real Mosquitto from the local bundle, refuses
 * what it should (issue: foundation). Needs mosquitto and openssl (scripts/setup-peers.sh).
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';
import { collect, connect, publishCode, type RunningBroker, startBroker, subscribeCode, tryConnect } from '../helpers/broker.js';
import { missingBroker } from '../helpers/peers.js';

function rawTls(b: RunningBroker, version: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'): Promise<string> {
  return new Promise((res) => {
    const s = tls.connect(
      { host: '127.0.0.1', port: b.bundle.port, ca: readFileSync(b.bundle.caFile), servername: b.bundle.tlsServerName, minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' },
      () => {
        const p = s.getProtocol() ?? 'none';
        s.end();
        res(`ok ${p}`);
      },
    );
    s.on('error', (e: NodeJS.ErrnoException) => res(String(e.code)));
  });
}

describe('real Mosquitto with the default stack configuration', { skip: missingBroker }, () => {
  let b: RunningBroker;
  before(async () => {
    b = await startBroker();
  });
  after(async () => b?.stop());

  it('valid users of every role connect over TLS 1.2 and TLS 1.3', async () => {
    for (const u of b.bundle.users) {
      for (const v of ['TLSv1.2', 'TLSv1.3'] as const) {
        assert.equal(await tryConnect(b.bundle, u, { minVersion: v, maxVersion: v } as object), 'ok', `${u.username} over ${v}`);
      }
    }
    assert.equal(await rawTls(b, 'TLSv1.3'), 'ok TLSv1.3');
    assert.equal(await rawTls(b, 'TLSv1.2'), 'ok TLSv1.2');
  });

  it('refuses anonymous, wrong password, unknown user (MQTT 5 and 3.1.1)', async () => {
    const d = b.user('device');
    assert.equal(await tryConnect(b.bundle, undefined), 'rc135');
    assert.equal(await tryConnect(b.bundle, { username: d.username, password: `${d.password}x` }), 'rc135');
    assert.equal(await tryConnect(b.bundle, { username: d.username }), 'rc135');
    assert.equal(await tryConnect(b.bundle, { username: 'intruder', password: 'p'.repeat(43) }), 'rc135');
    assert.equal(await tryConnect(b.bundle, { username: d.username, password: 'wrong' }, { protocolVersion: 4 }), 'rc5');
    assert.equal(await tryConnect(b.bundle, undefined, { protocolVersion: 4 }), 'rc5');
  });

  it('refuses a TLS 1.1 handshake: the broker sends protocol_version', async () => {
    assert.equal(await rawTls(b, 'TLSv1.1'), 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    await b.waitForLog(/unsupported protocol/);
  });

  it('refuses plaintext MQTT on the TLS port', async () => {
    const r = await tryConnect(b.bundle, b.user('device'), { protocol: 'mqtt' });
    assert.notEqual(r, 'ok');
  });

  it('a device publishes and subscribes in its own subtree', async () => {
    const d = b.user('device');
    const dev = await connect(b.bundle, d);
    const be = await connect(b.bundle, b.user('service'));
    try {
      assert.equal(await subscribeCode(dev, `devices/${d.username}/commands/#`), 1);
      assert.equal(await subscribeCode(be, 'devices/+/telemetry'), 1);
      const atDev = collect(dev, 400);
      const atBe = collect(be, 400);
      assert.equal(await publishCode(dev, `devices/${d.username}/telemetry`, 't1'), 0);
      assert.equal(await publishCode(be, `devices/${d.username}/commands/update`, 'c1'), 0);
      assert.deepEqual(
        (await atDev).map((m) => `${m.topic}=${m.payload}`),
        [`devices/${d.username}/commands/update=c1`],
      );
      assert.deepEqual(
        (await atBe).map((m) => `${m.topic}=${m.payload}`),
        [`devices/${d.username}/telemetry=t1`],
      );
    } finally {
      await dev.endAsync();
      await be.endAsync();
    }
  });

  it("a device cannot publish to or read another device's subtree", async () => {
    const [d1, d2] = [b.user('device', 0), b.user('device', 1)];
    const c1 = await connect(b.bundle, d1);
    const c2 = await connect(b.bundle, d2);
    const be = await connect(b.bundle, b.user('service'));
    try {
      await subscribeCode(be, 'devices/+/telemetry');
      await subscribeCode(c2, `devices/${d2.username}/commands/#`);
      // Mosquitto's acl_file grants every SUBSCRIBE and filters each delivery by read access.
      await subscribeCode(c1, `devices/${d2.username}/commands/#`);
      await subscribeCode(c1, `devices/${d2.username}/#`);
      const at1 = collect(c1, 400);
      const at2 = collect(c2, 400);
      const atBe = collect(be, 400);
      assert.equal(await publishCode(c1, `devices/${d2.username}/telemetry`, 'spoof'), 135);
      assert.equal(await publishCode(be, `devices/${d2.username}/commands/x`, 'for-d2'), 0);
      assert.deepEqual(
        (await at1).map((m) => m.topic),
        [],
        'device 1 received device 2 traffic',
      );
      assert.deepEqual(
        (await at2).map((m) => m.topic),
        [`devices/${d2.username}/commands/x`],
        'positive control: device 2 gets its command',
      );
      assert.deepEqual(
        (await atBe).map((m) => m.topic),
        [],
        'spoofed telemetry reached the backend',
      );
    } finally {
      await Promise.all([c1.endAsync(), c2.endAsync(), be.endAsync()]);
    }
  });

  it('through "#" a client receives exactly what its ACL allows, and nobody may publish to $SYS', async () => {
    const policy = defaultMosquittoOptions().policy;
    const clients = await Promise.all(b.bundle.users.map((u) => connect(b.bundle, u)));
    try {
      const pubd = b.user('device');
      const pub = clients[b.bundle.users.indexOf(pubd)]!;
      for (const c of clients) if (c !== pub) await subscribeCode(c, '#');
      const got = clients.map((c) => (c === pub ? Promise.resolve([]) : collect(c, 400)));
      const topic = `devices/${pubd.username}/status`;
      await publishCode(pub, topic, 'status');
      const received = await Promise.all(got);
      let allowed = 0;
      for (const [i, u] of b.bundle.users.entries()) {
        if (u === pubd) continue;
        const want = policy.allows(u.username, 'receive', topic) ? [topic] : [];
        allowed += want.length;
        assert.deepEqual(
          received[i]!.map((m) => m.topic),
          want,
          `${u.username} through "#"`,
        );
      }
      assert.equal(allowed, 1, 'positive control: exactly the backend may read device status');
      for (const [i, c] of clients.entries()) assert.equal(await publishCode(c, '$SYS/broker/uptime', 'x'), 135, b.bundle.users[i]!.username);
    } finally {
      await Promise.all(clients.map((c) => c.endAsync()));
    }
  });

  it('an oversize message is not delivered; a packet over max_packet_size disconnects', async () => {
    const d = b.user('device');
    const be = await connect(b.bundle, b.user('service'));
    // MQTT 3.1.1: the broker drops the message silently (MQTT 5 answers with a PUBACK error code
    // that mqtt.js 5 does not know, and the client then closes the connection itself).
    const dev = await connect(b.bundle, d, { protocolVersion: 4 });
    try {
      await subscribeCode(be, 'devices/+/telemetry');
      const got = collect(be, 600);
      assert.equal(await publishCode(dev, `devices/${d.username}/telemetry`, Buffer.alloc(200 * 1024, 1)), 0);
      assert.equal(await publishCode(dev, `devices/${d.username}/telemetry`, 'small'), 0);
      assert.deepEqual(
        (await got).map((m) => m.payload.length),
        [5],
        'only the small message arrives',
      );
      const closed = new Promise<boolean>((r) => {
        dev.once('close', () => r(true));
        setTimeout(() => r(false), 3000);
      });
      dev.publish(`devices/${d.username}/telemetry`, Buffer.alloc(300 * 1024, 1), { qos: 0 });
      assert.equal(await closed, true, 'broker should disconnect a client sending a packet over max_packet_size');
    } finally {
      await be.endAsync();
      dev.end(true);
    }
  });

  it('the loopback metrics listener authenticates like every listener (one password file: queued messages survive), and monitoring reads $SYS', async () => {
    const m = b.user('monitor');
    const port = b.bundle.extraListeners.find((l) => l.purpose === 'metrics')!.port;
    const plain = { protocol: 'mqtt' as const, port };
    assert.equal(await tryConnect(b.bundle, { username: b.user('device').username, password: m.password }, plain), 'rc135');
    assert.equal(await tryConnect(b.bundle, undefined, plain), 'rc135');
    const c = await connect(b.bundle, m, plain);
    try {
      const got = collect(c, 1500);
      await subscribeCode(c, '$SYS/broker/version');
      const msgs = await got;
      assert.ok(
        msgs.some((x) => x.topic === '$SYS/broker/version' && /mosquitto version 2/.test(String(x.payload))),
        'monitoring reads $SYS/broker/version',
      );
      assert.equal(await publishCode(c, 'devices/x/telemetry', 'x'), 135);
    } finally {
      await c.endAsync();
    }
  });

  it('logs connections and refusals with ISO timestamps to stderr (MON-3)', async () => {
    await tryConnect(b.bundle, { username: 'intruder', password: 'p'.repeat(43) });
    await b.waitForLog(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: Client \S+ disconnected, not authorised\./);
    assert.match(b.logs(), /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: New client connected from 127\.0\.0\.1:\d+ as \S+ \(p\d, c\d, k\d+, u'sensor-0001'\)/);
  });
});

describe('real Mosquitto in TLS 1.3-only mode', { skip: missingBroker }, () => {
  it('refuses TLS 1.2 and accepts TLS 1.3', async () => {
    const base = defaultMosquittoOptions();
    const b = await startBroker({ broker: { ...base, tls: { ...base.tls, minVersion: '1.3' } } });
    try {
      assert.equal(await rawTls(b, 'TLSv1.2'), 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
      assert.equal(await rawTls(b, 'TLSv1.3'), 'ok TLSv1.3');
      assert.equal(await tryConnect(b.bundle, b.user('device')), 'ok');
    } finally {
      await b.stop();
    }
  });
});
