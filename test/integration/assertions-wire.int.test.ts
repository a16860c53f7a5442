/**
 * The access assertions of the default stack's policy, proven against a real Mosquitto started
 * from the rendered configuration (ACL file and dynamic security): every case holds over the
 * wire with a witness, every case turned around is caught, and a broker whose ACL was opened
 * fails exactly the cases it breaks.
 */

import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { planCase, planWireCases, verifyOverWire, type WireCase, wireLine } from '../../scripts/lib/wire-verify.js';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';
import { startBroker } from '../helpers/broker.js';
import { missingBroker } from '../helpers/peers.js';

const policy = defaultMosquittoOptions().policy;
const flip = (c: WireCase): WireCase =>
  planCase(policy, { label: `${c.label} turned around`, username: c.username, action: c.action, topic: c.topic, expect: c.expect === 'allow' ? 'deny' : 'allow', because: '' });

describe('access assertions over the wire (default policy, real Mosquitto)', { skip: missingBroker }, () => {
  const cases = planWireCases(policy);

  it('the default policy asserts both outcomes of both actions, and every case has a witness', () => {
    assert.equal(cases.length, policy.assertionResults.length);
    for (const action of ['publish', 'subscribe'] as const)
      for (const expect of ['allow', 'deny'] as const)
        assert.ok(
          cases.some((c) => c.action === action && c.expect === expect),
          `${action} ${expect}`,
        );
    assert.deepEqual(
      cases.filter((c) => c.witness.kind === 'none').map((c) => c.label),
      [],
    );
  });

  for (const aclMode of ['acl-file', 'dynamic-security'] as const) {
    it(`${aclMode}: every case holds, each with the evidence of its kind; every case turned around fails`, async () => {
      const b = await startBroker({ broker: { ...defaultMosquittoOptions(), aclMode } });
      try {
        const results = await verifyOverWire(b.bundle, cases);
        assert.deepEqual(results.filter((r) => r.holds !== true).map(wireLine), []);
        for (const r of results) {
          const { action, expect } = r.case;
          if (action === 'publish' && expect === 'allow') assert.match(r.evidence, /^PUBACK 0 \(success\), delivered to /, wireLine(r));
          if (action === 'publish' && expect === 'deny') assert.match(r.evidence, /^(PUBACK 135 \(not authorized\)|the broker closed the connection), not delivered to /, wireLine(r));
          if (action === 'subscribe' && expect === 'allow') assert.match(r.evidence, /^SUBACK [01] .* delivered$/, wireLine(r));
          if (action === 'subscribe' && expect === 'deny') assert.match(r.evidence, /not delivered$/, wireLine(r));
        }
        // A deliberately wrong assertion: each case with the opposite expectation must fail.
        const wrong = await verifyOverWire(b.bundle, cases.map(flip));
        assert.deepEqual(wrong.filter((r) => r.holds !== false).map(wireLine), []);
      } finally {
        await b.stop();
      }
    });
  }

  it('a broker that refuses a witness the policy lets publish fails the cases that witness serves (never "not observable")', async () => {
    const b = await startBroker();
    try {
      const served = cases.filter((c) => c.witness.kind === 'publish');
      const witness = served[0]?.witness.kind === 'publish' ? served[0].witness.username : undefined;
      assert.ok(witness, 'non-vacuous: a subscribe case with a publishing witness');
      // Close the ACL for the witness only: a deny line under its user refuses all its access.
      const acl = readFileSync(b.bundle.config, 'utf8').match(/^acl_file (.+)$/m)![1]!;
      writeFileSync(acl, readFileSync(acl, 'utf8').replace(new RegExp(`^user ${witness}$`, 'm'), `user ${witness}\ntopic deny #`));
      b.proc.kill('SIGHUP');
      await b.waitForLog(/Reloading config/);
      const results = await verifyOverWire(b.bundle, served);
      const byWitness = results.filter((r) => r.case.witness.kind === 'publish' && r.case.witness.username === witness && r.case.username !== witness);
      assert.ok(byWitness.length > 0);
      for (const r of byWitness) {
        assert.equal(r.holds, false, wireLine(r));
        assert.match(r.evidence, /may publish .* by the policy, but the broker refused it/, wireLine(r));
      }
    } finally {
      await b.stop();
    }
  });

  it('a broker whose ACL file was opened (pattern readwrite #) fails exactly the non-$SYS refusals', async () => {
    const b = await startBroker();
    try {
      const acl = readFileSync(b.bundle.config, 'utf8').match(/^acl_file (.+)$/m)![1]!;
      appendFileSync(acl, '\npattern readwrite #\n');
      b.proc.kill('SIGHUP');
      await b.waitForLog(/Reloading config/);
      const results = await verifyOverWire(b.bundle, cases);
      const failed = results.filter((r) => r.holds === false).map((r) => r.case.label);
      const expected = cases.filter((c) => c.expect === 'deny' && !c.topic.startsWith('$')).map((c) => c.label);
      assert.ok(expected.length >= 3, `non-vacuous: ${expected}`);
      assert.deepEqual(failed, expected, results.map(wireLine).join('\n'));
      assert.ok(results.every((r) => r.holds !== undefined));
    } finally {
      await b.stop();
    }
  });
});
