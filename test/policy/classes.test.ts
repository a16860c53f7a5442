/**
 * Identity classes rendered at constant size (issue 16): Mosquitto `pattern` lines with `%u`,
 * EMQX `${username}` templates; when a group is eligible and when it is not. The real broker and
 * Erlang halves: test/integration/class-patterns.int.test.ts, test/emqx/class-templates.int.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderMosquittoFiles } from '../../constructs/mosquitto/files.js';
import { resolveMosquitto } from '../../constructs/mosquitto/resolve.js';
import { Policy, type RuleSpec } from '../../constructs/policy/model.js';
import { renderEmqxAcl } from '../../constructs/policy/render-emqx.js';
import { renderMosquittoAcl } from '../../constructs/policy/render-mosquitto.js';
import { filtersIntersect } from '../../constructs/policy/topic.js';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';

const fleet = (n: number, backendRules: RuleSpec[] = [{ action: 'subscribe', topics: ['ingest/#'] }]) =>
  Policy.from({
    roles: [
      {
        name: 'own',
        rules: [
          { action: 'publish', topics: ['devices/{username}/telemetry'] },
          { action: 'subscribe', topics: ['devices/{username}/commands/#'] },
        ],
      },
      { name: 'backend', rules: backendRules },
      { name: 'metrics', rules: [{ action: 'subscribe', topics: ['$SYS/#'] }] },
    ],
    identities: [
      { name: 'fleet', kind: 'device', roles: ['own'], members: Array.from({ length: n }, (_, i) => `dev-${i}`) },
      { name: 'backend', kind: 'service', roles: ['backend'] },
      { name: 'metrics', kind: 'monitoring', roles: ['metrics'] },
    ],
  });
const opts = { clientIdIsUsername: true, classPatterns: true };

describe('identity classes at constant size', () => {
  it('Mosquitto: 10 and 100 000 members render the same ACL bytes (pattern lines, shields for the others)', () => {
    const small = renderMosquittoAcl(fleet(10), opts);
    const large = renderMosquittoAcl(fleet(100_000), opts);
    assert.equal(large, small);
    assert.match(small, /^pattern write devices\/%u\/telemetry$/m);
    assert.match(small, /^pattern read devices\/%u\/commands\/#$/m);
    assert.doesNotMatch(small, /^user dev-/m);
    // The backend and the monitor are shielded from the patterns under their own names.
    assert.match(small, /^user backend\ntopic read ingest\/#\ntopic deny devices\/backend\/telemetry\ntopic deny devices\/backend\/commands\/#$/m);
    assert.match(small, /^user metrics\ntopic read \$SYS\/#\ntopic deny devices\/metrics\/telemetry$/m);
    // Off by default: per-user blocks, as before.
    assert.match(renderMosquittoAcl(fleet(10), { clientIdIsUsername: true }), /^user dev-9$/m);
  });

  it('EMQX: 10 and 100 000 members render the same acl.conf bytes', () => {
    const small = renderEmqxAcl(fleet(10), { classPatterns: true });
    assert.equal(renderEmqxAcl(fleet(100_000), { classPatterns: true }), small);
    assert.match(small, /^\{allow, all, publish, \["devices\/\$\{username\}\/telemetry"\]\}\.$/m);
    assert.match(small, /^\{deny, \{username, "backend"\}, all, \["devices\/backend\/telemetry"\]\}\.$/m);
    assert.ok(small.trimEnd().endsWith('{deny, all}.'));
  });

  it('a service whose own allows meet the pattern under its own name keeps the per-user rendering on Mosquitto (no publish-only deny there); EMQX shields after its own rules', () => {
    // A backend that commands every device: the pattern would let it read devices/backend/commands/#.
    const p = fleet(3, [
      { action: 'subscribe', topics: ['devices/+/telemetry'] },
      { action: 'publish', topics: ['devices/+/commands/#'] },
    ]);
    const acl = renderMosquittoAcl(p, opts);
    assert.doesNotMatch(acl, /^pattern /m);
    assert.match(acl, /^user dev-2$/m);
    const emqx = renderEmqxAcl(p, { classPatterns: true });
    assert.match(emqx, /^\{allow, all, subscribe, \["devices\/\$\{username\}\/commands\/#"\]\}\.$/m);
    assert.ok(emqx.indexOf('{allow, {username, "backend"}, publish') < emqx.indexOf('{deny, {username, "backend"}, all, ["devices/backend/commands/#"]}'));
  });

  it('a literal "%u" or "%c" in a class topic keeps the per-user rendering (Mosquitto has no escape for them)', () => {
    const p = Policy.from({
      roles: [
        {
          name: 'own',
          rules: [
            { action: 'publish', topics: ['devices/{username}/100%used'] },
            { action: 'publish', topics: ['x/{username}/%u'] },
          ],
        },
      ],
      identities: [{ name: 'fleet', kind: 'device', roles: ['own'], members: ['d1', 'd2'] }],
    });
    const acl = renderMosquittoAcl(p, opts);
    assert.doesNotMatch(acl, /^pattern /m);
    assert.match(acl, /^topic write x\/d1\/%u$/m);
  });

  it('the construct renders patterns in password mode only (any CN the client CA signs could log in otherwise)', () => {
    const base = { ...defaultMosquittoOptions(), policy: fleet(5) };
    const paths = { config: '/c', tls: '/t', auth: '/a' };
    for (const [clientAuth, patterns] of [
      ['password', true],
      ['certificate', false],
      ['password-or-certificate', false],
    ] as const) {
      const o = { ...base, tls: { ...base.tls, clientAuth } };
      const acl = renderMosquittoFiles(resolveMosquitto(o), paths).acl;
      assert.equal(/^pattern /m.test(acl), patterns, clientAuth);
    }
  });

  it('filtersIntersect: a topic both filters match', () => {
    const cases: [string, string, boolean][] = [
      ['a/b', 'a/b', true],
      ['a/+', 'a/b', true],
      ['a/#', 'a', true],
      ['a', 'a/#', true],
      ['a/b', 'a/c', false],
      ['a/+/c', 'a/b', false],
      ['#', '$SYS/x', false],
      ['+/x', '$SYS/x', false],
      ['$SYS/#', '$SYS/x', true],
      ['a/+/#', '+/b', true],
      ['a/b/c', 'a/b', false],
    ];
    for (const [x, y, want] of cases) {
      assert.equal(filtersIntersect(x, y), want, `${x} ∩ ${y}`);
      assert.equal(filtersIntersect(y, x), want, `${y} ∩ ${x}`);
    }
  });
});
