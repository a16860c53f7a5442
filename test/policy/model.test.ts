import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Policy, PolicyError, type PolicySpec } from '../../constructs/policy/model.js';
import { policyFromYaml, policyFromYamlFile } from '../../constructs/policy/yaml.js';
import { EXAMPLE_POLICY_FILE } from '../../stacks/defaults.js';

const base = (): PolicySpec => ({
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
    { name: 'mon', rules: [{ action: 'subscribe', topics: ['$SYS/#'] }] },
  ],
  identities: [
    { name: 'd1', kind: 'device', roles: ['dev'] },
    { name: 'fleet', kind: 'device', roles: ['dev'], members: ['f1', 'f2'] },
    { name: 'svc', kind: 'service', roles: ['svc'] },
    { name: 'mon', kind: 'monitoring', roles: ['mon'] },
  ],
});

function issuesOf(spec: PolicySpec): string[] {
  try {
    Policy.from(spec);
  } catch (e) {
    assert.ok(e instanceof PolicyError, `expected PolicyError, got ${e}`);
    assert.equal(e.code, 'POLICY_INVALID');
    return e.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  }
  return [];
}

function mutate(fn: (s: { roles: any[]; identities: any[]; exceptions?: any[] }) => void): PolicySpec {
  const s = structuredClone(base()) as any;
  fn(s);
  return s;
}

