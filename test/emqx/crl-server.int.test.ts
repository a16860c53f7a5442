/**
 * The EMQX CRL server (templates/emqx/fortress-crl.erl) for real: it signs the kit's rendered
 * revocation list with a CA like cert-manager's (ECDSA P-256 or RSA 3072, PKCS#8 key), serves it
 * over HTTP, and an OTP ssl server configured as EMQX 5.8 configures a listener with
 * `enable_crl_check` (emqx_listeners.erl inject_crl_config: `crl_check => peer`, a
 * `crl_cache` of the `internal` kind with an http timeout, verify_peer, fail_if_no_peer_cert)
 * fetches it from the distribution point in each client certificate and refuses the revoked one.
 *
 * Not EMQX: the server is OTP 25's ssl with OTP's own ssl_crl_cache (emqx_ssl_crl_cache is
 * derived from it and adds a cache refreshed every crl_cache.refresh_interval; this one fetches
 * at every handshake). No EMQX node runs here.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { emqxCrlObjects, resolveEmqxRevocation } from '../../constructs/emqx/revocation.js';
import { templatePath } from '../../constructs/templates.js';
import { type RevokedCertificate, renderRevocationIndex, resolveRevocation } from '../../constructs/tls/revocation.js';
import { missing } from '../helpers/peers.js';

const skip = missing.openssl ?? missing.erlSsl;
const ossl = (dir: string, args: string[]) => {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A CA as cert-manager writes it (tls.crt, PKCS#8 tls.key) and leaf certificates it issues. */
function pki(dir: string, keyAlg: string[], crlUrl: string, leaves: string[]): Record<string, string> {
  ossl(dir, [
    'req',
    '-x509',
    '-newkey',
    ...keyAlg,
    '-nodes',
    '-keyout',
    'ca/tls.key',
    '-out',
    'ca/tls.crt',
    '-subj',
    '/CN=test MQTT CA',
    '-days',
    '30',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
  writeFileSync(join(dir, 'dp.ext'), `crlDistributionPoints=URI:${crlUrl}\nextendedKeyUsage=clientAuth,serverAuth\nsubjectAltName=DNS:localhost\n`);
  writeFileSync(join(dir, 'nodp.ext'), 'extendedKeyUsage=clientAuth\n');
  const serials: Record<string, string> = {};
  for (const [i, name] of leaves.entries()) {
    // Random-looking 16-octet serials, as cert-manager issues them.
    const serial = `${(i + 1).toString(16).padStart(2, '0')}${'5A'.repeat(15)}`;
    ossl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    ossl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca/tls.crt',
      '-CAkey',
      'ca/tls.key',
      '-set_serial',
      `0x${serial}`,
      '-out',
      `${name}.crt`,
      '-days',
      '5',
      '-extfile',
      name.startsWith('nodp') ? 'nodp.ext' : 'dp.ext',
    ]);
    serials[name] = serial;
  }
  return serials;
}

