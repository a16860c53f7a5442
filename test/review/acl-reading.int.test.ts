/**
 * The access diff reads Mosquitto's acl_file as the real broker applies it, where that differs
 * from the policy model: a deny line refuses every kind of access, so a publish-only deny rule
 * in the policy also stops deliveries (Mosquitto 2.0.21). The diff's reading, the broker and the
 * model are compared on the same rendered file.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Policy } from '../../constructs/policy/model.js';
import { renderMosquittoAcl } from '../../constructs/policy/render-mosquitto.js';
import { aclFileAccess, identityAllows, identityReceives } from '../../constructs/review/access-model.js';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';
import { collect, connect, publishCode, startBroker, subscribeCode } from '../helpers/broker.js';
import { missingBroker } from '../helpers/peers.js';

describe('access diff: reading the acl_file = real Mosquitto', { skip: missingBroker }, () => {
  it('a publish-only deny: the model lets u receive a/x, Mosquitto does not, and the diff says what Mosquitto does', async () => {
    const policy = Policy.from({
      roles: [
        {
          name: 'r',
          rules: [
            { action: 'subscribe', topics: ['a/#'] },
            { action: 'publish', topics: ['a/y'] },
            { effect: 'deny', action: 'publish', topics: ['a/x'] },
          ],
        },
        { name: 'w', rules: [{ action: 'publish', topics: ['a/#'] }] },
      ],
      identities: [
        { name: 'u', kind: 'service', roles: ['r'] },
        { name: 'writer', kind: 'service', roles: ['w'] },
      ],
    });
    const read = aclFileAccess('mqtt/mosquitto', renderMosquittoAcl(policy, { clientIdIsUsername: true }), false, true).identities.find((i) => i.identity === 'u');
    const b = await startBroker({ broker: { ...defaultMosquittoOptions(), policy } });
    try {
      const u = await connect(b.bundle, b.bundle.users.find((x) => x.username === 'u')!);
      assert.equal(await publishCode(u, 'a/y', 'p'), identityAllows(read, 'publish', 'a/y') ? 0 : 135);
      assert.equal(await publishCode(u, 'a/x', 'p'), identityAllows(read, 'publish', 'a/x') ? 0 : 135);
      await subscribeCode(u, 'a/#');
      const got = collect(u, 800);
      const w = await connect(b.bundle, b.bundle.users.find((x) => x.username === 'writer')!);
      for (const t of ['a/x', 'a/y', 'a/z']) assert.equal(await publishCode(w, t, 'w'), 0);
      const delivered = (await got).map((m) => m.topic).sort();
      assert.deepEqual(
        delivered,
        ['a/x', 'a/y', 'a/z'].filter((t) => identityReceives(read, t)),
        'the diff reads deliveries as Mosquitto makes them',
      );
      assert.deepEqual(delivered, ['a/y', 'a/z']);
      assert.equal(policy.allows('u', 'receive', 'a/x'), true, 'the model differs here (docs/review.md)');
      await Promise.all([u.endAsync(), w.endAsync()]);
    } finally {
      await b.stop();
    }
  });
});
