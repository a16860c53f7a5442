/**
 * Mosquitto's dynamic-security plugin, as aclMode 'dynamic-security' deploys it: the rendering
 * refuses exactly what Policy.allows refuses (SUBACK, PUBACK, deliveries), the init container
 * builds the plugin's file from a Secret, and a rotation restarts the broker with the new file.
 */

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Policy } from '../../constructs/policy/model.js';
import { createLocalBundle } from '../../scripts/local-bundle.js';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';
import { authDirs, fixOwnership, runAuthScript } from '../helpers/auth-script.js';
import { collect, connect, freePort, publishCode, startBroker, startFromBundle, subscribeCode, tryConnect } from '../helpers/broker.js';
import { missing, missingBroker } from '../helpers/peers.js';
import { randomFilter, rng } from '../helpers/random.js';
import { randomPolicy, randomTopicName, WORDS } from '../helpers/random-policy.js';

const plugin = ['/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/mosquitto_dynamic_security.so'].find((p) =>
  existsSync(p),
);
const skip = missingBroker ?? (plugin ? undefined : 'the Mosquitto dynamic-security plugin is not installed (scripts/setup-peers.sh installs it with mosquitto)');
const dynsec = (policy?: Policy) => ({ ...defaultMosquittoOptions(), ...(policy ? { policy } : {}), aclMode: 'dynamic-security' as const });

describe('property: dynamic-security rendering = Policy.allows, SUBACK included', { skip }, () => {
  for (const seed of [7, 19, 31, 43, 59]) {
    it(`seed ${seed}`, async () => {
      const r = rng(seed);
      const policy = Policy.from(randomPolicy(r));
      const topics = [...new Set(Array.from({ length: 25 }, () => randomTopicName(r)))];
      const filters = [...new Set(Array.from({ length: 25 }, () => randomFilter(r, WORDS)))];
      const b = await startBroker({ broker: dynsec(policy) });
      try {
        const users = b.bundle.users.filter((u) => u.username !== 'writer');
        let refusedSubs = 0;
        for (const u of users) {
          const c = await connect(b.bundle, u);
          for (const f of filters) {
            const want = policy.allows(u.username, 'subscribe', f);
            if (!want) refusedSubs++;
            assert.equal(await subscribeCode(c, f), want ? 1 : 135, `seed ${seed}: ${u.username} subscribe ${f}; rules ${JSON.stringify(policy.principal(u.username)!.rules)}`);
          }
          for (const t of topics) assert.equal(await publishCode(c, t, 'p'), policy.allows(u.username, 'publish', t) ? 0 : 135, `${u.username} publish ${t}`);
          await c.endAsync();
        }
        assert.ok(refusedSubs > 0, 'some subscriptions refused at SUBACK');
        // Receive: subscribe to each allowed filter, the writer publishes every topic.
        const subs = await Promise.all(users.map((u) => connect(b.bundle, u)));
        for (const [i, u] of users.entries()) for (const f of filters) if (policy.allows(u.username, 'subscribe', f)) await subscribeCode(subs[i]!, f);
        const writer = await connect(b.bundle, b.bundle.users.find((u) => u.username === 'writer')!);
        const got = subs.map((s) => collect(s, 600));
        for (const t of topics) await publishCode(writer, t, 'w');
        const received = await Promise.all(got);
        users.forEach((u, i) => {
          const subscribed = filters.filter((f) => policy.allows(u.username, 'subscribe', f));
          const want = topics.filter((t) => policy.allows(u.username, 'receive', t) && subscribed.some((f) => topicMatchesFilter(f, t))).sort();
          assert.deepEqual([...new Set(received[i]!.map((m) => m.topic))].sort(), want, `seed ${seed}: ${u.username} receives`);
        });
        await Promise.all([...subs, writer].map((c) => c.endAsync()));
      } finally {
        await b.stop();
      }
    });
  }
});

function topicMatchesFilter(f: string, t: string): boolean {
  const fl = f.split('/');
  const tl = t.split('/');
  for (let i = 0; i < fl.length; i++) {
    if (fl[i] === '#') return true;
    if (i >= tl.length || (fl[i] !== '+' && fl[i] !== tl[i])) return false;
  }
  return fl.length === tl.length;
}

describe('dynamic-security mode: init container build and rotation by restart', { skip: skip ?? missing.mosquittoPasswd }, () => {
  it('builds the plugin file from the Secret, and a rotation restarts the broker with the new password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortress-dynsec-'));
    try {
      const bundle = createLocalBundle({ out: dir, port: await freePort(), broker: dynsec() });
      const d = authDirs(bundle, dir);
      const env = { mode: 'dynamic-security', template: join(dir, 'config', 'dynamic-security-template.json') };
      rmSync(join(d.out, 'dynamic-security.json'));
      const r = runAuthScript('build', d, undefined, env);
      assert.equal(r.status, 0, r.stderr);
      const built = readFileSync(join(d.out, 'dynamic-security.json'), 'utf8');
      assert.doesNotMatch(built, /@FORTRESS-/);
      for (const u of bundle.users) assert.ok(!built.includes(u.password));
      let b = await startFromBundle(bundle, dir, { keepDir: true });
      const dev = bundle.users.find((u) => u.role === 'device')!;
      assert.equal(await tryConnect(bundle, dev), 'ok');
      const c = await connect(bundle, dev);
      assert.equal(await subscribeCode(c, '#'), 135, 'dynamic security refuses "#" at SUBACK');
      assert.equal(await subscribeCode(c, `devices/${dev.username}/commands/#`), 1);
      await c.endAsync();

      const newPw = `R${'otated-dynsec-password-'.repeat(2)}`;
      writeFileSync(join(d.plain, dev.username), newPw);
      fixOwnership(dir);
      const exited = new Promise((res) => b.proc.once('exit', res));
      const rot = runAuthScript('once', d, b.proc.pid, env);
      assert.equal(rot.status, 0, rot.stderr);
      assert.match(rot.stderr, /asked the broker to restart mosquitto \(the plugin ignores SIGHUP\)/);
      await exited;
      assert.ok(!readFileSync(join(d.out, 'dynamic-security.json'), 'utf8').includes('@FORTRESS-'));
      // kubelet restarts the container; here we start it again from the same files.
      b = await startFromBundle(bundle, dir, { keepDir: true });
      assert.equal(await tryConnect(bundle, { username: dev.username, password: newPw }), 'ok');
      assert.equal(await tryConnect(bundle, dev), 'rc135');
      await b.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
