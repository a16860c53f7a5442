/**
 * The broker pod's two sides on one machine: the broker container (templates/mosquitto/
 * fortress-broker.sh supervising a real mosquitto) and the credentials container (fortress-auth.sh),
 * each under its own UID when the tests run as root (as CI does), sharing only the group that
 * reads the hashed files, like the pod's memory volumes. Secret volumes are laid out as the kubelet
 * does: keys are symlinks into `..data`, a symlink to a timestamped directory that an update
 * replaces with one atomic rename.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { templatePath } from '../../constructs/templates.js';
import type { LocalBundle, LocalUser } from '../../scripts/local-bundle.js';

/** UID of the credentials container in tests run as root (any UID without a passwd entry works). */
export const RELOADER_UID = 10884;

function idOf(flag: '-u' | '-g', name: string): number | undefined {
  try {
    return Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

/** The broker's and the reloader's identities; undefined when not root (everything then runs as the current user). */
export function podIds(): { broker: number; reloader: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const broker = idOf('-u', 'mosquitto');
  const gid = idOf('-g', 'mosquitto');
  if (broker === undefined || gid === undefined) return undefined;
  // FORTRESS_TEST_SAME_UID=1 runs both sides under the broker's UID: only to run these tests
  // against the script from before the UID split (which writes owner-only files), to show which
  // of them fail there for the reason they test.
  return { broker, reloader: process.env.FORTRESS_TEST_SAME_UID === '1' ? broker : RELOADER_UID, gid };
}

let versionCounter = 0;

/** A Secret volume as the kubelet lays it out. `swap` replaces its content atomically. */
export class KubeletVolume {
  constructor(readonly dir: string) {}

  static create(dir: string, files: Record<string, string | Buffer>): KubeletVolume {
    mkdirSync(dir, { recursive: true });
    const v = new KubeletVolume(dir);
    const ver = v.writeVersion(files);
    symlinkSync(ver, join(dir, '..data'));
    for (const k of Object.keys(files)) symlinkSync(join('..data', k), join(dir, k));
    return v;
  }

  /** Writes a new timestamped directory (not yet visible) and returns its name. */
  writeVersion(files: Record<string, string | Buffer>): string {
    const ver = `..2026_12_02_00_00_00.${process.pid}${++versionCounter}`;
    mkdirSync(join(this.dir, ver));
    for (const [k, v] of Object.entries(files)) writeFileSync(join(this.dir, ver, k), v);
    return ver;
  }

  current(): string {
    return readlinkSync(join(this.dir, '..data'));
  }

  /** Shell commands that make `ver` current and delete the old version, as the kubelet does. */
  swapCommands(ver: string, keys: readonly string[]): string {
    const d = JSON.stringify(this.dir);
    return [
      `cd ${d}`,
      `old=$(readlink ..data)`,
      `ln -s ${ver} ..data_tmp`,
      `mv -T ..data_tmp ..data`,
      ...keys.map((k) => `[ -L ${JSON.stringify(k)} ] || ln -s ..data/${k} ${JSON.stringify(k)}`),
      `rm -rf "$old"`,
    ].join('\n');
  }

  swap(files: Record<string, string | Buffer>): void {
    const ver = this.writeVersion(files);
    execFileSync('sh', ['-c', this.swapCommands(ver, Object.keys(files))]);
    for (const k of readdirSync(this.dir)) if (!k.startsWith('..') && !(k in files)) rmSync(join(this.dir, k));
  }
}

export interface PodDirs {
  readonly root: string;
  /** Secret volume of plaintext passwords (credentials container only). */
  readonly plain: KubeletVolume;
  /** Secret volume of the server certificate (credentials container only). */
  readonly tlsSrc: KubeletVolume;
  readonly scratch: string;
  readonly auth: string;
  readonly tls: string;
  readonly config: string;
}

export function passwordFiles(users: readonly Pick<LocalUser, 'username' | 'password'>[]): Record<string, string> {
  return Object.fromEntries(users.map((u) => [u.username, u.password]));
}

/**
 * Lays out the pod's volumes for a bundle (created by createLocalBundle in `root`): the
 * credentials Secret and the certificate Secret as kubelet volumes, and ownership as in the pod.
 */
export function podDirs(bundle: LocalBundle, root: string): PodDirs {
  const config = join(root, 'config');
  writeFileSync(join(config, 'users'), `${bundle.users.map((u) => u.username).join('\n')}\n`);
  const plain = KubeletVolume.create(join(root, 'plain'), passwordFiles(bundle.users));
  const tlsSrc = KubeletVolume.create(join(root, 'tls-source'), {
    'tls.crt': readFileSync(join(root, 'tls', 'tls.crt')),
    'tls.key': readFileSync(join(root, 'tls', 'tls.key')),
    'ca.crt': readFileSync(join(root, 'tls', 'ca.crt')),
  });
  const d: PodDirs = { root, plain, tlsSrc, scratch: join(root, 'scratch'), auth: join(root, 'auth'), tls: join(root, 'tls'), config };
  for (const p of [d.scratch, d.auth, d.tls]) mkdirSync(p, { recursive: true });
  podOwnership(d);
  return d;
}

function chownTree(p: string, uid: number, gid: number): void {
  execFileSync('chown', ['-R', '-h', `${uid}:${gid}`, p]);
}

/** Ownership as in the pod: plaintext and scratch private to the reloader; auth and tls written by it, readable by the broker's group. */
export function podOwnership(d: PodDirs): void {
  const ids = podIds();
  if (!ids) {
    chmodSync(d.root, 0o700);
    return;
  }
  chmodSync(d.root, 0o711);
  chownSync(d.root, 0, ids.gid);
  for (const p of [d.config, join(d.root, 'pki')]) {
    if (!existsSync(p)) continue;
    chownTree(p, 0, ids.gid);
    execFileSync('chmod', ['-R', 'g+rX,o-rwx', p]);
  }
  if (existsSync(join(d.root, 'data'))) chownTree(join(d.root, 'data'), ids.broker, ids.gid);
  for (const p of [d.plain.dir, d.tlsSrc.dir, d.scratch]) {
    chownTree(p, ids.reloader, ids.gid);
    chmodSync(p, 0o700);
  }
  for (const p of [d.auth, d.tls]) {
    chownTree(p, ids.reloader, ids.gid);
    chmodSync(p, 0o2770);
    execFileSync('chmod', ['-R', 'g+r', p]);
  }
}

export interface ReloaderEnv {
  readonly mode?: 'acl-file' | 'dynamic-security';
  readonly template?: string;
  readonly probePort: number;
  readonly interval?: number;
  /** A directory put first on PATH (shims around the tools the script calls). */
  readonly shimDir?: string;
  readonly extraEnv?: Record<string, string>;
}

export function reloaderEnv(d: PodDirs, e: ReloaderEnv): Record<string, string> {
  return {
    PATH: `${e.shimDir ? `${e.shimDir}:` : ''}${process.env.PATH}`,
    FORTRESS_PLAIN: d.plain.dir,
    FORTRESS_USERS: join(d.config, 'users'),
    FORTRESS_ACLS: join(d.config, 'acl'),
    FORTRESS_OUT: d.auth,
    FORTRESS_SCRATCH: d.scratch,
    FORTRESS_TLS_SRC: d.tlsSrc.dir,
    FORTRESS_TLS_DIR: d.tls,
    FORTRESS_TLS_PROBE_PORT: String(e.probePort),
    FORTRESS_INTERVAL: String(e.interval ?? 30),
    ...(e.mode ? { FORTRESS_MODE: e.mode } : {}),
    ...(e.template ? { FORTRESS_DYNSEC_TEMPLATE: e.template } : {}),
    ...(e.extraEnv ?? {}),
  };
}

const uidOpts = (which: 'broker' | 'reloader') => {
  const ids = podIds();
  return ids ? { uid: ids[which], gid: ids.gid } : {};
};

/** Runs the reloader script once (build, once, tls-once) as the credentials container would. */
export function runReloader(mode: 'build' | 'once' | 'tls-once', d: PodDirs, e: ReloaderEnv): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync('sh', [templatePath('mosquitto/fortress-auth.sh'), mode], { encoding: 'utf8', timeout: 60_000, ...uidOpts('reloader'), env: reloaderEnv(d, e) });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** Starts the reloader in watch mode (the sidecar). */
export function startWatch(d: PodDirs, e: ReloaderEnv): { proc: ChildProcess; logs(): string; stop(): Promise<void> } {
  let log = '';
  const proc = spawn('sh', [templatePath('mosquitto/fortress-auth.sh'), 'watch'], { stdio: ['ignore', 'pipe', 'pipe'], ...uidOpts('reloader'), env: reloaderEnv(d, e), detached: true });
  proc.stdout!.on('data', (x) => (log += x));
  proc.stderr!.on('data', (x) => (log += x));
  return {
    proc,
    logs: () => log,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      process.kill(-proc.pid!, 'SIGTERM');
      await done;
    },
  };
}

export interface SupervisedBroker {
  readonly proc: ChildProcess;
  logs(): string;
  waitForLog(text: string | RegExp, timeoutMs?: number, from?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the broker container's entrypoint (fortress-broker.sh run) as the broker's UID. */
export async function startSupervised(bundle: LocalBundle, d: PodDirs, o: { interval?: number } = {}): Promise<SupervisedBroker> {
  let log = '';
  const proc = spawn('sh', [templatePath('mosquitto/fortress-broker.sh'), 'run', bundle.config, d.auth], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...uidOpts('broker'),
    env: { PATH: process.env.PATH, FORTRESS_WATCH_INTERVAL: String(o.interval ?? 0.2) },
  });
  proc.stdout!.on('data', (x) => (log += x));
  proc.stderr!.on('data', (x) => (log += x));
  const waitForLog = (text: string | RegExp, timeoutMs = 8000, from = 0) =>
    new Promise<void>((res, rej) => {
      const hit = () => (typeof text === 'string' ? log.slice(from).includes(text) : text.test(log.slice(from)));
      const t0 = Date.now();
      const iv = setInterval(() => {
        if (hit()) {
          clearInterval(iv);
          res();
        } else if (Date.now() - t0 > timeoutMs || proc.exitCode !== null) {
          clearInterval(iv);
          rej(new Error(`timed out waiting for ${text} in the broker container's log (exit ${proc.exitCode}):\n${log}`));
        }
      }, 20);
    });
  await waitForLog(/mosquitto version [\d.]+ running/);
  return {
    proc,
    logs: () => log,
    waitForLog,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await done;
    },
  };
}

/** Runs the readiness probe command of the broker container. */
export function readiness(port: number, caFile: string, certificate = false): { status: number | null; stdout: string } {
  const r = spawnSync('sh', [templatePath('mosquitto/fortress-broker.sh'), 'ready', String(port), caFile, ...(certificate ? ['certificate'] : [])], {
    encoding: 'utf8',
    timeout: 60_000,
    ...uidOpts('broker'),
  });
  return { status: r.status, stdout: r.stdout + r.stderr };
}

/**
 * A directory with a wrapper named `tool` that runs `action` (shell) on its first call only, then
 * the real tool: forces a change inside the window in which the reloader uses that tool.
 */
export function shimOnFirstCall(dir: string, tool: string, action: string): void {
  mkdirSync(dir, { recursive: true });
  const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  const marker = join(dir, `${tool}.fired`);
  writeFileSync(join(dir, tool), `#!/bin/sh\nif [ ! -e ${JSON.stringify(marker)} ]; then\n  : >${JSON.stringify(marker)}\n  (\n${action}\n  ) >/dev/null 2>&1\nfi\nexec ${real} "$@"\n`, {
    mode: 0o755,
  });
  const ids = podIds();
  if (ids) {
    // The shim runs as the reloader; the swap it performs acts on the reloader's own volumes here
    // (in the pod the kubelet does it).
    chownTree(dir, ids.reloader, ids.gid);
  }
}
