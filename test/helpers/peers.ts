/**
 * Real peers the integration tests need. A missing peer makes its tests skip with the reason
 * (node:test reports them as skipped), never pass. `scripts/setup-peers.sh` installs them all.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function run(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status === null) return undefined;
  return `${r.stdout}${r.stderr}`;
}

const mosqVersion = /mosquitto version (\d+\.\d+\.\d+)/.exec(run('mosquitto', ['-h']) ?? '')?.[1];

/** Reason a peer is missing, or undefined when it is present. Pass as `{ skip: missing.x }`. */
export const missing = {
  mosquitto: !mosqVersion
    ? 'mosquitto is not installed: run `sudo scripts/setup-peers.sh` (Mosquitto 2.0.21 from bookworm-backports)'
    : !/^2\.0\.(1[89]|2\d)$/.test(mosqVersion)
      ? `mosquitto ${mosqVersion} is too old (needs 2.0.18+, ignores max_connections before): run scripts/setup-peers.sh`
      : undefined,
  mosquittoPasswd: run('mosquitto_passwd', ['-h']) === undefined ? 'mosquitto_passwd is not installed: run scripts/setup-peers.sh' : undefined,
  openssl: run('openssl', ['version']) === undefined ? 'openssl is not installed: run scripts/setup-peers.sh' : undefined,
  erl:
    spawnSync('erl', ['-noshell', '-eval', 'halt(case code:ensure_loaded(crypto) of {module, crypto} -> 0; _ -> 1 end).'], { timeout: 10_000 }).status !== 0
      ? 'erl (Erlang) with its crypto application is not installed: run scripts/setup-peers.sh (Debian erlang-base, erlang-crypto)'
      : undefined,
  erlSsl:
    spawnSync('erl', ['-noshell', '-eval', 'halt(case [code:ensure_loaded(M) || M <- [public_key, ssl, httpc]] of [{module, _}, {module, _}, {module, _}] -> 0; _ -> 1 end).'], { timeout: 10_000 })
      .status !== 0
      ? 'erl with the public_key, ssl and inets applications is not installed: run scripts/setup-peers.sh (Debian erlang-public-key, erlang-ssl, erlang-inets)'
      : undefined,
  terraform: run('terraform', ['version']) === undefined ? 'terraform is not on the PATH' : undefined,
  promtool: run('promtool', ['--version']) === undefined ? 'promtool is not installed: run scripts/setup-peers.sh (Debian prometheus)' : undefined,
};

/** Both mosquitto and openssl (the local bundle needs openssl for its throwaway PKI). */
export const missingBroker = missing.mosquitto ?? missing.openssl;

/**
 * Folder holding `registry.terraform.io/hashicorp/aws/<v>/linux_amd64`:
 * FORTRESS_TF_MIRROR, else a search of the usual places.
 */
export function terraformMirror(): string | undefined {
  const env = process.env.FORTRESS_TF_MIRROR;
  if (env && existsSync(join(env, 'registry.terraform.io'))) return env;
  for (const base of ['/opt', '/usr/share', '/usr/local/share', '/root', '/var/lib']) {
    try {
      for (const d of readdirSync(base)) {
        const cand = join(base, d);
        if (existsSync(join(cand, 'registry.terraform.io', 'hashicorp', 'aws'))) return cand;
      }
    } catch {
      /* unreadable: keep looking */
    }
  }
  return undefined;
}
