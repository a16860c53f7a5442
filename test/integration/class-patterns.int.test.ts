/**
 * Identity classes as Mosquitto `pattern` lines (issue 16), in a real Mosquitto 2.0: random
 * policies with two classes (one rendered as patterns when eligible, the other per user with
 * shields), individuals and usernames that collide with topic words. For every identity (class
 * members, members of the other class, individuals): each publish's PUBACK and each delivery
 * through a "#" subscription equal Policy.allows. A writer outside the policy (appended to the
 * rendered files, write-only) is the source of the deliveries. Then the hostile-username cases.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hashPasswordLine } from '../../constructs/mosquitto/passwd.js';
import { Policy } from '../../constructs/policy/model.js';
import { mosquittoPatternGroup } from '../../constructs/policy/render-mosquitto.js';
import { issueLeaf } from '../../scripts/lib/pki.js';
import { createLocalBundle } from '../../scripts/local-bundle.js';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';
import { collect, connect, freePort, publishCode, startFromBundle, subscribeCode } from '../helpers/broker.js';
import { missingBroker } from '../helpers/peers.js';
import { pick, type Rng, rng } from '../helpers/random.js';
import { CLASS_WORDS, randomClassPolicy } from '../helpers/random-class-policy.js';

const topicName = (r: Rng) => Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, CLASS_WORDS)).join('/');

/** Starts the policy's broker (password mode) with a write-only `writer` appended outside the policy. */
async function startWithWriter(policy: Policy) {
  const dir = mkdtempSync(join(tmpdir(), 'fortress-classes-'));
  const bundle = createLocalBundle({ out: dir, port: await freePort(), broker: { ...defaultMosquittoOptions(), policy } });
  const writer = { username: 'writer-x', password: 'writer-password-0123456789abcdef' };
  appendFileSync(join(dir, 'config', 'acl'), `\nuser ${writer.username}\ntopic write #\n`);
  appendFileSync(join(dir, 'auth', 'passwd'), `${hashPasswordLine(writer.username, writer.password)}\n`);
  const acl = readFileSync(join(dir, 'config', 'acl'), 'utf8');
  return { b: await startFromBundle(bundle, dir), writer, acl };
}

async function agrees(policy: Policy, topics: string[], what: string): Promise<{ publishes: number; deliveries: number }> {
  const { b, writer, acl } = await startWithWriter(policy);
  let publishes = 0;
  let deliveries = 0;
  try {
    const users = b.bundle.users;
    for (const u of users) {
      const c = await connect(b.bundle, u);
      for (const t of topics) {
        const want = policy.allows(u.username, 'publish', t);
        publishes += want ? 1 : 0;
        assert.equal(await publishCode(c, t, 'p'), want ? 0 : 135, `${what}: ${u.username} publish ${t}\n${acl}`);
      }
      await c.endAsync();
    }
    const subs = await Promise.all(users.map((u) => connect(b.bundle, u)));
    for (const s of subs) await subscribeCode(s, '#');
    const w = await connect(b.bundle, writer);
    const got = subs.map((s) => collect(s, 600));
    for (const t of topics) assert.equal(await publishCode(w, t, 'w'), 0, `writer may publish ${t}`);
    const received = await Promise.all(got);
    users.forEach((u, i) => {
      const want = topics.filter((t) => policy.allows(u.username, 'receive', t)).sort();
      deliveries += want.length;
      assert.deepEqual(received[i]!.map((m) => m.topic).sort(), want, `${what}: ${u.username} receives\n${acl}`);
    });
    await Promise.all([...subs, w].map((c) => c.endAsync()));
  } finally {
    await b.stop();
  }
  return { publishes, deliveries };
}

