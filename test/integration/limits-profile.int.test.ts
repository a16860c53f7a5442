/**
 * The AWS IoT Core parity profile (constructs/hardening/limits.ts) read back by a real Mosquitto
 * 2.0.21: it starts with the rendered mosquitto.conf, delivers a 128 KiB payload and drops one
 * byte more (message_size_limit = AWS IoT Core's message size), and lowers an MQTT 5 keepalive
 * above 1200 s to 1200 s (max_keepalive = AWS IoT Core's longest keepalive).
 */

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AWS_IOT_CORE_MOSQUITTO_LIMITS, AWS_IOT_CORE_QUOTAS } from '../../constructs/hardening/limits.js';
import { createLocalBundle } from '../../scripts/local-bundle.js';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';
import { collect, connect, freePort, publishCode, type RunningBroker, startFromBundle, subscribeCode } from '../helpers/broker.js';
import { missingBroker } from '../helpers/peers.js';

describe('AWS IoT Core parity profile in a real Mosquitto', { skip: missingBroker }, () => {
  let b: RunningBroker;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortress-limits-'));
    const base = defaultMosquittoOptions();
    const bundle = createLocalBundle({ out: dir, port: await freePort(), broker: { ...base, limits: { ...base.limits, ...AWS_IOT_CORE_MOSQUITTO_LIMITS } } });
    b = await startFromBundle(bundle, dir);
  });
  after(async () => b?.stop());

  it('a 128 KiB payload is delivered, one byte more is dropped', async () => {
    const d = b.user('device');
    const be = await connect(b.bundle, b.user('service'));
    const dev = await connect(b.bundle, d, { protocolVersion: 4 });
    try {
      await subscribeCode(be, 'devices/+/telemetry');
      const got = collect(be, 800);
      const max = AWS_IOT_CORE_QUOTAS.messageSizeBytes;
      assert.equal(await publishCode(dev, `devices/${d.username}/telemetry`, Buffer.alloc(max, 1)), 0);
      assert.equal(await publishCode(dev, `devices/${d.username}/telemetry`, Buffer.alloc(max + 1, 1)), 0);
      assert.equal(await publishCode(dev, `devices/${d.username}/telemetry`, 'small'), 0);
      assert.deepEqual(
        (await got).map((m) => m.payload.length),
        [max, 5],
      );
    } finally {
      await be.endAsync();
      dev.end(true);
    }
  });

  it('an MQTT 5 keepalive above 1200 s is lowered to 1200 s', async () => {
    const c = await connect(b.bundle, b.user('service'), { keepalive: 1500 });
    try {
      // The broker answers with a Server Keep Alive property in CONNACK.
      const connack = (c as unknown as { connackPacket: { properties?: { serverKeepAlive?: number } } }).connackPacket;
      assert.equal(connack.properties?.serverKeepAlive, AWS_IOT_CORE_QUOTAS.maxKeepaliveSeconds);
    } finally {
      await c.endAsync();
    }
  });
});
