/** EMQX files through a real Erlang VM: ssl_dist.conf parses; the hashing init script's output verifies. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
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

  it('the credential-sync sidecar imports rotated passwords through the REST API (override), and only on change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortress-emqx-sync-'));
    const requests: { url: string; auth: string; csv: string }[] = [];
    let refuseFirst = true;
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const boundary = /boundary=(\S+)/.exec(req.headers['content-type'] ?? '')?.[1] ?? '';
        const part = body.split(`--${boundary}`)[1] ?? '';
        assert.match(part, /name="filename"; filename="fortress-users\.csv"/);
        requests.push({ url: req.url ?? '', auth: req.headers.authorization ?? '', csv: part.slice(part.indexOf('\r\n\r\n') + 4).replace(/\r\n$/, '') });
        // The first attempt meets a node that is still starting: the sidecar must retry.
        res.writeHead(refuseFirst ? 503 : 204).end();
        refuseFirst = false;
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    const users: Record<string, string> = { 'sensor-0001': 'p'.repeat(40), backend: 'q'.repeat(36) };
    for (const [u, p] of Object.entries(users)) writeFileSync(join(plain, u), p);
    writeFileSync(join(dir, 'users'), Object.keys(users).join('\n') + '\n');
    writeFileSync(join(dir, 'api-keys'), 'prometheus-scraper:scraper-secret\nfortress-credential-sync:sync-secret-value\n');
    const env = { PATH: process.env.PATH, FORTRESS_MODE: 'sync', FORTRESS_PLAIN: plain, FORTRESS_USERS: join(dir, 'users'), FORTRESS_API_KEYS: join(dir, 'api-keys'), FORTRESS_API: `127.0.0.1:${port}`, FORTRESS_INTERVAL_MS: '100' };
    const child = spawn('sh', [templatePath('emqx/hash-credentials.sh')], { env, cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const waitFor = async (n: number) => {
      for (let i = 0; i < 100 && requests.length < n; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(requests.length, n, `expected ${n} imports, saw ${requests.length}; sidecar said: ${stderr}`);
    };
    const verify = (csv: string) => {
      const [header, ...rows] = csv.trim().split('\n');
      assert.equal(header, 'user_id,password_hash,salt,is_superuser');
      assert.equal(rows.length, Object.keys(users).length);
      for (const row of rows) {
        const [user, hash, salt] = row.split(',');
        assert.equal(hash, emqxBootstrapEntry(user!, users[user!]!, salt!).password_hash, `hash of ${user}`);
      }
    };
    try {
      await waitFor(2); // 503, then the retry is accepted
      for (const r of requests) {
        assert.equal(r.url, '/api/v5/authentication/password_based%3Abuilt_in_database/import_users?type=hash');
        assert.equal(r.auth, `Basic ${Buffer.from('fortress-credential-sync:sync-secret-value').toString('base64')}`);
      }
      verify(requests[1]!.csv);
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(requests.length, 2, 'no import while the Secret is unchanged');
      // Rotation: the kubelet updates the mounted Secret; the sidecar imports the new hash.
      users.backend = 'r'.repeat(48);
      writeFileSync(join(plain, 'backend'), users.backend);
      await waitFor(3);
      verify(requests[2]!.csv);
      // A bad value is not imported and does not stop the sidecar.
      writeFileSync(join(plain, 'backend'), 'short');
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(requests.length, 3);
      assert.match(stderr, /not syncing: password of backend is shorter than 32 characters/);
      assert.equal(child.exitCode, null, 'the sidecar keeps running');
      for (const p of [...Object.values(users), 'sync-secret-value']) assert.ok(!stderr.includes(p), 'no secret in the log');
    } finally {
      child.kill('SIGKILL');
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
