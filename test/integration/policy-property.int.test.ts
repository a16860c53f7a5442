/**
 * Property (baseline ACL-4): for random policies and topics, the Mosquitto rendering run in a real
 * Mosquitto allows exactly what the model's `allows()` says: publish (PUBACK) and receive
 * (deliveries through a "#" subscription, which Mosquitto filters by read access).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Policy } from '../../constructs/policy/model.js';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';
import { collect, connect, publishCode, startBroker, subscribeCode } from '../helpers/broker.js';
import { missingBroker } from '../helpers/peers.js';
import { rng } from '../helpers/random.js';
import { randomPolicy, randomTopicName } from '../helpers/random-policy.js';

const SEEDS = [11, 23, 37, 41, 53];
const TOPICS = 30;

describe('property: Mosquitto acl_file = Policy.allows (random policies)', { skip: missingBroker }, () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}`, async () => {
      const r = rng(seed);
      const policy = Policy.from(randomPolicy(r));
      const topics = [...new Set(Array.from({ length: TOPICS }, () => randomTopicName(r)))];
      const b = await startBroker({ broker: { ...defaultMosquittoOptions(), policy } });
      try {
        const users = b.bundle.users.filter((u) => u.username !== 'writer');
        let allowedPublish = 0;
        let refusedPublish = 0;
        for (const u of users) {
          const c = await connect(b.bundle, u);
          for (const t of topics) {
            const want = policy.allows(u.username, 'publish', t) ? 0 : 135;
            want === 0 ? allowedPublish++ : refusedPublish++;
            assert.equal(await publishCode(c, t, 'p'), want, `seed ${seed}: ${u.username} publish ${t}\n${b.bundle.users.length} users; rules: ${JSON.stringify(policy.principal(u.username)!.rules)}`);
          }
          await c.endAsync();
        }
        const subs = await Promise.all(users.map((u) => connect(b.bundle, u)));
        for (const s of subs) await subscribeCode(s, '#');
        const writer = await connect(b.bundle, b.bundle.users.find((u) => u.username === 'writer')!);
        const got = subs.map((s) => collect(s, 600));
        for (const t of topics) assert.equal(await publishCode(writer, t, 'w'), 0, `writer may publish ${t}`);
        const received = await Promise.all(got);
        let delivered = 0;
        users.forEach((u, i) => {
          const want = topics.filter((t) => policy.allows(u.username, 'receive', t)).sort();
          delivered += want.length;
          assert.deepEqual(received[i]!.map((m) => m.topic).sort(), want, `seed ${seed}: ${u.username} receives; rules: ${JSON.stringify(policy.principal(u.username)!.rules)}`);
        });
        await Promise.all([...subs, writer].map((c) => c.endAsync()));
        assert.ok(allowedPublish + refusedPublish === users.length * topics.length);
        // Non-vacuous across seeds is checked below; record for the aggregate.
        stats.push({ allowedPublish, refusedPublish, delivered });
      } finally {
        await b.stop();
      }
    });
  }
  const stats: { allowedPublish: number; refusedPublish: number; delivered: number }[] = [];
  it('the random policies exercise both outcomes', () => {
    assert.equal(stats.length, SEEDS.length);
    assert.ok(stats.reduce((a, s) => a + s.allowedPublish, 0) > 10, 'some publishes allowed');
    assert.ok(stats.reduce((a, s) => a + s.refusedPublish, 0) > 10, 'some publishes refused');
    assert.ok(stats.reduce((a, s) => a + s.delivered, 0) > 10, 'some deliveries');
  });
});
