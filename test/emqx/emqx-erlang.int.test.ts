/** EMQX files through a real Erlang VM: ssl_dist.conf parses; the hashing init script's output verifies. */

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
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
        const out = execFileSync(
          'erl',
          [
            '-noshell',
            '-eval',
            `{ok, [T]} = file:consult("${dir}/ssl_dist.conf"), S = proplists:get_value(server, T), C = proplists:get_value(client, T), io:format("~p ~p ~p", [proplists:get_value(verify, S), proplists:get_value(fail_if_no_peer_cert, S), proplists:get_value(versions, C)]), halt().`,
          ],
          { encoding: 'utf8', cwd: dir },
        );
        assert.equal(out, v === '1.3' ? "verify_peer true ['tlsv1.3']" : "verify_peer true ['tlsv1.3','tlsv1.2']");
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
      const users = { 'sensor-0001': `${'A'.repeat(20)}quote"and,comma${'z'.repeat(10)}`, backend: 'B1'.repeat(24) };
      for (const [u, p] of Object.entries(users)) writeFileSync(join(plain, u), `${p}\n`);
      writeFileSync(join(dir, 'users'), `${Object.keys(users).join('\n')}\n`);
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
        // The revocation pass after each import lists users (none to delete here) and deletes nothing.
        if (req.method === 'GET') return void res.writeHead(200).end(JSON.stringify({ data: [], meta: { page: 1, limit: 500, hasnext: false } }));
        if (req.method === 'DELETE') return void res.writeHead(204).end(); // disconnects of rotated identities
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
    writeFileSync(join(dir, 'users'), `${Object.keys(users).join('\n')}\n`);
    writeFileSync(join(dir, 'api-keys'), 'prometheus-scraper:scraper-secret\nfortress-credential-sync:sync-secret-value\n');
    const env = {
      PATH: process.env.PATH,
      FORTRESS_MODE: 'sync',
      FORTRESS_PLAIN: plain,
      FORTRESS_USERS: join(dir, 'users'),
      FORTRESS_API_KEYS: join(dir, 'api-keys'),
      FORTRESS_API: `127.0.0.1:${port}`,
      FORTRESS_INTERVAL_MS: '100',
    };
    const child = spawn('sh', [templatePath('emqx/hash-credentials.sh')], { env, cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const waitFor = async (n: number) => {
      // Up to 30 s: each import hashes every password in Erlang; under load 15 the retry after the 503 took over 5 s.
      for (let i = 0; i < 600 && requests.length < n; i++) await new Promise((r) => setTimeout(r, 50));
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
      // Polled (interval 100 ms): a fixed 400 ms wait missed the message under load 10.
      for (let i = 0; i < 600 && !/not syncing: password of backend/.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(stderr, /not syncing: password of backend is shorter than 32 characters/);
      assert.equal(requests.length, 3);
      assert.equal(child.exitCode, null, 'the sidecar keeps running');
      for (const p of [...Object.values(users), 'sync-secret-value']) assert.ok(!stderr.includes(p), 'no secret in the log');
    } finally {
      child.kill('SIGKILL');
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the credential-sync sidecar deletes identities the policy no longer has and disconnects removed and rotated ones (revocation)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortress-emqx-revoke-'));
    // A fake node: the built-in database as a set, its REST API as EMQX 5.8.9 shapes it
    // (emqx_authn_api.erl: GET .../users?page&limit -> {data: [{user_id, is_superuser}], meta: {page, limit, hasnext}};
    // DELETE .../users/:user_id -> 204; emqx_mgmt_api_clients.erl: DELETE /clients/:clientid -> 204 or 404).
    const db = new Set(['sensor-0001', 'sensor-0002', 'backend', 'old-device', 'left-behind']);
    const connected = new Set(['sensor-0001', 'backend', 'old-device']);
    const log: string[] = [];
    let failDeleteOnce = true;
    const base = '/api/v5/authentication/password_based%3Abuilt_in_database';
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        log.push(`${req.method} ${url.pathname}${url.search}`);
        if (req.headers.authorization !== `Basic ${Buffer.from('fortress-credential-sync:sync-secret-value').toString('base64')}`) return void res.writeHead(401).end();
        if (req.method === 'POST' && url.pathname === `${base}/import_users`) {
          const body = Buffer.concat(chunks).toString('utf8');
          for (const line of body.split('\n').slice(1)) if (/^[a-z0-9-]+,[0-9a-f]{64},/.test(line)) db.add(line.split(',')[0]!);
          return void res.writeHead(204).end();
        }
        if (req.method === 'GET' && url.pathname === `${base}/users`) {
          const page = Number(url.searchParams.get('page'));
          const all = [...db].sort();
          const size = 2; // the node pages by 2 here, whatever the sidecar asks: it must follow hasnext
          const data = all.slice((page - 1) * size, page * size).map((u) => ({ user_id: u, is_superuser: false }));
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data, meta: { page, limit: size, hasnext: page * size < all.length } }));
        }
        const del = new RegExp(`^${base.replace(/[%]/g, '%')}/users/(.+)$`).exec(url.pathname);
        if (req.method === 'DELETE' && del) {
          if (failDeleteOnce) {
            failDeleteOnce = false;
            return void res.writeHead(503).end();
          }
          db.delete(decodeURIComponent(del[1]!));
          return void res.writeHead(204).end();
        }
        const kick = /^\/api\/v5\/clients\/(.+)$/.exec(url.pathname);
        if (req.method === 'DELETE' && kick) {
          const id = decodeURIComponent(kick[1]!);
          const was = connected.delete(id);
          return void res.writeHead(was ? 204 : 404).end();
        }
        res.writeHead(404).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    const users: Record<string, string> = { 'sensor-0001': 'p'.repeat(40), 'sensor-0002': 's'.repeat(40), backend: 'q'.repeat(36) };
    for (const [u, p] of Object.entries(users)) writeFileSync(join(plain, u), p);
    writeFileSync(join(dir, 'users'), `${Object.keys(users).join('\n')}\n`);
    writeFileSync(join(dir, 'api-keys'), 'prometheus-scraper:scraper-secret\nfortress-credential-sync:sync-secret-value\n');
    const env = {
      PATH: process.env.PATH,
      FORTRESS_MODE: 'sync',
      FORTRESS_PLAIN: plain,
      FORTRESS_USERS: join(dir, 'users'),
      FORTRESS_API_KEYS: join(dir, 'api-keys'),
      FORTRESS_API: `127.0.0.1:${port}`,
      FORTRESS_INTERVAL_MS: '100',
    };
    const child = spawn('sh', [templatePath('emqx/hash-credentials.sh')], { env, cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // About 1 s per step on an idle machine (an Erlang VM start, then 100 ms passes); up to 30 s
    // when the machine is shared and loaded (measured 6 s+ at load average 30).
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(ok(), `${what}; sidecar said: ${stderr}`);
    };
    try {
      // First pass: one DELETE is refused, so the pass is retried until the database holds the policy's users only.
      // The sidecar deletes the users, then disconnects them: wait for both (the disconnect follows the delete).
      await until('identities the policy no longer has are deleted and disconnected', () => [...db].sort().join() === 'backend,sensor-0001,sensor-0002' && !connected.has('old-device'));
      assert.ok(!connected.has('old-device'), 'a deleted identity is disconnected');
      assert.ok(connected.has('sensor-0001') && connected.has('backend'), 'identities that stay are not disconnected');
      assert.ok(
        log.some((l) => l === `GET ${base}/users?page=3&limit=500`),
        'it follows hasnext to the last page',
      );
      assert.match(stderr, /revocation incomplete .*retrying/);
      // Removing an identity from the policy (the user list) deletes it and cuts its session.
      writeFileSync(join(dir, 'users'), 'sensor-0001\nsensor-0002\n');
      await until('backend is deleted and its session cut', () => !db.has('backend') && !connected.has('backend'));
      assert.ok(!connected.has('backend'));
      // Rotating sensor-0001's password disconnects its open session (it must log in with the new one).
      const before = log.length;
      writeFileSync(join(plain, 'sensor-0001'), 'n'.repeat(44));
      await until('the rotated identity is disconnected', () => !connected.has('sensor-0001'));
      assert.ok(log.slice(before).includes('DELETE /api/v5/clients/sensor-0001'));
      assert.ok(!log.slice(before).some((l) => l === 'DELETE /api/v5/clients/sensor-0002'), 'an unchanged identity is left alone');
      for (const p of [...Object.values(users), 'n'.repeat(44), 'sync-secret-value']) assert.ok(!stderr.includes(p), 'no secret in the log');
      assert.equal(child.exitCode, null);
    } finally {
      child.kill('SIGKILL');
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