describe('Policy validation (ACL-2, ACL-3)', () => {
  it('accepts the base policy and the example policy file', () => {
    assert.deepEqual(issuesOf(base()), []);
    const p = policyFromYamlFile(EXAMPLE_POLICY_FILE);
    assert.ok(p.principals.filter((x) => x.kind === 'device').length >= 2);
    assert.ok(p.principals.some((x) => x.kind === 'service'));
    assert.ok(p.principals.some((x) => x.kind === 'monitoring'));
  });
  const cases: [string, (s: any) => void, RegExp][] = [
    ['"#" not last', (s) => (s.roles[0].rules[0].topics = ['devices/#/{username}']), /roles\.0\.rules\.0\.topics\.0: invalid topic filter .*must be the last level/],
    ['"+" mixed into a level', (s) => (s.roles[1].rules[0].topics = ['devices/x+/telemetry']), /"\+" is mixed into the level/],
    ['empty topic', (s) => (s.roles[1].rules[0].topics = ['']), /empty/],
    ['NUL', (s) => (s.roles[1].rules[0].topics = ['devices/a\u0000/x']), /NUL/],
    ['over 65535 bytes', (s) => (s.roles[1].rules[0].topics = [`devices/${'x'.repeat(65530)}`]), /65538 bytes/],
    ['publish to $SYS', (s) => (s.roles[2].rules[0].action = 'all'), /may publish to "\$SYS\/#": write access to "\$" topics .* never allowed \(baseline ACL-3\)/],
    ['publish to $CONTROL', (s) => s.roles[1].rules.push({ action: 'publish', topics: ['$CONTROL/dynamic-security/v1'] }), /write access to "\$" topics/],
    ['device reads $SYS', (s) => s.roles[0].rules.push({ action: 'subscribe', topics: ['$SYS/broker/uptime'] }), /held by a device or service identity and reads/],
    ['allow "#"', (s) => s.roles[1].rules.push({ action: 'subscribe', topics: ['#'] }), /allows "#", which reaches every subtree \(baseline ACL-2\)/],
    ['allow "+/#"', (s) => s.roles[1].rules.push({ action: 'subscribe', topics: ['+/#'] }), /allows "\+\/#"/],
    ['device rule outside own subtree', (s) => s.roles[0].rules.push({ action: 'subscribe', topics: ['devices/other/#'] }), /outside the device's own subtree \(baseline ACL-2\)/],
    ['device wildcard before placeholder', (s) => (s.roles[0].rules[0].topics = ['devices/+/{username}/#']), /a wildcard before the \{username\} level/],
    ['duplicate identity', (s) => s.identities.push({ name: 'd1', kind: 'device', roles: ['dev'] }), /duplicate identity "d1"/],
    ['duplicate member across classes', (s) => s.identities.push({ name: 'fleet2', kind: 'device', roles: ['dev'], members: ['f2'] }), /duplicate identity "f2" \(already declared by "fleet"\)/],
    ['unknown role', (s) => (s.identities[0].roles = ['nope']), /unknown role "nope"; defined roles: dev, svc, mon/],
    ['duplicate role', (s) => s.roles.push({ name: 'dev', rules: [{ action: 'publish', topics: ['x/{username}'] }] }), /duplicate role "dev"/],
    ['identity without roles', (s) => (s.identities[2].roles = []), /has no roles/],
    ['bad username', (s) => (s.identities[0].name = 'a/b'), /invalid name "a\/b"/],
    ['bad kind', (s) => (s.identities[0].kind = 'robot'), /unknown kind "robot"/],
    ['bad action', (s) => (s.roles[1].rules[0].action = 'read'), /unknown action "read"/],
    [
      'exception without reason',
      (s) => {
        s.roles[1].rules.push({ action: 'subscribe', topics: ['#'] });
        s.exceptions = [{ rule: 'ACL-2-broad', role: 'svc', topic: '#', reason: 'short' }];
      },
      /at least 10 characters/,
    ],
    ['stale exception', (s) => (s.exceptions = [{ rule: 'ACL-2-broad', role: 'svc', topic: '#', reason: 'the audit archive reads everything' }]), /matches no rule that needs it/],
  ];
  for (const [name, fn, re] of cases) {
    it(`rejects: ${name}`, () => {
      const issues = issuesOf(mutate(fn));
      assert.ok(
        issues.some((i) => re.test(i)),
        `expected ${re} in:\n${issues.join('\n')}`,
      );
    });
  }
  it('an exception with a reason admits a broad rule', () => {
    const spec = mutate((s) => {
      s.roles[1].rules.push({ action: 'subscribe', topics: ['#'] });
      s.exceptions = [{ rule: 'ACL-2-broad', role: 'svc', topic: '#', reason: 'the audit archive stores every message' }];
    });
    assert.deepEqual(issuesOf(spec), []);
  });
  it('reports every problem at once', () => {
    const issues = issuesOf(
      mutate((s) => {
        s.identities[0].roles = ['nope'];
        s.roles[1].rules[0].topics = ['a/#/b'];
      }),
    );
    assert.equal(issues.length, 2);
  });
});

describe('Policy.allows (reference semantics, ACL-1)', () => {
  const p = Policy.from(base());
  const cases: [string, 'publish' | 'subscribe' | 'receive', string, boolean][] = [
    ['d1', 'publish', 'devices/d1/telemetry', true],
    ['d1', 'publish', 'devices/d2/telemetry', false],
    ['d1', 'subscribe', 'devices/d1/#', true],
    ['d1', 'subscribe', 'devices/#', false],
    ['d1', 'subscribe', '#', false],
    ['f2', 'publish', 'devices/f2/x', true],
    ['f2', 'publish', 'devices/f1/x', false],
    ['svc', 'subscribe', 'devices/+/telemetry', true],
    ['svc', 'receive', 'devices/d1/telemetry', true],
    ['svc', 'receive', 'devices/d1/status', false],
    ['svc', 'publish', 'devices/d1/commands/update', true],
    ['svc', 'publish', 'devices/d1/commands/reboot', false],
    ['mon', 'subscribe', '$SYS/#', true],
    ['mon', 'publish', '$SYS/x', false],
    ['nobody', 'publish', 'devices/nobody/x', false],
  ];
  for (const [u, op, t, want] of cases) it(`${u} ${op} ${t} = ${want}`, () => assert.equal(p.allows(u, op, t), want));
});

describe('policyFromYaml', () => {
  it('points errors to file, line, column and field', () => {
    const text = [
      'version: 1',
      'roles:',
      '  - name: dev',
      '    rules:',
      '      - action: publish',
      '        topics: ["devices/#/x"]',
      'identities:',
      '  - name: d1',
      '    kind: device',
      '    roles: [dev, ghost]',
      '',
    ].join('\n');
    assert.throws(
      () => policyFromYaml(text, 'policy.yaml'),
      (e: Error) => {
        assert.match(e.message, /policy\.yaml:6:18: roles\[0\]\.rules\[0\]\.topics\[0\]: invalid topic filter "devices\/#\/x"/);
        assert.match(e.message, /policy\.yaml:10:18: identities\[0\]\.roles\[1\]: unknown role "ghost"/);
        return true;
      },
    );
  });
  it('rejects unknown top-level keys and bad YAML with positions', () => {
    assert.throws(() => policyFromYaml('roles: []\nidentities: []\nrolez: []\n', 'p.yaml'), /p\.yaml:3:1: rolez: unknown key "rolez"/);
    assert.throws(() => policyFromYaml('roles: [\n', 'p.yaml'), /p\.yaml:\d+:\d+: invalid YAML/);
    assert.throws(() => policyFromYaml('roles: []\nroles: []\n', 'p.yaml'), /p\.yaml:2:1: invalid YAML/);
  });
});

describe('attack1: shared-subscription prefixes and YAML 1.1 (one meaning on every broker)', () => {
  const op = (topic: string, kind: 'operator' | 'monitoring' | 'service' = 'operator'): PolicySpec => ({
    roles: [{ name: 'r', rules: [{ action: 'subscribe', topics: [topic] }] }],
    identities: [{ name: 'op', kind, roles: ['r'] }],
  });
  // Real Mosquitto 2.0.21 (probe in the attack1 note): acl_file grants "$share/g/devices/+/telemetry"
  // to a holder of "devices/+/telemetry", dynamic-security refuses it (135); EMQX authorizes the
  // whole filter and never checks delivery, so "$share/g/#" would read every topic there, with no
  // ACL-2 exception (isBroad only looks at the first level).
  for (const t of ['$share/g/#', '$share/g/devices/+/telemetry', '$queue/#', '$share/+/#']) {
    it(`refuses the shared-subscription filter ${t} (was accepted for operator and monitoring identities)`, () => {
      for (const kind of ['operator', 'monitoring'] as const) {
        const issues = issuesOf(op(t, kind));
        assert.ok(
          issues.some((i) => /starts a shared subscription, not a topic/.test(i)),
          issues.join('\n'),
        );
      }
    });
  }
  it('still accepts "$share" and "$queue" as a later level and "$SYS" for monitoring', () => {
    assert.deepEqual(issuesOf(op('apps/$share/x')), []);
    assert.deepEqual(issuesOf(op('$SYS/#', 'monitoring')), []);
    assert.deepEqual(issuesOf(op('$shared/x')), []);
  });
  it('the YAML loader refuses a %YAML 1.1 directive (merge keys, yes/no booleans) with its position', () => {
    const text = [
      '# policy',
      '%YAML 1.1',
      '---',
      'roles:',
      '  - name: r',
      '    rules:',
      '      - &a {action: subscribe, topics: ["devices/{username}/#"]}',
      '      - <<: *a',
      '        action: publish',
      'identities:',
      '  - {name: d1, kind: device, roles: [r]}',
      '',
    ].join('\n');
    assert.throws(
      () => policyFromYaml(text, 'p.yaml'),
      (e: Error) => (e as { code?: string }).code === 'POLICY_YAML' && /^p\.yaml:2:1: the file declares %YAML 1\.1/.test(e.message),
    );
    assert.doesNotThrow(() => policyFromYaml(text.replace('%YAML 1.1', '%YAML 1.2').replace('      - <<: *a\n        action: publish\n', ''), 'p.yaml'));
  });
});

describe('attack1: a deeply nested YAML file', () => {
  it('gives POLICY_YAML with file:line:col, not a RangeError (3000 nested block sequences)', () => {
    const text = `roles:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 2)}-`).join('\n')} x\nidentities: []\n`;
    assert.throws(
      () => policyFromYaml(text, 'deep.yaml'),
      (e: Error) => (e as { code?: string }).code === 'POLICY_YAML' && /^deep\.yaml:3001:1: the file nests too deeply/.test(e.message),
    );
  });
});

describe('attack1: Policy.allows and restrictTo with wrong arguments', () => {
  const p = Policy.from({ roles: [{ name: 'r', rules: [{ action: 'subscribe', topics: ['a/{username}'] }] }], identities: [{ name: 's', kind: 'service', roles: ['r'] }] });
  it('an unknown operation is an error, not a subscription (was true for "Publish" on a subscribe-only rule)', () => {
    assert.equal(p.allows('s', 'publish', 'a/s'), false);
    for (const op of ['Publish', 'read', 'write', '']) {
      assert.throws(
        () => p.allows('s', op as never, 'a/s'),
        (e: Error) => (e as { code?: string }).code === 'POLICY_QUERY' && e.message.includes(JSON.stringify(op)),
      );
    }
  });
  it('a non-string topic or username list is POLICY_QUERY, not a TypeError', () => {
    assert.throws(
      () => p.allows('s', 'publish', 5 as never),
      (e: Error) => (e as { code?: string }).code === 'POLICY_QUERY',
    );
    assert.throws(
      () => p.restrictTo(5 as never),
      (e: Error) => (e as { code?: string }).code === 'POLICY_QUERY',
    );
    assert.throws(
      () => p.restrictTo('s' as never),
      (e: Error) => (e as { code?: string }).code === 'POLICY_QUERY',
    );
    assert.equal(p.restrictTo(['s']).principals.length, 1);
  });
});
