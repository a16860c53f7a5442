/**
 * `npm run local -- --verify`: renders the bundle, starts Mosquitto from it, proves every access
 * assertion of the policy over the wire (./wire-verify.ts), prints one line per case and a
 * summary, and always stops the broker. A failing case is a one-line error naming it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FortressError } from '../../constructs/core/errors.js';
import type { Policy } from '../../constructs/policy/model.js';
import type { LocalBundle, LocalBundleOptions } from '../local-bundle.js';
import { planWireCases, verifyOverWire, type WireResult, wireLine } from './wire-verify.js';

/** The installed Mosquitto's version, or a one-line error when there is none on the PATH. */
export function mosquittoVersion(): string {
  const r = spawnSync('mosquitto', ['-h'], { encoding: 'utf8', timeout: 10_000 });
  const v = /mosquitto version (\d+\.\d+\.\d+)/.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1];
  if (r.error || !v) {
    throw new FortressError(
      'MOSQUITTO_MISSING',
      `--verify starts a real Mosquitto, and there is no mosquitto on the PATH${r.error ? ` (${(r.error as NodeJS.ErrnoException).code})` : ''}. Install Mosquitto 2.0 (Debian/Ubuntu: apt-get install mosquitto; or sudo scripts/setup-peers.sh) and run again.`,
    );
  }
  return v;
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** A free port whose two successors are free too (metrics and certificate listeners). */
export async function freePortTriple(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((res, rej) => {
      const s = createServer();
      s.once('error', rej);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    if (port < 65000 && (await isFree(port + 1)) && (await isFree(port + 2))) return port;
  }
  throw new FortressError('NO_FREE_PORT', 'no three consecutive free ports on 127.0.0.1 for the broker; give one with --port N');
}

export interface LocalBroker {
  readonly proc: ChildProcess;
  logs(): string;
  stop(): Promise<void>;
}

/** Starts `mosquitto -c <bundle config>` and waits until it runs; a broker that exits is a one-line error. */
export async function startLocalMosquitto(bundle: LocalBundle, timeoutMs = 15_000): Promise<LocalBroker> {
  let log = '';
  const proc = spawn('mosquitto', ['-c', bundle.config], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const done = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(t);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      proc.once('error', (e) => reject(new FortressError('MOSQUITTO_MISSING', `could not start mosquitto: ${e.message}`)));
      const t0 = Date.now();
      const iv = setInterval(() => {
        const lastError = log
          .split('\n')
          .filter((l) => /Error/.test(l))
          .pop()
          ?.trim();
        if (/mosquitto version [\d.]+ running/.test(log)) {
          clearInterval(iv);
          resolve();
        } else if (proc.exitCode !== null) {
          clearInterval(iv);
          reject(new FortressError('BROKER_START', `mosquitto exited with code ${proc.exitCode} before it was ready: ${lastError ?? log.trim().split('\n').pop() ?? 'no output'}`));
        } else if (Date.now() - t0 > timeoutMs) {
          clearInterval(iv);
          reject(new FortressError('BROKER_START', `mosquitto was not ready after ${timeoutMs / 1000} s: ${lastError ?? 'no error in its log'}`));
        }
      }, 25);
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { proc, logs: () => log, stop };
}

export interface VerifySummary {
  readonly results: readonly WireResult[];
  readonly failed: readonly WireResult[];
}

/**
 * The whole `--verify` run. `write` renders the bundle (writeLocalBundle). Without `--out` the
 * bundle lives in a temporary folder removed afterwards; without `--port` a free port is used.
 */
export async function runLocalVerify(
  o: Omit<LocalBundleOptions, 'out'> & { out?: string; policy: Policy },
  write: (o: LocalBundleOptions) => Promise<LocalBundle>,
  print: (line: string) => void,
): Promise<VerifySummary> {
  const version = mosquittoVersion();
  const cases = planWireCases(o.policy);
  if (cases.length === 0) throw new FortressError('NO_ASSERTIONS', 'the policy has no assertions, so --verify has nothing to prove. Add an "assertions" list to the policy file (docs/assertions.md).');
  const temp = o.out ? undefined : mkdtempSync(join(tmpdir(), 'fortress-verify-'));
  // Started as root, mosquitto drops to its own user, which must be able to reach the bundle.
  if (temp) chmodSync(temp, 0o755);
  const port = o.port ?? (await freePortTriple());
  let broker: LocalBroker | undefined;
  const stopOnSignal = () => {
    void broker?.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    const { policy: _policy, ...rest } = o;
    const bundle = await write({ ...rest, out: o.out ?? join(temp!, 'bundle'), port });
    broker = await startLocalMosquitto(bundle);
    print(`mosquitto ${version} running from ${bundle.config} on ${bundle.host}:${bundle.port} (client auth: ${bundle.clientAuth})`);
    const results = await verifyOverWire(bundle, cases);
    for (const r of results) print(wireLine(r));
    const failed = results.filter((r) => r.holds === false);
    const proven = results.filter((r) => r.holds === true).length;
    const unobservable = results.length - proven - failed.length;
    print(
      `${failed.length === 0 ? 'verified' : 'FAILED'}: ${proven} of ${results.length} assertion case(s) proven over the wire${failed.length ? `, ${failed.length} failed` : ''}${unobservable ? `, ${unobservable} not observable (no witness in the policy)` : ''}`,
    );
    if (failed.length > 0) {
      const f = failed[0]!;
      const verb = f.case.action === 'publish' ? 'publish to' : 'subscribe to';
      throw new FortressError(
        'ASSERTION_WIRE',
        `${f.case.label}: the running broker does not hold "${f.case.username} ${f.case.expect === 'allow' ? 'may' : 'may not'} ${verb} ${JSON.stringify(f.case.topic)}": ${f.evidence}${failed.length > 1 ? ` (and ${failed.length - 1} more case(s), listed above)` : ''}`,
      );
    }
    return { results, failed };
  } finally {
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
    await broker?.stop();
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
}
