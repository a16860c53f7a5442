/**
 * The access diff compares what rules mean, read back from the rendered files of every dialect
 * (Mosquitto acl_file, dynamic-security JSON, EMQX acl.conf). Changes hidden in a wildcard, a
 * deny, an identity class and a role shared by several identities are each reported; text-only
 * changes (order, role split, role renamed) are not; Markdown output escapes hostile topics.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type { AssertionRow } from '../../constructs/audit/engine.js';
import { visible } from '../../constructs/audit/escape.js';
import { Policy, type PolicySpec } from '../../constructs/policy/model.js';
import { renderEmqxAcl } from '../../constructs/policy/render-emqx.js';
import { renderDynsec, renderMosquittoAcl } from '../../constructs/policy/render-mosquitto.js';
import { type AccessDiff, accessWidening, diffAccess, renderAccessDiff } from '../../constructs/review/access-diff.js';
import { type AccessModel, aclFileAccess, dynsecAccess, emqxAclAccess, identityAllows, identityReceives } from '../../constructs/review/access-model.js';
import { hostileSpec, RENDER_SEEDS } from '../helpers/hostile-strings.js';
import { rng } from '../helpers/random.js';
import { CLASS_WORDS, randomClassPolicy } from '../helpers/random-class-policy.js';
import { randomPolicy } from '../helpers/random-policy.js';

const DIALECTS: Record<string, (p: Policy) => AccessModel> = {
  'acl-file': (p) => aclFileAccess('mqtt/mosquitto', renderMosquittoAcl(p, { clientIdIsUsername: true }), false, true),
  'dynamic-security': (p) => dynsecAccess('mqtt/mosquitto', JSON.parse(JSON.stringify(renderDynsec(p, 'markers', { clientIdIsUsername: true })))),
  'emqx acl.conf': (p) => emqxAclAccess('mqtt-emqx/emqx', renderEmqxAcl(p)),
};

const CLASS_TOPICS = (() => {
  const out: string[] = [];
  for (const x of CLASS_WORDS) {
    out.push(x);
    for (const y of CLASS_WORDS) {
      out.push(`${x}/${y}`);
      for (const z of ['a', 'b', 'm1']) out.push(`${x}/${y}/${z}`);
    }
  }
  return out;
})();

const ALL_TOPICS = (() => {
  const w = ['a', 'b', 'c', 'u0', 'z'];
  const out: string[] = [];
  for (const x of w) {
    out.push(x);
    for (const y of w) {
      out.push(`${x}/${y}`);
      for (const z of w) out.push(`${x}/${y}/${z}`);
    }
  }
  return out;
})();

describe('reading the rendered files back gives the model (Policy.allows)', () => {
  for (const [dialect, read] of Object.entries(DIALECTS)) {
    it(`${dialect}: 40 random policies, every user, publish / receive / subscribe on ${ALL_TOPICS.length} topics`, () => {
      let allowed = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const spec = randomPolicy(rng(seed));
        // Mosquitto's acl_file has one kind of deny line, which refuses every access: only a deny
        // of "all" means the same in the model (measured on Mosquitto 2.0.21; see docs/review.md).
        const forAclFile: PolicySpec = { ...spec, roles: spec.roles.map((r) => ({ ...r, rules: r.rules.map((x) => (x.effect === 'deny' ? { ...x, action: 'all' as const } : x)) })) };
        const policy = Policy.from(dialect === 'acl-file' ? forAclFile : spec);
        const m = read(policy);
        for (const p of policy.principals) {
          const a = m.identities.find((i) => i.identity === p.username);
          for (const t of ALL_TOPICS) {
            const ctx = `seed ${seed} ${p.username} ${t}: ${JSON.stringify(p.rules)}`;
            assert.equal(identityAllows(a, 'publish', t), policy.allows(p.username, 'publish', t), `publish ${ctx}`);
            assert.equal(identityReceives(a, t), policy.allows(p.username, 'receive', t), `receive ${ctx}`);
            if (dialect !== 'dynamic-security') assert.equal(identityAllows(a, 'subscribe', `${t}/#`), policy.allows(p.username, 'subscribe', `${t}/#`), `subscribe ${ctx}`);
            if (policy.allows(p.username, 'receive', t)) allowed++;
          }
        }
        assert.deepEqual(m.unread, []);
      }
      assert.ok(allowed > 1000, `${allowed} receives allowed: not vacuous`);
    });
  }
  it('identity classes rendered once (Mosquitto pattern lines with %u, EMQX `all` rules with ${username}): 30 random class policies', () => {
    let allowed = 0;
    let patterned = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const policy = Policy.from(randomClassPolicy(rng(seed)));
      const users = policy.principals.map((p) => p.username);
      const acl = renderMosquittoAcl(policy, { clientIdIsUsername: true, classPatterns: true });
      const conf = renderEmqxAcl(policy, { classPatterns: true });
      if (acl.includes('\npattern ')) patterned++;
      const models = [aclFileAccess('b', acl, false, true, users), emqxAclAccess('e', conf, users)];
      for (const m of models) {
        assert.deepEqual(m.identities.map((i) => i.identity).sort(), [...users].sort());
        for (const p of policy.principals) {
          const a = m.identities.find((i) => i.identity === p.username);
          for (const t of CLASS_TOPICS) {
            assert.equal(identityAllows(a, 'publish', t), policy.allows(p.username, 'publish', t), `seed ${seed} ${p.username} publish ${t}`);
            assert.equal(identityReceives(a, t), policy.allows(p.username, 'receive', t), `seed ${seed} ${p.username} receive ${t}`);
            if (policy.allows(p.username, 'receive', t)) allowed++;
          }
        }
      }
    }
    assert.ok(patterned >= 10, `${patterned} policies rendered with pattern lines`);
    assert.ok(allowed > 500, `${allowed}`);
  });
  it("acl-file: a deny rule of one action refuses every access, as Mosquitto 2.0's acl_file does", () => {
    const policy = Policy.from({
      roles: [
        {
          name: 'r',
          rules: [
            { action: 'subscribe', topics: ['a/#'] },
            { effect: 'deny', action: 'publish', topics: ['a/x'] },
          ],
        },
      ],
      identities: [{ name: 'u', kind: 'service', roles: ['r'] }],
    });
    assert.equal(policy.allows('u', 'receive', 'a/x'), true, 'the model');
    assert.equal(identityReceives(DIALECTS['acl-file']!(policy).identities[0], 'a/x'), false, 'what deploys');
  });
});

const base = (): PolicySpec => ({
  roles: [
    {
      name: 'device',
      rules: [
        { action: 'publish', topics: ['devices/{username}/telemetry'] },
        { action: 'subscribe', topics: ['devices/{username}/commands/#'] },
      ],
    },
    {
      name: 'backend',
      rules: [
        { action: 'subscribe', topics: ['devices/+/telemetry', 'devices/+/status'] },
        { action: 'publish', topics: ['devices/+/commands/#'] },
      ],
    },
    {
      name: 'ops',
      rules: [
        { action: 'subscribe', topics: ['fleet/#'] },
        { effect: 'deny', action: 'all', topics: ['fleet/keys/#'] },
      ],
    },
    { name: 'audit', rules: [{ action: 'subscribe', topics: ['audit/#'] }] },
  ],
  identities: [
    { name: 'sensors', kind: 'device', roles: ['device'], members: ['s1', 's2'] },
    { name: 'backend', kind: 'service', roles: ['backend'] },
    { name: 'ops-1', kind: 'operator', roles: ['ops'] },
    { name: 'ops-2', kind: 'operator', roles: ['ops'] },
    { name: 'auditor', kind: 'operator', roles: ['audit'] },
  ],
  assertions: [{ identity: 'ops-1', deny: [{ action: 'subscribe', topic: 'fleet/keys/#' }] }],
});

const role = (s: PolicySpec, name: string, f: (r: PolicySpec['roles'][number]) => PolicySpec['roles'][number]): PolicySpec => ({
  ...s,
  roles: s.roles.map((r) => (r.name === name ? f(r) : r)),
});

const rowsOf = (p: Policy): AssertionRow[] =>
  p.assertionResults.map((r) => ({
    holders: ['app/broker'],
    case: r.path.join('.'),
    identity: r.identity,
    username: r.username,
    action: r.action,
    topic: r.topic,
    expect: r.expect,
    holds: r.holds,
    because: r.because,
  }));

function diff(dialect: string, before: PolicySpec, after: PolicySpec): AccessDiff {
  const [b, a] = [Policy.from(before), Policy.from(after)];
  const read = DIALECTS[dialect]!;
  return diffAccess('stack', read(b), read(a), rowsOf(b));
}

const brief = (cs: AccessDiff['gained']) => cs.map((c) => `${c.identity} ${c.action} ${c.topic} ${c.extent}`).sort();

describe('dynamic security: roles are checked one by one, in role priority order', () => {
  // Measured on Mosquitto 2.0.21 with the plugin: with the added role "extra" (role priority 10),
  // backend's publish to devices/secret/x is acknowledged (PUBACK 0) and delivered; without it,
  // PUBACK 135. plugins/dynamic-security/acl.c walks the client's roles in priority order and the
  // ACLs of each role in priority order, first match decides. Before the fix the reader sorted all
  // ACLs of all roles by ACL priority, so the deny (priority 100) hid the new allow: no change reported.
  const doc = (extra: boolean) => ({
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true },
    clients: [{ username: 'backend', roles: [{ rolename: 'fortress-backend' }, ...(extra ? [{ rolename: 'extra', priority: 10 }] : [])] }],
    groups: [],
    roles: [
      {
        rolename: 'fortress-backend',
        acls: [
          { acltype: 'publishClientSend', topic: 'devices/secret/#', priority: 100, allow: false },
          { acltype: 'publishClientSend', topic: 'devices/#', priority: 0, allow: true },
        ],
      },
      ...(extra ? [{ rolename: 'extra', acls: [{ acltype: 'publishClientSend', topic: 'devices/secret/#', priority: 0, allow: true }] }] : []),
    ],
  });
  it('a role added with a higher role priority whose allow another role denies is a gain', () => {
    const before = dynsecAccess('mqtt/mosquitto', doc(false));
    const after = dynsecAccess('mqtt/mosquitto', doc(true));
    assert.equal(identityAllows(before.identities[0], 'publish', 'devices/secret/x'), false);
    assert.equal(identityAllows(after.identities[0], 'publish', 'devices/secret/x'), true);
    const d = diffAccess('s', before, after);
    assert.deepEqual(
      d.gained.map((g) => [g.identity, g.action, g.topic]),
      [['backend', 'publish', 'devices/secret/#']],
    );
  });
});

describe('a broken deny assertion is a widening, also when no gained filter shows it', () => {
  // Dynamic security decides a SUBSCRIBE with subscribePattern alone and each delivery with
  // publishClientReceive as well. A role that newly allows the SUBSCRIBE of devices/secret/# while
  // deliveries stay refused gains no topic name to receive, but the client may now subscribe:
  // BEFORE's assertion "backend may not subscribe to devices/secret/x" is broken.
  const doc = (extra: boolean) => ({
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true },
    clients: [{ username: 'backend', roles: [{ rolename: 'r' }] }],
    groups: [],
    roles: [{ rolename: 'r', acls: extra ? [{ acltype: 'subscribePattern', topic: 'devices/secret/#', priority: 0, allow: true }] : [] }],
  });
  const row: AssertionRow = {
    holders: [],
    identity: 'backend',
    username: 'backend',
    case: 'assertions[0].deny[0]',
    action: 'subscribe',
    topic: 'devices/secret/x',
    expect: 'deny',
    holds: true,
    because: 'no rule allows it',
  };
  it('counts toward --fail-on widen (accessWidening) and says so in Markdown', () => {
    const d = diffAccess('s', dynsecAccess('mqtt/mosquitto', doc(false)), dynsecAccess('mqtt/mosquitto', doc(true)), [row]);
    assert.deepEqual(d.gained, []);
    assert.deepEqual(
      d.brokenAssertions.map((x) => [x.username, x.topic, x.expect]),
      [['backend', 'devices/secret/x', 'deny']],
    );
    assert.equal(accessWidening(d), 1);
    assert.match(renderAccessDiff(d), /### Assertions of BEFORE that AFTER breaks \(1\), a broken deny counted as widening/);
    // A broken allow assertion is a narrowing: not counted.
    const lost = diffAccess('s', dynsecAccess('mqtt/mosquitto', doc(true)), dynsecAccess('mqtt/mosquitto', doc(false)), [{ ...row, expect: 'allow' }]);
    assert.equal(lost.brokenAssertions.length, 1);
    assert.equal(accessWidening(lost), 0);
  });
});

describe('the access diff names each hidden change, in every dialect', () => {
  for (const dialect of Object.keys(DIALECTS)) {
    it(`${dialect}: a broader wildcard (devices/+/telemetry -> devices/+/+) gains devices/+/+, in part`, () => {
      const d = diff(
        dialect,
        base(),
        role(base(), 'backend', (r) => ({ ...r, rules: [{ action: 'subscribe', topics: ['devices/+/+', 'devices/+/status'] }, r.rules[1]!] })),
      );
      assert.deepEqual(brief(d.gained), ['backend subscribe devices/+/+ part']);
      assert.ok(d.gained[0]!.example && !/\/(telemetry|status)$/.test(d.gained[0]!.example), d.gained[0]!.example);
      assert.deepEqual(d.lost, []);
    });
    it(`${dialect}: a removed deny gains exactly the denied part (fleet/keys/#) for both holders of the shared role, and breaks the assertion`, () => {
      const after = role(base(), 'ops', (r) => ({ ...r, rules: [r.rules[0]!] }));
      const d = diff(dialect, base(), { ...after, assertions: [] });
      assert.deepEqual(brief(d.gained), ['ops-1 subscribe fleet/keys/# whole', 'ops-2 subscribe fleet/keys/# whole', ...(dialect === 'acl-file' ? [] : [])]);
      assert.deepEqual(
        d.brokenAssertions.map((x) => [x.username, x.action, x.topic, x.expect]),
        [['ops-1', 'subscribe', 'fleet/keys/#', 'deny']],
      );
      assert.match(renderAccessDiff(d), /### Assertions of BEFORE that AFTER breaks \(1\)/);
    });
    it(`${dialect}: a new member of an identity class gains its own subtree, and nobody else changes`, () => {
      const after = { ...base(), identities: base().identities.map((i) => (i.name === 'sensors' ? { ...i, members: ['s1', 's2', 's3'] } : i)) };
      const d = diff(dialect, base(), after);
      assert.deepEqual(brief(d.gained), ['s3 publish devices/s3/telemetry whole', 's3 subscribe devices/s3/commands/# whole']);
      assert.deepEqual(d.lost, []);
    });
    it(`${dialect}: a role shared by several identities gains a filter for each holder, not for others`, () => {
      const after = role(base(), 'ops', (r) => ({ ...r, rules: [...r.rules, { action: 'publish', topics: ['fleet/+/config'] }] }));
      const d = diff(dialect, base(), after);
      assert.deepEqual(brief(d.gained), ['ops-1 publish fleet/+/config whole', 'ops-2 publish fleet/+/config whole']);
    });
    it(`${dialect}: removing devices/+/status from the backend is a loss (the text diff said "no change")`, () => {
      const d = diff(
        dialect,
        base(),
        role(base(), 'backend', (r) => ({ ...r, rules: [{ action: 'subscribe', topics: ['devices/+/telemetry'] }, r.rules[1]!] })),
      );
      assert.deepEqual(d.gained, []);
      assert.deepEqual(brief(d.lost), ['backend subscribe devices/+/status whole']);
      assert.match(renderAccessDiff(d), /### Access lost \(1\)\n\n- `backend` on `mqtt[^`]*` \(stack `stack`\) may no longer subscribe to and receive `devices\/\+\/status`/);
    });
    it(`${dialect}: a narrower filter that a new broader one covers is reported once`, () => {
      const after = role(base(), 'audit', (r) => ({ ...r, rules: [{ action: 'subscribe', topics: ['audit/#', 'logs/a', 'logs/+', 'logs/#'] }] }));
      const d = diff(dialect, base(), after);
      assert.deepEqual(brief(d.gained), ['auditor subscribe logs/# whole']);
    });
    it(`${dialect}: rewording that keeps the meaning (order, a role split in two, a role renamed) changes nothing`, () => {
      const b = base();
      const after: PolicySpec = {
        ...b,
        roles: [
          ...b.roles.filter((r) => r.name !== 'backend' && r.name !== 'ops'),
          { name: 'backend-read', rules: [{ action: 'subscribe', topics: ['devices/+/status', 'devices/+/telemetry'] }] },
          { name: 'backend-write', rules: [{ action: 'publish', topics: ['devices/+/commands/#'] }] },
          {
            name: 'operators',
            rules: [
              { effect: 'deny', action: 'all', topics: ['fleet/keys/#'] },
              { action: 'subscribe', topics: ['fleet/#'] },
            ],
          },
        ],
        identities: b.identities.map((i) => (i.name === 'backend' ? { ...i, roles: ['backend-write', 'backend-read'] } : i.roles[0] === 'ops' ? { ...i, roles: ['operators'] } : i)),
      };
      const d = diff(dialect, b, after);
      assert.deepEqual([d.gained, d.lost, d.brokenAssertions], [[], [], []]);
    });
  }
});

const require = createRequire(import.meta.url);
const md = (require('markdown-it') as (o: object) => { render(s: string): string })({ html: true });
const ALLOWED = new Set(['h2', 'h3', 'p', 'ul', 'li', 'code', 'em', 'strong']);
const textOf = (html: string) =>
  html
    .replace(/<[^>]*>/g, ' ')
    .replace(
      /&(amp|lt|gt|quot|#39|#x[0-9a-f]+|#\d+);/gi,
      (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e.toLowerCase()] ?? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
    )
    .replace(/\s+/g, ' ');

function checkRendered(d: AccessDiff): void {
  const html = md.render(renderAccessDiff(d));
  assert.doesNotMatch(html, /<!--/);
  for (const m of html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)) assert.ok(ALLOWED.has(m[1]!.toLowerCase()), `injected element <${m[1]}> in ${html}`);
  const text = textOf(html);
  for (const c of [...d.gained, ...d.lost]) assert.ok(text.includes(visible(c.topic).replace(/\s+/g, ' ').trim()), `topic not visible: ${JSON.stringify(c.topic)}\n${html}`);
}

describe('the Access changes section escapes every user-controlled string', () => {
  it('topics with |, backticks, *, < and HTML are shown literally, nothing injected', () => {
    const spec: PolicySpec = {
      roles: [{ name: 'r', rules: [{ action: 'all', topics: ['t|x/`a``b`/*bold*/<img src=x onerror=alert(1)>', 'u/<!--/[l](javascript:x)/_e_'] }] }],
      identities: [{ name: 'svc', kind: 'service', roles: ['r'] }],
    };
    for (const read of Object.values(DIALECTS)) {
      const d = diffAccess('st|ack', undefined, read(Policy.from(spec)));
      assert.equal(d.gained.length, 4);
      checkRendered(d);
    }
  });
  it('hostile policies (150 seeds): every gained topic is visible text, no element injected', () => {
    let checked = 0;
    for (const seed of RENDER_SEEDS.slice(0, 150)) {
      let policy: Policy;
      try {
        policy = Policy.from(hostileSpec(rng(seed), String(seed)));
      } catch {
        continue;
      }
      const d = diffAccess('s', undefined, DIALECTS['dynamic-security']!(policy));
      checkRendered(d);
      checked += d.gained.length;
    }
    assert.ok(checked > 20, `${checked} gained entries rendered`);
  });
});