describe('identity classes as Mosquitto pattern lines = Policy.allows (real broker)', { skip: missingBroker }, () => {
  // Seeds whose policy the model accepts, split by whether a pattern group was eligible.
  const withPatterns: number[] = [];
  const without: number[] = [];
  for (let seed = 1; seed < 400 && (withPatterns.length < 6 || without.length < 2); seed++) {
    let policy: Policy;
    try {
      policy = Policy.from(randomClassPolicy(rng(seed)));
    } catch {
      continue;
    }
    const g = mosquittoPatternGroup(policy, { clientIdIsUsername: true, classPatterns: true });
    if (g && withPatterns.length < 6) withPatterns.push(seed);
    else if (!g && without.length < 2) without.push(seed);
  }

  it('enough random policies render a pattern group (and some are refused one)', () => {
    assert.equal(withPatterns.length, 6);
    assert.equal(without.length, 2);
  });

  for (const seed of [...withPatterns, ...without]) {
    it(`seed ${seed}: every identity's publishes and deliveries`, async () => {
      const policy = Policy.from(randomClassPolicy(rng(seed)));
      const r = rng(seed * 7919);
      const topics = [...new Set(Array.from({ length: 30 }, () => topicName(r)))];
      const n = await agrees(policy, topics, `seed ${seed}`);
      stats.push(n);
    });
  }
  const stats: { publishes: number; deliveries: number }[] = [];
  it('the random policies allow some publishes and deliveries (not vacuous)', () => {
    assert.ok(stats.reduce((a, s) => a + s.publishes, 0) > 20, JSON.stringify(stats));
    assert.ok(stats.reduce((a, s) => a + s.deliveries, 0) > 20, JSON.stringify(stats));
  });

  it('a fleet with its own subtree next to a service and a monitor: pattern lines, exact for all', async () => {
    const policy = Policy.from({
      roles: [
        {
          name: 'own',
          rules: [
            { action: 'publish', topics: ['devices/{username}/telemetry'] },
            { action: 'subscribe', topics: ['devices/{username}/commands/#'] },
          ],
        },
        {
          name: 'ingest',
          rules: [
            { action: 'subscribe', topics: ['ingest/#'] },
            { action: 'publish', topics: ['broadcast/reboot'] },
          ],
        },
        { name: 'metrics', rules: [{ action: 'subscribe', topics: ['$SYS/#'] }] },
      ],
      identities: [
        { name: 'fleet', kind: 'device', roles: ['own'], members: ['d1', 'd2', 'ingest'] },
        { name: 'backend', kind: 'service', roles: ['ingest'] },
        { name: 'metrics', kind: 'monitoring', roles: ['metrics'] },
      ],
    });
    const g = mosquittoPatternGroup(policy, { clientIdIsUsername: true, classPatterns: true });
    assert.deepEqual([...(g?.members ?? [])], ['d1', 'd2', 'ingest']);
    const topics = ['d1', 'd2', 'ingest', 'backend', 'metrics', 'x'].flatMap((u) => [
      `devices/${u}/telemetry`,
      `devices/${u}/commands/reboot`,
      `devices/${u}/commands/x`,
      `ingest/${u}`,
      'broadcast/reboot',
    ]);
    const n = await agrees(policy, topics, 'fleet');
    assert.ok(n.publishes >= 5 && n.deliveries >= 5, JSON.stringify(n));
  });
});

