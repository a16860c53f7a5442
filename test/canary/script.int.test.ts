/**
 * The attack canary's script (templates/canary/fortress-canary.sh) as a real process against a
 * real Mosquitto started from the local bundle (default stack, canary identity of the example
 * policy): a good broker passes all seven checks; each broken broker fails with the line naming
 * the property it broke; the password never appears in the output.
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CANARY_FAILURE, cloudwatchMatches } from '../../constructs/monitoring/logs.js';
import { templatePath } from '../../constructs/templates.js';
import { createLocalBundle, type LocalBundle } from '../../scripts/local-bundle.js';
import { freePort, startFromBundle } from '../helpers/broker.js';
import { missingBroker } from '../helpers/peers.js';

const SCRIPT = templatePath('canary/fortress-canary.sh');
const root = mkdtempSync(join(tmpdir(), 'fortress-canary-'));
chmodSync(root, 0o755);
after(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  status: number;
  out: string;
}

function runCanary(b: LocalBundle, dir: string, env: Record<string, string> = {}): Promise<Run> {
  const canary = b.users.find((u) => u.username === 'canary')!;
  const pw = join(dir, 'canary-password');
  writeFileSync(pw, `${canary.password}\n`, { mode: 0o600 });
  const vars = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    CANARY_HOST: b.host,
    CANARY_PORT: String(b.port),
    CANARY_CA_FILE: b.caFile,
    CANARY_USERNAME: 'canary',
    CANARY_PASSWORD_FILE: pw,
    CANARY_TOPIC: 'fortress/canary/canary',
    CANARY_FOREIGN_TOPIC: 'devices/sensor-0001/telemetry',
    CANARY_TIMEOUT: '5',
    CANARY_QUIET: '2',
    ...env,
  };
  return new Promise((resolve) => {
    execFile('sh', [SCRIPT], { env: vars, encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ status, out: `${stdout}${stderr}` });
    });
  });
}

/** Renders a bundle, lets `breakIt` change its files, starts Mosquitto from it and runs the canary. */
async function scenario(name: string, breakIt: (b: LocalBundle) => void = () => undefined): Promise<Run & { password: string }> {
  const dir = join(root, name);
  const b = createLocalBundle({ out: dir, port: await freePort() });
  breakIt(b);
  const broker = await startFromBundle(b, dir, { keepDir: true });
  try {
    return { ...(await runCanary(b, dir)), password: b.users.find((u) => u.username === 'canary')!.password };
  } finally {
    await broker.stop();
  }
}

const aclOf = (b: LocalBundle) => readFileSync(b.config, 'utf8').match(/^acl_file (.+)$/m)![1]!;
const lastLine = (r: Run) => r.out.trim().split('\n').at(-1);
const failLines = (r: Run) => r.out.split('\n').filter((l) => l.startsWith('canary FAIL: '));

