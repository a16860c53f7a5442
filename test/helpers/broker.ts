/** Starts a real Mosquitto from a local bundle and connects real MQTT clients to it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { freePortTriple as freePort } from '../../scripts/lib/local-verify.js';
import { createLocalBundle, type LocalBundle, type LocalBundleOptions, type LocalUser } from '../../scripts/local-bundle.js';

// Three consecutive free ports: the bundle puts the metrics listener on port + 1 and a
// certificate listener on port + 2. One implementation with `npm run local -- --verify`.
export { freePort };

export interface RunningBroker {
  readonly bundle: LocalBundle;
  readonly dir: string;
  readonly proc: ChildProcess;
  /** Everything mosquitto wrote to stderr/stdout so far. */
  logs(): string;
  /** Waits until the log contains `text` (or times out). */
  waitForLog(text: string | RegExp, timeoutMs?: number): Promise<void>;
  user(role: LocalUser['role'], index?: number): LocalUser;
  stop(): Promise<void>;
}

export async function startBroker(opts: Omit<LocalBundleOptions, 'out' | 'port'> = {}): Promise<RunningBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'fortress-broker-'));
  const port = await freePort();
  const bundle = createLocalBundle({ ...opts, out: dir, port });
  return startFromBundle(bundle, dir);
}

export async function startFromBundle(bundle: LocalBundle, dir: string, opts: { keepDir?: boolean } = {}): Promise<RunningBroker> {
  let log = '';
  const proc = spawn('mosquitto', ['-c', bundle.config], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  const waitForLog = (text: string | RegExp, timeoutMs = 5000) =>
    new Promise<void>((res, rej) => {
      const hit = () => (typeof text === 'string' ? log.includes(text) : text.test(log));
      if (hit()) return res();
      const t0 = Date.now();
      const iv = setInterval(() => {
        if (hit()) {
          clearInterval(iv);
          res();
        } else if (Date.now() - t0 > timeoutMs || proc.exitCode !== null) {
          clearInterval(iv);
          rej(new Error(`timed out waiting for ${text} in mosquitto log (exit ${proc.exitCode}):\n${log}`));
        }
      }, 20);
    });
  await waitForLog(/mosquitto version [\d.]+ running/);
  return {
    bundle,
    dir,
    proc,
    logs: () => log,
    waitForLog,
    user(role, index = 0) {
      const u = bundle.users.filter((x) => x.role === role)[index];
      if (!u) throw new Error(`bundle has no ${role} user #${index}`);
      return u;
    },
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await done;
      }
      if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ConnectOptions extends Partial<IClientOptions> {
  /** @default bundle port */
  readonly port?: number;
  /** @default 'mqtts' */
  readonly protocol?: 'mqtts' | 'mqtt';
}

export interface Received {
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
}

/**
 * Connects over TLS with the bundle's CA; resolves with the client or rejects with the broker's
 * refusal. `received`, when given, collects every message from the first packet on (messages
 * queued for a persistent session arrive right after CONNACK, before the caller could listen).
 */
export async function connect(b: LocalBundle, user: { username?: string; password?: string } | undefined, o: ConnectOptions = {}, received?: Received[]): Promise<MqttClient> {
  const { port, protocol, ...rest } = o;
  const opts: IClientOptions = {
    host: b.host,
    port: port ?? b.port,
    protocol: protocol ?? 'mqtts',
    ca: readFileSync(b.caFile),
    servername: b.tlsServerName,
    rejectUnauthorized: true,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 4000,
    clean: true,
    ...(user?.username !== undefined ? { username: user.username } : {}),
    ...(user?.password !== undefined ? { password: user.password } : {}),
    ...(user?.username ? { clientId: user.username } : {}),
    ...rest,
  } as IClientOptions;
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(opts);
    if (received) c.on('message', (topic, payload, packet) => received.push({ topic, payload, retain: Boolean(packet.retain) }));
    const fail = (e: unknown) => {
      c.end(true);
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    c.once('connect', () => resolve(c));
    c.once('error', fail);
    c.once('close', () => fail(new Error('connection closed before CONNACK')));
  });
}

/** The reason code the broker gave for a refused connect, or 'ok'. */
export async function tryConnect(b: LocalBundle, user: { username?: string; password?: string } | undefined, o: ConnectOptions = {}): Promise<string> {
  try {
    const c = await connect(b, user, o);
    await c.endAsync();
    return 'ok';
  } catch (e) {
    const err = e as { code?: unknown; message?: string };
    return typeof err.code === 'number' ? `rc${err.code}` : String(err.code ?? err.message);
  }
}

/** Subscribes; returns the granted QoS or the failure reason code (>= 128). */
export async function subscribeCode(c: MqttClient, filter: string): Promise<number> {
  try {
    const granted = await c.subscribeAsync(filter, { qos: 1 });
    return granted[0]?.qos ?? -1;
  } catch (e) {
    // mqtt.js rejects on a SUBACK failure code; the code is on the packet.
    const granted = (e as { packet?: { granted?: (number | { qos: number })[] } }).packet?.granted?.[0];
    if (granted === undefined) throw e;
    return typeof granted === 'number' ? granted : granted.qos;
  }
}

/** Publishes at QoS 1 and returns the PUBACK reason code (0 = accepted). */
export function publishCode(c: MqttClient, topic: string, payload: string | Buffer, opts: { retain?: boolean } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    c.publish(topic, payload, { qos: 1, retain: opts.retain ?? false }, (err, packet) => {
      if (err) {
        const code = (err as { code?: number }).code;
        if (typeof code === 'number') return resolve(code);
        return reject(err);
      }
      resolve((packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0);
    });
  });
}

/** Collects messages on `c` for `ms` milliseconds. */
export function collect(c: MqttClient, ms: number): Promise<{ topic: string; payload: Buffer; retain: boolean }[]> {
  const got: { topic: string; payload: Buffer; retain: boolean }[] = [];
  const on = (topic: string, payload: Buffer, packet: { retain?: boolean }) => got.push({ topic, payload, retain: Boolean(packet.retain) });
  c.on('message', on);
  return new Promise((r) =>
    setTimeout(() => {
      c.removeListener('message', on);
      r(got);
    }, ms),
  );
}