describe('hostile usernames cannot widen a pattern (real broker)', { skip: missingBroker }, () => {
  const policy = Policy.from({
    roles: [{ name: 'own', rules: [{ action: 'all', topics: ['devices/{username}/#'] }] }],
    identities: [{ name: 'fleet', kind: 'device', roles: ['own'], members: ['d1', 'd2'] }],
  });

  it('the model refuses member names with "+", "#", "/", spaces or control characters', () => {
    for (const bad of ['d1/x', 'd+', 'd#', 'd 1', 'd\u0000', 'd\n1', '%u']) {
      assert.throws(() => Policy.from({ roles: policy.spec.roles, identities: [{ name: 'fleet', kind: 'device', roles: ['own'], members: ['d1', bad] }] }), /invalid username|contains U\+/);
    }
  });

  it('a name the password file does not hold cannot log in; Mosquitto itself refuses "+" and "#" names; a "/" name would widen, which is why patterns need the password-only mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortress-classes-hostile-'));
    const bundle = createLocalBundle({ out: dir, port: await freePort(), broker: { ...defaultMosquittoOptions(), policy } });
    const acl = readFileSync(join(dir, 'config', 'acl'), 'utf8');
    assert.match(acl, /^pattern readwrite devices\/%u\/#$/m);
    assert.doesNotMatch(acl, /^user d1$/m);
    // Forged entries in the password file, as if a name had bypassed the model.
    const forged = ['d1/telemetry', 'x+', 'x#'].map((username) => ({ username, password: `forged-${username.length}-0123456789abcdef` }));
    for (const f of forged) appendFileSync(join(dir, 'auth', 'passwd'), `${hashPasswordLine(f.username, f.password)}\n`);
    const b = await startFromBundle(bundle, dir);
    try {
      // Not in the password file: refused at CONNECT.
      await assert.rejects(connect(b.bundle, { username: 'd3', password: 'whatever-0123456789' }));
      const [slash, plus, hash] = await Promise.all(forged.map((f) => connect(b.bundle, f, { clientId: `c-${forged.indexOf(f)}` })));
      // Mosquitto denies every pattern check for a "+" or "#" username (src/security_default.c);
      // a topic name cannot hold "+" or "#" either, so these names reach nothing, not even d1's subtree.
      for (const c of [plus!, hash!]) for (const t of ['devices/d1/a', 'devices/x/a', 'devices/d2/telemetry']) assert.equal(await publishCode(c, t, 'p'), 135);
      // A "/" in a name is not refused by Mosquitto: the pattern reaches into d1's subtree.
      assert.equal(await publishCode(slash!, 'devices/d1/telemetry/x', 'p'), 0);
      await Promise.all([slash, plus, hash].map((c) => c!.endAsync()));
    } finally {
      await b.stop();
    }
  });

  it('with client certificates (any CN the CA signs can log in) the ACL stays per user: a hostile CN gets nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortress-classes-cert-'));
    const bundle = createLocalBundle({ out: dir, port: await freePort(), clientAuth: 'certificate', broker: { ...defaultMosquittoOptions(), policy } });
    const acl = readFileSync(join(dir, 'config', 'acl'), 'utf8');
    assert.doesNotMatch(acl, /^pattern /m);
    assert.match(acl, /^user d1$/m);
    const b = await startFromBundle(bundle, dir);
    try {
      // The bundle's CA signs a certificate whose CN is "d1/telemetry".
      const ca = { dir: join(dir, 'pki'), cert: join(dir, 'pki', 'ca.crt'), key: join(dir, 'pki', 'ca.key') };
      // openssl's -subj reads "\/" as a "/" inside the value.
      const leaf = issueLeaf(ca, join(dir, 'pki', 'clients'), 'hostile', { cn: 'd1\\/telemetry', usage: 'client' });
      assert.match(execFileSync('openssl', ['x509', '-noout', '-subject', '-nameopt', 'RFC2253', '-in', leaf.cert], { encoding: 'utf8' }), /CN=d1\/telemetry/);
      const c = await connect(b.bundle, undefined, { cert: readFileSync(leaf.cert), key: readFileSync(leaf.key), clientId: 'hostile' });
      assert.equal(await publishCode(c, 'devices/d1/telemetry/x', 'p'), 135);
      await c.endAsync();
      // The real d1 certificate may (the refusal above is not a broken listener).
      const d1 = b.bundle.clientCertificates.find((x) => x.username === 'd1')!;
      const ok = await connect(b.bundle, undefined, { cert: readFileSync(d1.cert), key: readFileSync(d1.key), clientId: 'd1' });
      assert.equal(await publishCode(ok, 'devices/d1/telemetry/x', 'p'), 0);
      await ok.endAsync();
    } finally {
      await b.stop();
    }
  });
});
