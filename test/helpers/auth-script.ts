/** Runs templates/mosquitto/fortress-auth.sh (the init container and reloader) locally. */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { templatePath } from '../../constructs/templates.js';
import type { LocalBundle } from '../../scripts/local-bundle.js';

/** uid/gid of the `mosquitto` user when running as root (the broker drops to it), else none. */
function brokerUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'mosquitto'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'mosquitto'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

export interface AuthDirs {
  readonly plain: string;
  readonly scratch: string;
  readonly out: string;
  readonly users: string;
  /** Usernames of a listener with a password file of its own (none since every listener shares one). */
  readonly metricsUsers?: string;
  readonly acls: string;
}

/** Lays out the Secret-like plaintext directory and user lists for a bundle. */
export function authDirs(bundle: LocalBundle, dir: string): AuthDirs {
  const d: AuthDirs = {
    plain: join(dir, 'plain'),
    scratch: join(dir, 'scratch'),
    out: join(dir, 'auth'),
    users: join(dir, 'config', 'users'),
    acls: join(dir, 'config', 'acl'),
  };
  for (const p of [d.plain, d.scratch, d.out]) mkdirSync(p, { recursive: true });
  for (const u of bundle.users) writeFileSync(join(d.plain, u.username), u.password);
  writeFileSync(d.users, `${bundle.users.map((u) => u.username).join('\n')}\n`);
  fixOwnership(dir);
  return d;
}

export function fixOwnership(dir: string): void {
  const u = brokerUser();
  if (u) execFileSync('chown', ['-R', `${u.uid}:${u.gid}`, dir]);
  else chmodSync(dir, 0o700);
}

export function runAuthScript(
  mode: 'build' | 'once' | 'tls-once',
  d: AuthDirs,
  pid?: number,
  extra: { mode?: string; template?: string; aclGz?: string; tlsSrc?: string; tlsDir?: string; probePort?: number; timeoutMs?: number } = {},
): { status: number | null; stderr: string; stdout: string } {
  const u = brokerUser();
  const r = spawnSync('sh', [templatePath('mosquitto/fortress-auth.sh'), mode], {
    encoding: 'utf8',
    timeout: extra.timeoutMs ?? 30_000,
    ...(u ? { uid: u.uid, gid: u.gid } : {}),
    env: {
      PATH: process.env.PATH,
      FORTRESS_PLAIN: d.plain,
      FORTRESS_USERS: d.users,
      ...(d.metricsUsers ? { FORTRESS_METRICS_USERS: d.metricsUsers } : {}),
      FORTRESS_ACLS: d.acls,
      FORTRESS_OUT: d.out,
      FORTRESS_SCRATCH: d.scratch,
      ...(pid ? { MOSQUITTO_PID: String(pid) } : {}),
      ...(extra.mode ? { FORTRESS_MODE: extra.mode } : {}),
      ...(extra.template ? { FORTRESS_DYNSEC_TEMPLATE: extra.template } : {}),
      ...(extra.aclGz ? { FORTRESS_ACL_GZ: extra.aclGz } : {}),
      ...(extra.tlsSrc ? { FORTRESS_TLS_SRC: extra.tlsSrc, FORTRESS_TLS_DIR: extra.tlsDir!, FORTRESS_TLS_PROBE_PORT: String(extra.probePort ?? 48883) } : {}),
    },
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}