describe('attack canary script against a real Mosquitto', { skip: missingBroker }, () => {
  it('the default stack: all seven checks pass, exit 0, the password is never printed', async () => {
    const r = await scenario('good');
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(
      r.out.split('\n').filter((l) => l.startsWith('canary ok: ')),
      [
        'canary ok: round trip over TLS',
        'canary ok: anonymous refused',
        'canary ok: wrong password refused',
        'canary ok: plaintext refused',
        'canary ok: no write outside the canary topic',
        'canary ok: no read outside the canary topic',
        'canary ok: $SYS read refused',
      ],
    );
    assert.match(lastLine(r)!, /^canary: all 7 checks passed against 127\.0\.0\.1:\d+$/);
    assert.ok(!r.out.includes(r.password));
    // The CloudWatch alarm's pattern matches no line of a good run.
    assert.ok(r.out.split('\n').every((l) => !cloudwatchMatches(CANARY_FAILURE.cloudwatch, l)));
  });

  it('anonymous allowed: fails naming "anonymous refused" only', async () => {
    // use_username_as_clientid alone refuses a CONNECT without a username (measured: CONNACK 135),
    // so both lines have to go for an anonymous client to get in.
    const r = await scenario('anonymous', (b) =>
      writeFileSync(
        b.config,
        readFileSync(b.config, 'utf8')
          .replace(/^allow_anonymous false$/m, 'allow_anonymous true')
          .replace(/^use_username_as_clientid true\n/gm, ''),
      ),
    );
    assert.equal(r.status, 1, r.out);
    assert.equal(lastLine(r), 'canary FAILED: anonymous refused');
    assert.ok(!r.out.includes(r.password));
    // ... and exactly the one line of a failed run.
    assert.deepEqual(
      r.out.split('\n').filter((l) => cloudwatchMatches(CANARY_FAILURE.cloudwatch, l)),
      ['canary FAILED: anonymous refused'],
    );
  });

  it('an ACL opened for the canary (topic readwrite #): fails naming the write and the read outside its topic', async () => {
    const r = await scenario('acl-opened', (b) => appendFileSync(aclOf(b), '\ntopic readwrite #\n'));
    assert.equal(r.status, 1, r.out);
    assert.equal(lastLine(r), 'canary FAILED: no write outside the canary topic; no read outside the canary topic');
    assert.match(r.out, /canary FAIL: no write outside the canary topic: the broker accepted a publish to devices\/sensor-0001\/telemetry/);
    assert.match(r.out, /canary FAIL: no read outside the canary topic: a subscription to # delivered 'fortress\/canary\/canary\/sealed'/);
  });

  it('$SYS opened for the canary: fails naming "$SYS read refused" only', async () => {
    const r = await scenario('sys-opened', (b) => appendFileSync(aclOf(b), '\ntopic read $SYS/#\n'));
    assert.equal(r.status, 1, r.out);
    assert.equal(lastLine(r), 'canary FAILED: $SYS read refused');
    assert.match(r.out, /a subscription to \$SYS\/# delivered '\$SYS\/broker\//);
  });

  it('a plaintext listener on the broker port: fails naming "plaintext refused" (and the TLS checks, which cannot connect)', async () => {
    const r = await scenario('plaintext', (b) => {
      const conf = readFileSync(b.config, 'utf8');
      // The first listener block (the client port) without its TLS lines.
      const [head, ...rest] = conf.split(/(?=^listener )/m);
      const first = rest[0]!.replace(/^(certfile|keyfile|cafile|tls_version|ciphers|ciphers_tls1\.3|require_certificate) .*\n/gm, '');
      writeFileSync(b.config, [head, first, ...rest.slice(1)].join(''));
    });
    assert.equal(r.status, 1, r.out);
    assert.ok(
      failLines(r).some((l) => l.startsWith('canary FAIL: plaintext refused: MQTT without TLS on port ')),
      r.out,
    );
    assert.match(lastLine(r)!, /^canary FAILED: round trip over TLS; .*plaintext refused/);
    assert.ok(!r.out.includes(r.password));
  });

  it('a broker that is not there: fails naming the round trip first', async () => {
    const dir = join(root, 'absent');
    const b = createLocalBundle({ out: dir, port: await freePort() });
    const r = await runCanary(b, dir);
    assert.equal(r.status, 1, r.out);
    assert.match(
      lastLine(r)!,
      /^canary FAILED: round trip over TLS; anonymous refused; wrong password refused; no write outside the canary topic; no read outside the canary topic; \$SYS read refused$/,
    );
  });

  it('a missing setting or password file: exit 2 with one line naming it', async () => {
    const dir = join(root, 'config');
    const b = createLocalBundle({ out: dir, port: await freePort() });
    const r = await runCanary(b, dir, { CANARY_TOPIC: '' });
    assert.equal(r.status, 2, r.out);
    assert.equal(r.out.trim(), 'canary FAILED: configuration: CANARY_TOPIC is not set');
    const p = await runCanary(b, dir, { CANARY_PASSWORD_FILE: join(dir, 'nope') });
    assert.equal(p.status, 2, p.out);
    assert.equal(p.out.trim(), `canary FAILED: configuration: no password in ${join(dir, 'nope')}`);
  });
});
