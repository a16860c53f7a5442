/** Connect + subscribe latency of a real Mosquitto started from a local bundle of `policy`. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import type { Policy } from '../../constructs/policy/model.js';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';
import { createLocalBundle } from '../local-bundle.js';

export async function measureLatency(policy: Policy, dir: string, clients: number): Promise<{ startMs: number; median: number; p95: number }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const bundle = createLocalBundle({ out: dir, port, broker: { ...defaultMosquittoOptions(), policy } });
  const t0 = performance.now();
  const proc = spawn('mosquitto', ['-c', bundle.config], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((res, rej) => {
    let log = '';
    proc.stderr!.on('data', (d) => {
      log += d;
      if (/mosquitto version [\d.]+ running/.test(log)) res();
    });
    proc.once('exit', () => rej(new Error(`mosquitto exited:\n${log}`)));
  });
  const startMs = performance.now() - t0;
  const devices = bundle.users.filter((u) => u.role === 'device');
  const ca = readFileSync(bundle.caFile);
  const times: number[] = [];
  try {
    for (let i = 0; i < clients; i++) {
      const u = devices[Math.floor((i * 7919) % devices.length)]!;
      const t = performance.now();
      const c = await mqtt.connectAsync({
        host: bundle.host,
        port,
        protocol: 'mqtts',
        ca,
        servername: bundle.tlsServerName,
        username: u.username,
        password: u.password,
        protocolVersion: 5,
        reconnectPeriod: 0,
      });
      await c.subscribeAsync(u.subscribe[0]!, { qos: 1 });
      times.push(performance.now() - t);
      await c.endAsync();
    }
  } finally {
    proc.kill('SIGTERM');
  }
  times.sort((a, b) => a - b);
  return { startMs, median: times[Math.floor(times.length / 2)]!, p95: times[Math.floor(times.length * 0.95)]! };
}
