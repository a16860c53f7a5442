/** EMQX files through a real Erlang VM: ssl_dist.conf parses; the hashing init script's output verifies. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSslDist } from '../../constructs/emqx/config.js';
import { emqxBootstrapEntry } from '../../constructs/policy/render-emqx.js';
import { templatePath } from '../../constructs/templates.js';
import { missing } from '../helpers/peers.js';

describe('EMQX files in a real Erlang VM', { skip: missing.erl }, () => {
  it('ssl_dist.conf is valid Erlang terms with mutual TLS on both sides', () => {
    for (const v of ['1.2', '1.3'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'fortress-ssl-dist-'));
      try {
        writeFileSync(join(dir, 'ssl_dist.conf'), renderSslDist(v));
        const out = execFileSync('erl', ['-noshell', '-eval', `{ok, [T]} = file:consult("${dir}/ssl_dist.conf"), S = proplists:get_value(server, T), C = proplists:get_value(client, T), io:format("~p ~p ~p", [proplists:get_value(verify, S), proplists:get_value(fail_if_no_peer_cert, S), proplists:get_value(versions, C)]), halt().`], { encoding: 'utf8', cwd: dir });
        assert.equal(out, v === '1.3' ? 'verify_peer true [\'tlsv1.3\']' : "verify_peer true ['tlsv1.3','tlsv1.2']");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
  it('the init container hashes every password into bootstrap.csv as EMQX pbkdf2-sha256 verifies it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortress-emqx-hash-'));
    try {
      const plain = join(dir, 'plain');
      const out = join(dir, 'out');
      mkdirSync(plain);
      mkdirSync(out);
      const users = { 'sensor-0001': 'A'.repeat(20) + 'quote"and,comma' + 'z'.repeat(10), backend: 'B1'.repeat(24) };
      for (const [u, p] of Object.entries(users)) writeFileSync(join(plain, u), p + '\n');
      writeFileSync(join(dir, 'users'), Object.keys(users).join('\n') + '\n');
      const env = { PATH: process.env.PATH, FORTRESS_PLAIN: plain, FORTRESS_USERS: join(dir, 'users'), FORTRESS_OUT: out };
      const r = spawnSync('sh', [templatePath('emqx/hash-credentials.sh')], { env, encoding: 'utf8', cwd: dir });
      assert.equal(r.status, 0, r.stderr);
      for (const p of Object.values(users)) assert.ok(!r.stderr.includes(p) && !r.stdout.includes(p));
      const [header, ...rows] = readFileSync(join(out, 'bootstrap.csv'), 'utf8').trim().split('\n');
      assert.equal(header, 'user_id,password_hash,salt,is_superuser');
      assert.equal(rows.length, 2);
      for (const row of rows) {
        const [user, hash, salt, su] = row.split(',');
        assert.equal(su, 'false');
        assert.equal(hash, emqxBootstrapEntry(user!, users[user as keyof typeof users], salt!).password_hash, `hash of ${user}`);
      }
      writeFileSync(join(plain, 'backend'), 'short');
      const bad = spawnSync('sh', [templatePath('emqx/hash-credentials.sh')], { env, encoding: 'utf8', cwd: dir });
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /password of backend is shorter than 32 characters/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