/** The CRL server container's environment as the kit renders it, with local paths and port. */
function crlEnv(dir: string, port: number): Record<string, string> {
  const r = resolveEmqxRevocation('tls.revocation', { caSecretName: 'ca', revoked: [] }, 'certificate', 'emqx', 'mqtt', undefined)!;
  const objects = emqxCrlObjects(r, { name: 'emqx', namespace: 'mqtt', image: 'emqx/emqx@sha256:x', runAsUser: 10884, tlsSecretName: 't', labels: {}, emqxSelector: { app: 'emqx' } });
  const sts = objects.find((o) => o.kind === 'StatefulSet') as any;
  const env: Record<string, string> = Object.fromEntries(sts.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
  return {
    ...env,
    FORTRESS_CRL_INDEX: join(dir, 'revoked.index'),
    FORTRESS_CRL_CA: join(dir, 'ca'),
    FORTRESS_CRL_TRUST: join(dir, 'ca', 'tls.crt'),
    FORTRESS_CRL_PORT: String(port),
    FORTRESS_CRL_CHECK_MS: '300',
  };
}

function index(serials: Record<string, string>, names: string[]): string {
  const revoked: RevokedCertificate[] = names.map((n) => ({ serial: serials[n]!, identity: n, reason: 'keyCompromise', revokedAt: '2026-12-01T10:00:00Z' }));
  return renderRevocationIndex(resolveRevocation('tls.revocation', { caSecretName: 'ca', revoked }));
}

const TLS_SERVER = `
[ok = application:ensure_started(A) || A <- [crypto, asn1, public_key, ssl, inets]],
D = os:getenv("D"),
{ok, L} = ssl:listen(list_to_integer(os:getenv("P")), [{certfile, D ++ "/server.crt"}, {keyfile, D ++ "/server.key"}, {cacertfile, D ++ "/ca/tls.crt"},
  {verify, verify_peer}, {fail_if_no_peer_cert, true}, {reuse_sessions, false}, {versions, ['tlsv1.3', 'tlsv1.2']},
  {crl_check, peer}, {crl_cache, {ssl_crl_cache, {internal, [{http, 5000}]}}}, {reuseaddr, true}, {active, false}]),
io:format("listening~n"),
Loop = fun Lp() -> {ok, T} = ssl:transport_accept(L), spawn(fun() -> case ssl:handshake(T, 10000) of {ok, S} -> ssl:send(S, <<"hello\\n">>), timer:sleep(200), ssl:close(S); _ -> ok end end), Lp() end,
Loop().
`;

function start(cmd: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<{ p: ChildProcess; log: () => string }> {
  const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  p.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${cmd} did not start: ${out}`)), 30_000);
    const check = setInterval(() => {
      if (ready.test(out)) {
        clearTimeout(t);
        clearInterval(check);
        resolve({ p, log: () => out });
      }
    }, 50);
    p.on('exit', (c) => {
      clearTimeout(t);
      clearInterval(check);
      reject(new Error(`${cmd} exited ${c}: ${out}`));
    });
  });
}

/** 'accepted' when the handshake completes and the server's greeting arrives, else the alert. */
function handshake(dir: string, port: number, name: string, version = '-tls1_2'): string {
  const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-cert', `${name}.crt`, '-key', `${name}.key`, '-CAfile', 'ca/tls.crt', version, '-ign_eof', '-quiet'], {
    cwd: dir,
    input: '',
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.stdout.includes('hello')) return 'accepted';
  return /alert ([a-z ]+)/.exec(r.stderr)?.[1]?.trim() ?? `failed: ${r.stderr.slice(0, 200)}`;
}

async function crlHas(port: number, serial: string, ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const res = await fetch(`http://127.0.0.1:${port}/crl.pem`).catch(() => undefined);
    if (res?.ok) {
      const pem = await res.text();
      const text = spawnSync('openssl', ['crl', '-noout', '-text'], { input: pem, encoding: 'utf8' }).stdout;
      if (text.includes(`Serial Number: ${serial}`)) return Date.now() - t0;
    }
    await sleep(100);
  }
  throw new Error(`the served CRL did not list ${serial} within ${ms} ms`);
}

describe('EMQX CRL server against a real OTP ssl listener with crl_check', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'fortress-emqx-crl-'));
  let crlPort = 0;
  let tlsPort = 0;
  let serials: Record<string, string> = {};
  // A second CA with an RSA key (2048 bits here for speed; the kit's CAs use 3072 or 4096, the code path is the same).
  const rsaDir = join(dir, 'rsa');
  let rsaPort = 0;
  let rsaSerials: Record<string, string> = {};
  let crl: Awaited<ReturnType<typeof start>> | undefined;
  let tls: Awaited<ReturnType<typeof start>> | undefined;
  let rsa: Awaited<ReturnType<typeof start>> | undefined;
  before(async () => {
    [crlPort, tlsPort, rsaPort] = [await freePort(), await freePort(), await freePort()];
    mkdirSync(join(dir, 'ca'));
    mkdirSync(join(rsaDir, 'ca'), { recursive: true });
    // PKCS#8 keys, as cert-manager writes them with encoding PKCS8 (the kit's default).
    serials = pki(dir, ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], `http://127.0.0.1:${crlPort}/crl.pem`, ['server', 'dev1', 'dev2', 'dev3', 'nodp1']);
    rsaSerials = pki(rsaDir, ['rsa:2048'], `http://127.0.0.1:${rsaPort}/crl.pem`, ['dev1', 'dev2']);
    writeFileSync(join(dir, 'revoked.index'), index(serials, ['dev1']));
    writeFileSync(join(rsaDir, 'revoked.index'), index(rsaSerials, ['dev1']));
    [crl, tls, rsa] = await Promise.all([
      start('/bin/sh', [templatePath('emqx/fortress-crl.sh')], crlEnv(dir, crlPort), /signed the CRL \(1 revoked/),
      start('erl', ['-noshell', '-eval', TLS_SERVER], { D: dir, P: String(tlsPort) }, /listening/),
      start('/bin/sh', [templatePath('emqx/fortress-crl.sh')], crlEnv(rsaDir, rsaPort), /signed the CRL \(1 revoked/),
    ]);
  });
  after(() => {
    for (const x of [crl, tls, rsa]) x?.p.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a CRL signed by the client CA that openssl verifies, with the reason and a CRL number', async () => {
    const res = await fetch(`http://127.0.0.1:${crlPort}/crl.pem`);
    assert.equal(res.status, 200);
    writeFileSync(join(dir, 'crl.pem'), await res.text());
    const out = spawnSync('openssl', ['crl', '-in', 'crl.pem', '-CAfile', 'ca/tls.crt', '-noout', '-text'], { cwd: dir, encoding: 'utf8' });
    assert.match(out.stderr + out.stdout, /verify OK/);
    assert.match(out.stdout, new RegExp(`Serial Number: ${serials.dev1}[\\s\\S]*Key Compromise`));
    assert.match(out.stdout, /X509v3 CRL Number/);
    assert.equal((await fetch(`http://127.0.0.1:${crlPort}/healthz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${crlPort}/other`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${crlPort}/crl.pem`, { method: 'POST', body: 'x' })).status, 405);
  });
  it('the revoked certificate is refused at the handshake (TLS 1.2 and 1.3), the others are accepted', () => {
    assert.equal(handshake(dir, tlsPort, 'dev1'), 'certificate revoked');
    assert.equal(handshake(dir, tlsPort, 'dev1', '-tls1_3'), 'certificate revoked');
    assert.equal(handshake(dir, tlsPort, 'dev2'), 'accepted');
  });
  it('a certificate without a CRL distribution point is refused when no CRL of its issuer is cached (OTP ssl_crl_cache caches none)', () => {
    assert.equal(handshake(dir, tlsPort, 'nodp1'), 'bad certificate');
  });
  it('a change of the list is served within the check interval and enforced at the next handshake', async () => {
    writeFileSync(join(dir, 'revoked.index'), index(serials, ['dev1', 'dev2']));
    const ms = await crlHas(crlPort, serials.dev2!, 10_000);
    assert.ok(ms < 5000, `served after ${ms} ms`);
    assert.equal(handshake(dir, tlsPort, 'dev2'), 'certificate revoked');
    assert.equal(handshake(dir, tlsPort, 'dev3'), 'accepted');
  });
  it('an edited list with a line not in the kit form is refused and the current CRL stays served', async () => {
    writeFileSync(join(dir, 'revoked.index'), `${index(serials, ['dev1'])}R\t261201100000Z\t261201100000Z,keyCompromise\tZZ\tunknown\t/CN=x\n`);
    const t0 = Date.now();
    while (!/refused: 1 line\(s\)/.test(crl!.log()) && Date.now() - t0 < 10_000) await sleep(100);
    assert.match(crl!.log(), /refused: 1 line\(s\) of .* are not revoked entries; keeping the CRL served so far/);
    assert.equal(handshake(dir, tlsPort, 'dev2'), 'certificate revoked', 'dev2 stays revoked: the previous CRL is still served');
  });
  it('an RSA CA signs with sha256WithRSAEncryption; openssl verifies the CRL and refuses the revoked certificate', async () => {
    writeFileSync(join(rsaDir, 'crl.pem'), await (await fetch(`http://127.0.0.1:${rsaPort}/crl.pem`)).text());
    const text = spawnSync('openssl', ['crl', '-in', 'crl.pem', '-CAfile', 'ca/tls.crt', '-noout', '-text'], { cwd: rsaDir, encoding: 'utf8' });
    assert.match(text.stderr + text.stdout, /verify OK/);
    assert.match(text.stdout, /Signature Algorithm: sha256WithRSAEncryption/);
    writeFileSync(join(rsaDir, 'chain.pem'), readFileSync(join(rsaDir, 'ca', 'tls.crt'), 'utf8') + readFileSync(join(rsaDir, 'crl.pem'), 'utf8'));
    const v = (n: string) => spawnSync('openssl', ['verify', '-crl_check', '-CAfile', 'chain.pem', `${n}.crt`], { cwd: rsaDir, encoding: 'utf8' });
    assert.match(v('dev1').stdout + v('dev1').stderr, /certificate revoked/);
    assert.equal(v('dev2').status, 0);
  });
  it('with the CRL server down and no CRL cached, every client certificate is refused (fail closed)', async () => {
    crl!.p.kill();
    await new Promise((r) => crl!.p.once('exit', r));
    assert.equal(handshake(dir, tlsPort, 'dev3'), 'bad certificate');
  });
});
