/**
 * Why AUTH-5 checks every listener, against a real Mosquitto 2.0.21: use_username_as_clientid is
 * a listener setting. When one listener (here the loopback metrics listener) lacks it, a client
 * authenticated there as one identity connects with another identity's client id and takes over
 * the session that identity opened on the TLS listener; with the line in every listener block,
 * its client id becomes its own username and the other session stays up. The audit reads the
 * same file and reports the listener without the line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { parseMosquittoConf } from '../../../constructs/audit/view.js';
import { createLocalBundle } from '../../../scripts/local-bundle.js';
import { connect, freePort, startFromBundle } from '../../helpers/broker.js';
import { missingBroker } from '../../helpers/peers.js';

const cases = [
  ['every listener binds the client id: the second client gets its own id, the first session stays', false],
  ['the metrics listener does not: a client there takes over the device session on the TLS listener', true],
] as const;

describe('AUTH-5: session takeover across listeners (real Mosquitto)', { skip: missingBroker }, () => {
  for (const [name, strip] of cases) {
    it(name, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fortress-auth5-'));
      const bundle = createLocalBundle({ out: dir, port: await freePort() });
      const metrics = bundle.extraListeners.find((l) => l.purpose === 'metrics')!;
      if (strip) {
        const text = readFileSync(bundle.config, 'utf8');
        const at = text.indexOf(`listener ${metrics.port} `);
        assert.ok(at > 0, 'the bundle has a metrics listener');
        writeFileSync(bundle.config, text.slice(0, at) + text.slice(at).replace('use_username_as_clientid true\n', ''));
      }
      const conf = parseMosquittoConf(readFileSync(bundle.config, 'utf8'));
      assert.deepEqual(
        conf.listeners.filter((l) => l.settings.get('use_username_as_clientid')?.at(-1) !== 'true').map((l) => l.port),
        strip ? [metrics.port] : [],
      );
      const broker = await startFromBundle(bundle, dir);
      const clients: MqttClient[] = [];
      try {
        const device = broker.user('device');
        const other = broker.user('service');
        const a = await connect(bundle, device);
        clients.push(a);
        let closed = false;
        a.on('close', () => {
          closed = true;
        });
        const b = await connect(bundle, other, { port: metrics.port, protocol: 'mqtt', clientId: device.username });
        clients.push(b);
        await broker.waitForLog(new RegExp(`New client connected from .* as ${strip ? device.username : other.username} `), 5000);
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(closed, strip, broker.logs());
        if (strip) assert.match(broker.logs(), new RegExp(`Client ${device.username} .*already connected, closing old connection`));
      } finally {
        for (const c of clients) c.end(true);
        await broker.stop();
      }
    });
  }
});
