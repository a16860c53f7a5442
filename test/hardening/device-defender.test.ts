/**
 * The Device Defender mapping (constructs/hardening/device-defender.ts): every one of the 17
 * audit checks answered exactly once, every rule id it names exists in the kit's audit, every test
 * it names exists, and docs/device-defender.md is exactly what the code renders.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RULE_IDS } from '../../constructs/audit/rules.js';
import { DEVICE_DEFENDER_CHECKS, DEVICE_DEFENDER_MAPPING, type DeviceDefenderRow } from '../../constructs/hardening/device-defender.js';
import type { TestRef } from '../../constructs/hardening/test-ref.js';
import { hardeningDocs, REPO_ROOT } from '../../scripts/hardening-docs.js';
import { testRefProblem } from '../helpers/test-refs.js';

/** Every rule id and test a row names. */
function refs(r: DeviceDefenderRow): { rules: readonly string[]; tests: readonly TestRef[] } {
  const a = r.answer;
  return { rules: a.rules ?? [], tests: a.kind === 'enforced' ? a.proof : [] };
}

describe('Device Defender audit checks, each answered', () => {
  it('the 17 checks of the AWS API, each answered exactly once', () => {
    assert.equal(DEVICE_DEFENDER_CHECKS.length, 17);
    assert.deepEqual(DEVICE_DEFENDER_MAPPING.map((r) => r.check).sort(), [...DEVICE_DEFENDER_CHECKS].sort());
  });
  it('every rule id named exists in the audit', () => {
    const unknown = DEVICE_DEFENDER_MAPPING.flatMap((r) =>
      refs(r)
        .rules.filter((id) => !RULE_IDS.has(id))
        .map((id) => `${r.check}: ${id}`),
    );
    assert.deepEqual(unknown, []);
  });
  it('every test named as proof exists', () => {
    const problems = DEVICE_DEFENDER_MAPPING.flatMap((r) => refs(r).tests.map(testRefProblem).filter(Boolean));
    assert.deepEqual(problems, []);
  });
  it('every answer says something: a rule answer names rules, partial ones their gap, the others a reason of their own', () => {
    for (const r of DEVICE_DEFENDER_MAPPING) {
      const a = r.answer;
      if (a.kind === 'rule') {
        assert.ok(a.rules.length > 0 && a.how.length >= 40, r.check);
        if (a.coverage === 'partial') assert.ok(a.gap.length >= 20, r.check);
      } else if (a.kind === 'enforced') {
        assert.ok(a.proof.length > 0 && a.how.length >= 40 && a.whyNoRule.length >= 40, r.check);
      } else assert.ok(a.reason.length >= 60, r.check);
    }
    const reasons = DEVICE_DEFENDER_MAPPING.map((r) => JSON.stringify(r.answer));
    assert.equal(new Set(reasons).size, reasons.length, 'no two checks share one copied answer');
  });
  it('the five checks that had no answer are answered: revocation by the kit, the rest with a reason', () => {
    const kind = (c: string) => DEVICE_DEFENDER_MAPPING.find((r) => r.check === c)!.answer.kind;
    assert.equal(kind('REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK'), 'enforced');
    assert.equal(kind('REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK'), 'enforced');
    assert.equal(kind('DEVICE_CERTIFICATE_SHARED_CHECK'), 'enforced');
    assert.equal(kind('INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK'), 'not-applicable');
    assert.equal(kind('IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK'), 'not-applicable');
  });
  it('a test reference that does not exist is caught (the drift check can fail)', () => {
    assert.match(String(testRefProblem({ file: 'test/integration/tls.int.test.ts', title: 'a title nobody wrote' })), /has no test titled/);
    assert.match(String(testRefProblem({ file: 'test/nope.test.ts', title: 'x' })), /not a test file/);
    assert.match(String(testRefProblem({ file: '../etc/passwd', title: 'root' })), /not a test file/);
  });
  it('docs/device-defender.md is what the code renders (npm run docs:hardening)', () => {
    const want = hardeningDocs()['docs/device-defender.md']!;
    assert.equal(readFileSync(join(REPO_ROOT, 'docs/device-defender.md'), 'utf8'), want, 'docs/device-defender.md is stale: run npm run docs:hardening');
    for (const c of DEVICE_DEFENDER_CHECKS) assert.ok(want.includes(`## ${c}\n`), c);
  });
});
