/**
 * Issue 17 part 1: access assertions in the policy. Passing and failing cases through
 * Policy.from and the YAML loader; a failing case names the deciding rule (or its absence) and,
 * for YAML, file:line:col of the case; identity classes are checked member by member, sampled
 * above ASSERTION_SAMPLE_SIZE with the seed printed; the security report lists the results.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FortressAudit } from '../../constructs/audit/engine.js';
import { exposureOf } from '../../constructs/audit/exposure.js';
import { renderReport } from '../../constructs/audit/report.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { type AccessAssertion, ASSERTION_SAMPLE_SIZE, PolicyAssertionError, sampleMembers } from '../../constructs/policy/assertions.js';
import { Policy, PolicyError, type PolicySpec } from '../../constructs/policy/model.js';
import { policyFromYaml, policyFromYamlFile } from '../../constructs/policy/yaml.js';
import { EXAMPLE_POLICY_FILE } from '../../stacks/defaults.js';
import { minimalBrokerProps, synth } from '../helpers/synth.js';

const base = (assertions: AccessAssertion[]): PolicySpec => ({
  roles: [
    { name: 'dev', rules: [{ action: 'all', topics: ['devices/{username}/#'] }] },
    {
      name: 'svc',
      rules: [
        { action: 'subscribe', topics: ['devices/+/telemetry'] },
        { action: 'publish', topics: ['devices/+/commands/#'] },
        { effect: 'deny', action: 'all', topics: ['devices/+/commands/reboot'] },
      ],
    },
  ],
  identities: [
    { name: 'd1', kind: 'device', roles: ['dev'] },
    { name: 'fleet', kind: 'device', roles: ['dev'], members: ['f1', 'f2'] },
    { name: 'svc', kind: 'service', roles: ['svc'] },
  ],
  assertions,
});

function failureOf(fn: () => unknown): PolicyAssertionError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PolicyAssertionError, `expected a PolicyAssertionError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.equal(e.code, 'POLICY_ASSERTION');
    return e;
  }
  assert.fail('the policy was accepted');
}

describe('access assertions (issue 17)', () => {
  const passing: [string, AccessAssertion][] = [
    [
      'device may write its own subtree',
      {
        identity: 'd1',
        allow: [
          { action: 'publish', topic: 'devices/d1/telemetry' },
          { action: 'subscribe', topic: 'devices/d1/#' },
        ],
      },
    ],
    [
      'device may not read another subtree',
      {
        identity: 'd1',
        deny: [
          { action: 'subscribe', topic: 'devices/f1/#' },
          { action: 'publish', topic: 'devices/f1/x' },
        ],
      },
    ],
    [
      'class: every member its own subtree ({username})',
      { identity: 'fleet', allow: [{ action: 'publish', topic: 'devices/{username}/status' }], deny: [{ action: 'subscribe', topic: 'devices/d1/#' }] },
    ],
    ['one member by username', { identity: 'f2', deny: [{ action: 'publish', topic: 'devices/f1/status' }] }],
    [
      'service reads telemetry, deny rule blocks reboot',
      {
        identity: 'svc',
        allow: [{ action: 'subscribe', topic: 'devices/+/telemetry' }],
        deny: [
          { action: 'publish', topic: 'devices/d1/commands/reboot' },
          { action: 'subscribe', topic: '#' },
          { action: 'publish', topic: '$SYS/x' },
        ],
      },
    ],
  ];
  for (const [name, a] of passing) {
    it(`holds: ${name}`, () => {
      const p = Policy.from(base([a]));
      assert.ok(p.assertionResults.length > 0);
      assert.ok(p.assertionResults.every((r) => r.holds));
    });
  }

  const failing: [string, AccessAssertion, RegExp][] = [
    [
      'deny that a rule grants: names the rule',
      { identity: 'd1', deny: [{ action: 'publish', topic: 'devices/d1/x' }] },
      /assertions\[0\]\.deny\[0\]: d1 may publish to "devices\/d1\/x", but the assertion says deny: granted by role "dev" rule allow all "devices\/d1\/#"/,
    ],
    [
      'allow that no rule grants: says default deny',
      { identity: 'svc', allow: [{ action: 'publish', topic: 'devices/d1/telemetry' }] },
      /assertions\[0\]\.allow\[0\]: svc may not publish to "devices\/d1\/telemetry", but the assertion says allow: no rule of role "svc" grants publish on it \(default deny\)/,
    ],
    [
      'allow that a deny rule blocks: names the deny',
      { identity: 'svc', allow: [{ action: 'publish', topic: 'devices/d1/commands/reboot' }] },
      /refused by role "svc" rule deny all "devices\/\+\/commands\/reboot"/,
    ],
    ['subscribe wider than the rule', { identity: 'svc', allow: [{ action: 'subscribe', topic: 'devices/#' }] }, /svc may not subscribe to "devices\/#"/],
    [
      'class: the member whose own subtree it is',
      { identity: 'fleet', deny: [{ action: 'subscribe', topic: 'devices/f2/#' }] },
      /f2 may subscribe to "devices\/f2\/#".*identity class "fleet": member f2; 2 of 2 members checked, sample seed 0x[0-9a-f]{8}/,
    ],
  ];
  for (const [name, a, re] of failing) {
    it(`fails: ${name}`, () => {
      const e = failureOf(() => Policy.from(base([a])));
      assert.match(e.message, re);
      assert.equal(e.failures.length, 1);
    });
  }

  it('invalid assertions are POLICY_INVALID issues at their path', () => {
    const cases: [AccessAssertion, RegExp][] = [
      [{ identity: 'nobody', deny: [{ action: 'publish', topic: 'a/b' }] }, /assertions\.0\.identity: unknown identity "nobody"/],
      [{ identity: 'd1' }, /assertions\.0: an assertion needs at least one case/],
      [{ identity: 'd1', deny: [{ action: 'publish', topic: 'devices/+/x' }] }, /assertions\.0\.deny\.0\.topic: a publish case names one topic/],
      [{ identity: 'd1', deny: [{ action: 'subscribe', topic: 'devices/#/x' }] }, /must be the last level/],
      [{ identity: 'd1', deny: [{ action: 'all' as never, topic: 'a' }] }, /unknown action "all"; use one of "publish", "subscribe"/],
      [{ identity: 'd1', deny: [{ action: 'publish', topic: 'a\u0007b' }] }, /assertions\.0\.deny\.0\.topic/],
      [{ identity: 'd1', allow: [{ action: 'publish', topic: 'a', extra: 1 } as never] }, /unknown key "extra"/],
    ];
    for (const [a, re] of cases) {
      try {
        Policy.from(base([a]));
        assert.fail(`accepted ${JSON.stringify(a)}`);
      } catch (e) {
        assert.ok(e instanceof PolicyError, String(e));
        assert.match(e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'), re);
      }
    }
  });

  it('YAML: a failing case points to file:line:col of the case', () => {
    const yaml = [
      'roles:',
      '  - name: dev',
      '    rules: [{action: all, topics: ["devices/{username}/#"]}]',
      'identities:',
      '  - {name: d1, kind: device, roles: [dev]}',
      '  - {name: d2, kind: device, roles: [dev]}',
      'assertions:',
      '  - identity: d1',
      '    deny:',
      '      - {action: subscribe, topic: "devices/d2/#"}',
      '      - {action: publish, topic: "devices/d1/up"}',
      '',
    ].join('\n');
    const e = failureOf(() => policyFromYaml(yaml, 'p.yaml'));
    assert.match(e.message, /^ {2}- p\.yaml:11:9: assertions\[0\]\.deny\[1\]: d1 may publish to "devices\/d1\/up", but the assertion says deny: granted by role "dev"/m);
    assert.doesNotMatch(e.message, /deny\[0\]/);
    // Unknown identity through YAML: a POLICY_INVALID with file:line:col.
    assert.throws(() => policyFromYaml(yaml.replace('identity: d1', 'identity: d9'), 'p.yaml'), /p\.yaml:8:15: assertions\[0\]\.identity: unknown identity "d9"/);
  });

  it('the example policy carries assertions and they hold', () => {
    const p = policyFromYamlFile(EXAMPLE_POLICY_FILE);
    assert.ok(p.assertionResults.length >= 8);
    assert.ok(p.assertionResults.every((r) => r.holds));
    assert.ok(p.assertionResults.some((r) => r.expect === 'deny') && p.assertionResults.some((r) => r.expect === 'allow'));
  });

  it(`identity classes above ${ASSERTION_SAMPLE_SIZE} members are sampled with a stable seed, first and last member included`, () => {
    const members = Array.from({ length: 2500 }, (_, i) => `s${String(i).padStart(5, '0')}`);
    const spec = base([{ identity: 'big', deny: [{ action: 'subscribe', topic: 'devices/s02499/#' }] }]);
    const big = { ...spec, identities: [...spec.identities, { name: 'big', kind: 'device' as const, roles: ['dev'], members }] };
    const e = failureOf(() => Policy.from(big));
    // Only the last member owns devices/s02499: it is always sampled, so the failure is found.
    assert.match(e.message, /s02499 may subscribe to "devices\/s02499\/#".*1000 of 2500 members checked, sample seed (0x[0-9a-f]{8})/);
    const s1 = sampleMembers(members, 42);
    assert.deepEqual(s1, sampleMembers(members, 42));
    assert.notDeepEqual(s1, sampleMembers(members, 43));
    assert.equal(new Set(s1).size, ASSERTION_SAMPLE_SIZE);
    assert.equal(s1[0], members[0]);
    assert.equal(s1.at(-1), members.at(-1));
    assert.deepEqual(sampleMembers(members.slice(0, 10), 42), members.slice(0, 10));
  });

  it('a failing class case is one line with a count of the other failing members', () => {
    const e = failureOf(() => Policy.from(base([{ identity: 'fleet', allow: [{ action: 'publish', topic: 'devices/d1/x' }] }])));
    assert.equal(e.message.split('\n').filter((l) => l.startsWith('  - ')).length, 1);
    assert.match(e.message, /1 more member\(s\) of the class fail this case too/);
  });

  it('the security report lists the assertions and their results', () => {
    const { stack, tf } = synth((s) => {
      FortressAudit.applyTo(s);
      new MosquittoBroker(s, 'Broker', minimalBrokerProps());
    });
    const audit = FortressAudit.resultOf(stack)!;
    assert.ok(audit.assertions && audit.assertions.length >= 8);
    const md = renderReport(exposureOf('test', tf), audit);
    assert.match(md, /## Access assertions/);
    assert.match(md, /all hold/);
    assert.match(
      md,
      /\| assertions\\\[0\\\]\.deny\\\[0\\\] \| sensor-0001 \| deny \| subscribe \| `devices\/sensor-0002\/#` \| holds \| no rule of role "device-own-subtree" grants subscribe on it \(default deny\) \|/,
    );
  });
});
