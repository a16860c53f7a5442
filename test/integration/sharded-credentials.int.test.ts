/**
 * Passwords beyond one Secret (issue 16, goal 3): the real credentials scripts over several
 * shard volumes laid out as the kubelet does. Mosquitto (templates/mosquitto/fortress-auth.sh with
 * the real mosquitto_passwd): the shards merge into one password file; a key in two shards is
 * refused and the current file kept; the quick check notices a change in any one shard and nothing
 * when none changed. EMQX (hash-credentials.erl in a real Erlang VM): the same merge and refusal.
 * Small counts on purpose: the arithmetic that decides the shards is in test/credentials/shards.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateLocalPassword, verifyPasswordLine } from '../../constructs/mosquitto/passwd.js';
import { templatePath } from '../../constructs/templates.js';
import { type AuthDirs, fixOwnership, runAuthScript } from '../helpers/auth-script.js';
import { missing } from '../helpers/peers.js';
import { KubeletVolume } from '../helpers/pod.js';

const users = Array.from({ length: 9 }, (_, i) => `dev-${i}`);
const shardOf = (u: string) => Number(u.slice(4)) % 3;
const split = (pw: Map<string, string>) => [0, 1, 2].map((s) => Object.fromEntries([...pw].filter(([u]) => shardOf(u) === s)));

describe('sharded password Secrets in the Mosquitto credentials script', { skip: missing.mosquittoPasswd }, () => {
  it('merges three shards, refuses a key in two, and rebuilds when any one shard changes', () => {
    const root = mkdtempSync(join(tmpdir(), 'fortress-shards-'));
    try {
      const pw = new Map(users.map((u) => [u, generateLocalPassword()]));
      const vols = split(pw).map((files, i) => KubeletVolume.create(join(root, `plain-${i}`), files));
      const d: AuthDirs = { plain: vols.map((v) => v.dir).join(' '), scratch: join(root, 'scratch'), out: join(root, 'auth'), users: join(root, 'users'), acls: join(root, 'acl') };
      mkdirSync(d.scratch);
      mkdirSync(d.out);
      writeFileSync(d.acls, 'user dev-0\ntopic read a\n');
      writeFileSync(d.users, `${users.join('\n')}\n`);
      fixOwnership(root);
      const run = (mode: 'build' | 'once') => runAuthScript(mode, d, undefined, { timeoutMs: 30_000 });
      const passwd = () =>
        new Map(
          readFileSync(join(d.out, 'passwd'), 'utf8')
            .trim()
            .split('\n')
            .map((l) => [l.slice(0, l.indexOf(':')), l] as const),
        );

      const b = run('build');
      assert.equal(b.status, 0, b.stderr);
      const first = passwd();
      assert.deepEqual([...first.keys()].sort(), [...users].sort());
      for (const [u, l] of first) assert.ok(verifyPasswordLine(l, pw.get(u)!), u);

      // Nothing changed in any shard: the quick check reads no password and rewrites nothing.
      const r0 = run('once');
      assert.equal(r0.status, 0, r0.stderr);
      assert.doesNotMatch(r0.stderr, /rebuilt/);

      // Shard 2 alone rotates one password: noticed, only that identity rehashed.
      pw.set('dev-5', generateLocalPassword());
      vols[2]!.swap(split(pw)[2]!);
      fixOwnership(root);
      const r1 = run('once');
      assert.equal(r1.status, 0, r1.stderr);
      assert.match(r1.stderr, /rebuilt/);
      const second = passwd();
      assert.ok(verifyPasswordLine(second.get('dev-5')!, pw.get('dev-5')!));
      for (const u of users) if (u !== 'dev-5') assert.equal(second.get(u), first.get(u), `${u} kept its line`);

      // dev-4 (shard 1) also appears in shard 0, with another password: the set is refused, the
      // current file stays, and no password reaches the log.
      const intruder = generateLocalPassword();
      vols[0]!.swap({ ...split(pw)[0]!, 'dev-4': intruder });
      fixOwnership(root);
      const r2 = run('once');
      assert.notEqual(r2.status, 0);
      assert.match(r2.stderr, /the key "dev-4" is in two credential Secrets \(shards\)/);
      assert.ok(![...pw.values(), intruder].some((p) => r2.stderr.includes(p)));
      assert.deepEqual(passwd(), second);
      const r3 = run('build');
      assert.notEqual(r3.status, 0, 'an init container with a key in two shards does not start the broker');

      // The resharding settles (the key left shard 0): accepted again.
      vols[0]!.swap(split(pw)[0]!);
      fixOwnership(root);
      const r4 = run('once');
      assert.equal(r4.status, 0, r4.stderr);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('sharded password Secrets in the EMQX hashing script', { skip: missing.erl }, () => {
  it('hashes the users of every shard and refuses a key in two', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortress-emqx-shards-'));
    try {
      const pw = new Map(users.map((u) => [u, generateLocalPassword()]));
      const shards = split(pw).map((files, i) => KubeletVolume.create(join(dir, `plain-${i}`), files));
      const out = join(dir, 'out');
      mkdirSync(out);
      writeFileSync(join(dir, 'users'), `${users.join('\n')}\n`);
      const env = { PATH: process.env.PATH, FORTRESS_PLAIN: shards.map((s) => s.dir).join(' '), FORTRESS_USERS: join(dir, 'users'), FORTRESS_OUT: out };
      const hash = () => spawnSync('sh', [templatePath('emqx/hash-credentials.sh')], { env, encoding: 'utf8', cwd: dir, timeout: 30_000 });
      const r = hash();
      assert.equal(r.status, 0, r.stderr);
      const rows = readFileSync(join(out, 'bootstrap.csv'), 'utf8').trim().split('\n').slice(1);
      assert.deepEqual(rows.map((l) => l.split(',')[0]).sort(), [...users].sort());

      shards[0]!.swap({ ...split(pw)[0]!, 'dev-4': generateLocalPassword() });
      const dup = hash();
      assert.notEqual(dup.status, 0);
      assert.match(dup.stderr, /the key "dev-4" is in two credential Secrets \(shards\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
