/**
 * One policy, one meaning (ACL-4, AUTH-5; issue 14 item 1). A single table of
 * (identity, client id sent, operation, topic, expected) runs against:
 * - `Policy.allows`, the reference semantics, with the client id the brokers bind (the username);
 * - a real Mosquitto 2.0 started from the kit's rendering (test/helpers/broker.ts);
 * - the EMQX rendering: the acl.conf the kit ships, parsed by Erlang's `file:consult/1`, and the
 *   client-id binding read from the rendered emqx.conf, evaluated with the model of EMQX 5.8's
 *   file authorizer (test/helpers/emqx-authz.ts, written from EMQX's source).
 * Rows with a foreign client id are the attack of issue 14 item 1: before the binding, EMQX's
 * `${clientid}` was the client's choice and these rows were allowed on EMQX only.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FortressError } from '../../constructs/core/errors.js';
import { buildEmqx } from '../../constructs/emqx/objects.js';
import type { EmqxClusterOptions } from '../../constructs/emqx/props.js';
import { Policy, type PolicySpec } from '../../constructs/policy/model.js';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';
import { collect, connect, publishCode, type RunningBroker, startBroker, subscribeCode } from '../helpers/broker.js';
import { authorize, clientInfo, compileAcl, type EmqxAuthzConfig, matches, type Rule, topicMatch, words } from '../helpers/emqx-authz.js';
import { missing, missingBroker } from '../helpers/peers.js';
import { examplePolicy } from '../helpers/synth.js';

const emqxProps = (o: Partial<EmqxClusterOptions> = {}): EmqxClusterOptions => ({
  policy: examplePolicy(),
  credentialsSecretName: 'emqx-credentials',
  adminSecretName: 'emqx-admin',
  tls: { secretName: 'emqx-tls', nodeSecretName: 'emqx-node-tls' },
  image: { digest: `sha256:${'ef'.repeat(32)}` }, // test fixture only: no EMQX digest is confirmed
  allowFrom: [{ namespace: 'iot-backend' }],
  ...o,
});

export const SHARED_SPEC: PolicySpec = {
  version: 1,
  roles: [
    {
      name: 'device',
      rules: [
        { action: 'publish', topics: ['devices/{username}/telemetry'] },
        { action: 'subscribe', topics: ['devices/{username}/commands/#'] },
        { action: 'publish', topics: ['devices/{clientId}/status'] },
        { action: 'subscribe', topics: ['devices/{clientId}/config/#'] },
      ],
    },
    {
      name: 'backend',
      rules: [
        { action: 'subscribe', topics: ['devices/+/telemetry', 'devices/+/status'] },
        { action: 'publish', topics: ['devices/+/commands/#', 'devices/+/config/#'] },
        { effect: 'deny', action: 'publish', topics: ['devices/quarantined/commands/#'] },
        { effect: 'deny', action: 'subscribe', topics: ['devices/+/telemetry/raw'] },
      ],
    },
    { name: 'metrics', rules: [{ action: 'subscribe', topics: ['$SYS/#'] }] },
  ],
  identities: [
    { name: 'sensor', kind: 'device', roles: ['device'], members: ['sensor-0001', 'sensor-0002'] },
    { name: 'backend', kind: 'service', roles: ['backend'] },
    { name: 'metrics', kind: 'monitoring', roles: ['metrics'] },
  ],
};

type Op = 'publish' | 'subscribe' | 'receive';
/** [identity, client id the client sends, operation, topic or filter, expected]. */
export const TABLE: [string, string, Op, string, boolean][] = [
  ['sensor-0001', 'sensor-0001', 'publish', 'devices/sensor-0001/telemetry', true],
  ['sensor-0001', 'sensor-0001', 'publish', 'devices/sensor-0002/telemetry', false],
  ['sensor-0001', 'sensor-0001', 'publish', 'devices/sensor-0001/status', true],
  ['sensor-0001', 'sensor-0002', 'publish', 'devices/sensor-0002/status', false], // {clientId} with another's id
  ['sensor-0001', 'sensor-0002', 'publish', 'devices/sensor-0001/status', true], // bound: the id is the username
  ['sensor-0001', 'backend', 'publish', 'devices/backend/status', false],
  ['sensor-0001', 'sensor-0002', 'subscribe', 'devices/sensor-0002/config/+', false],
  ['sensor-0001', 'sensor-0002', 'subscribe', 'devices/sensor-0002/config/#', false],
  ['sensor-0001', 'sensor-0002', 'subscribe', 'devices/sensor-0001/config/+', true],
  ['sensor-0001', 'sensor-0001', 'subscribe', 'devices/sensor-0001/config/x', true],
  ['sensor-0001', 'sensor-0001', 'subscribe', 'devices/sensor-0001/config/#', true],
  ['sensor-0001', 'sensor-0001', 'subscribe', 'devices/sensor-0001/+', false],
  ['sensor-0001', 'sensor-0001', 'subscribe', 'devices/sensor-0001/commands/#', true],
  ['sensor-0001', 'sensor-0001', 'subscribe', 'devices/sensor-0001/commands', true],
  ['sensor-0001', 'sensor-0001', 'subscribe', 'devices/+/commands/#', false],
  ['sensor-0001', 'sensor-0001', 'subscribe', '#', false],
  ['sensor-0001', 'sensor-0001', 'subscribe', '$SYS/#', false],
  ['sensor-0001', 'sensor-0001', 'receive', 'devices/sensor-0001/commands/reboot', true],
  ['sensor-0002', 'sensor-0001', 'receive', 'devices/sensor-0001/commands/reboot', false],
  ['sensor-0002', 'sensor-0001', 'receive', 'devices/sensor-0001/config/a', false],
  ['sensor-0001', 'sensor-0002', 'receive', 'devices/sensor-0001/config/a', true],
  ['backend', 'backend', 'subscribe', 'devices/+/telemetry', true],
  ['backend', 'backend', 'subscribe', 'devices/#', false],
  ['backend', 'backend', 'subscribe', 'devices/+/telemetry/raw', false],
  ['backend', 'backend', 'receive', 'devices/sensor-0002/telemetry', true],
  ['backend', 'backend', 'publish', 'devices/sensor-0002/commands/reboot', true],
  ['backend', 'backend', 'publish', 'devices/quarantined/commands/reboot', false],
  ['backend', 'backend', 'publish', 'devices/sensor-0002/telemetry', false],
  ['backend', 'backend', 'publish', '$SYS/broker/uptime', false],
  ['metrics', 'metrics', 'subscribe', '$SYS/#', true],
  ['metrics', 'metrics', 'subscribe', '#', false],
  ['metrics', 'metrics', 'publish', '$SYS/broker/uptime', false],
  ['nobody', 'nobody', 'subscribe', 'devices/+/telemetry', false],
];

const policy = Policy.from(SHARED_SPEC);

/** The EMQX rendering for a client-auth mode: acl.conf through file:consult, binding from emqx.conf. */
function emqxRendering(clientAuth: 'password' | 'password-and-certificate' | 'certificate'): { rules: Rule[]; cfg: EmqxAuthzConfig } {
  const b = buildEmqx(emqxProps({ policy, tls: { secretName: 'a', nodeSecretName: 'b', clientAuth } }));
  const c = b.config as any;
  return {
    rules: compileAcl(b.files['acl.conf']),
    cfg: {
      noMatch: c.authorization.no_match,
      useUsernameAsClientid: c.mqtt.use_username_as_clientid === true,
      peerCertAsUsername: c.mqtt.peer_cert_as_username ?? 'disabled',
      peerCertAsClientid: c.mqtt.peer_cert_as_clientid ?? 'disabled',
    },
  };
}

const row = (r: (typeof TABLE)[number]) => `${r[0]} (client id ${r[1]}) ${r[2]} ${r[3]}`;

describe('the EMQX authorizer model follows EMQX 5.8.9 source clause by clause', { skip: missing.erl }, () => {
  it('emqx_topic:match/2 (match_words, match_tokens)', () => {
    const m = (n: string, f: string) => topicMatch(words(n), words(f));
    assert.equal(m('a/b/c', 'a/+/c'), true);
    assert.equal(m('a', 'a/#'), true, "['#'] matches the rest, the empty rest included");
    assert.equal(m('a/b', 'a/+/#'), true);
    assert.equal(m('a/b', 'a'), false);
    assert.equal(m('$SYS/x', '#'), false, 'a wildcard first word does not match a $ name');
    assert.equal(m('$SYS/x', '+/x'), false);
    assert.equal(m('$SYS/x', '$SYS/#'), true);
    assert.equal(m('a/#', 'a/+'), true, "the client's # is a word that + matches");
    assert.equal(m('a/+', 'a/b'), false, "the client's + is a word, not a wildcard");
    assert.equal(m('a/+', 'a/+'), true);
    assert.equal(m('a//b', 'a/+/b'), true, 'the empty word is a word');
    assert.equal(m('a/#/b', 'a/#/b'), true, '# in the middle of a rule is compared as a word');
    assert.equal(m('a/x/b', 'a/#/b'), false);
  });
  it('emqx_authz_rule: compile/1, matches/4 (first match wins), placeholders, eq, who', () => {
    const rules = compileAcl(
      [
        '{deny, {username, "u"}, publish, ["t/secret"]}.',
        '{allow, {username, "u"}, all, ["t/#"]}.',
        '{allow, {clientid, "c"}, subscribe, ["c/${clientid}/x"]}.',
        '{allow, all, publish, ["p/${username}"]}.',
        '{allow, {user, "v"}, publish, [{eq, "q/#"}]}.',
        '{deny, all}.',
      ].join('\n'),
    );
    const u = { username: 'u', clientid: 'c' };
    assert.equal(matches(rules, u, 'publish', 't/secret'), 'deny');
    assert.equal(matches(rules, u, 'publish', 't/open'), 'allow');
    assert.equal(matches(rules, u, 'subscribe', 'c/c/x'), 'allow');
    assert.equal(matches(rules, { username: undefined, clientid: 'z' }, 'publish', 'p/undefined'), 'deny', '${username} without a username renders nothing: the rule is skipped');
    assert.equal(matches(rules, { username: 'v', clientid: 'v' }, 'publish', 'q/x'), 'deny', '{eq, ...} is not a filter');
    assert.equal(matches(rules, { username: 'v', clientid: 'v' }, 'publish', 'q/#'), 'allow');
    assert.deepEqual(compileAcl('{allow, {username, "w"}, publish, ["t"]}.\n'), [
      { permission: 'allow', who: { kind: 'username', value: 'w' }, action: 'publish', topics: [{ kind: 'filter', words: ['t'] }] },
    ]);
    assert.equal(matches(compileAcl('{allow, {username, "w"}, publish, ["t"]}.\n'), { username: 'x', clientid: 'x' }, 'publish', 't'), 'nomatch');
    assert.throws(() => compileAcl('{allow, {username, "w"}, publish, ["t"]}\n'), /file:consult refused/);
  });
});

describe('shared semantics: Policy.allows', () => {
  for (const r of TABLE) {
    const [who, , op, topic, expected] = r;
    // Both brokers bind the client id to the username, so the model is asked with that id.
    it(row(r), () => assert.equal(policy.allows(who, op, topic, { clientId: who }), expected));
  }
});

describe('shared semantics: the EMQX rendering (acl.conf through Erlang file:consult, EMQX authorizer model)', { skip: missing.erl }, () => {
  const modes = { password: emqxRendering('password'), 'password-and-certificate': emqxRendering('password-and-certificate'), certificate: emqxRendering('certificate') };
  for (const r of TABLE) {
    const [who, sentId, op, topic, expected] = r;
    it(row(r), () => {
      const p = modes.password;
      assert.equal(authorize(p.rules, p.cfg, clientInfo(p.cfg, { username: who, clientId: sentId }), op, topic), expected, 'password');
      // Certificates: the CN is the identity; whatever username and client id the client sends.
      for (const m of ['password-and-certificate', 'certificate'] as const) {
        const x = modes[m];
        const ci = clientInfo(x.cfg, { certCn: who, clientId: sentId, ...(m === 'password-and-certificate' ? { username: sentId } : {}) });
        assert.deepEqual(ci, { username: who, clientid: who }, `${m}: the certificate's CN is username and client id`);
        assert.equal(authorize(x.rules, x.cfg, ci, op, topic), expected, m);
      }
    });
  }
  it('the client id binding is what makes the foreign-client-id rows agree (without it EMQX allows them)', () => {
    const p = modes.password;
    const unbound = { ...p.cfg, useUsernameAsClientid: false };
    assert.equal(authorize(p.rules, unbound, clientInfo(unbound, { username: 'sensor-0001', clientId: 'sensor-0002' }), 'publish', 'devices/sensor-0002/status'), true);
    assert.equal(authorize(p.rules, p.cfg, clientInfo(p.cfg, { username: 'sensor-0001', clientId: 'sensor-0002' }), 'publish', 'devices/sensor-0002/status'), false);
  });
  it('a deny carved out of an allowed subscription would leak on EMQX (no delivery check), so EMQX refuses that policy', () => {
    const spec: PolicySpec = {
      ...SHARED_SPEC,
      roles: SHARED_SPEC.roles.map((r) =>
        r.name === 'backend' ? { ...r, rules: [...r.rules, { effect: 'deny' as const, action: 'subscribe' as const, topics: ['devices/quarantined/telemetry'] }] } : r,
      ),
    };
    const carved = Policy.from(spec);
    assert.equal(carved.allows('backend', 'receive', 'devices/quarantined/telemetry'), false);
    // The model of EMQX delivers it to a subscription of devices/+/telemetry:
    const b = buildEmqx(emqxProps());
    const rules = compileAcl(
      b.files['acl.conf'].replace('{deny, all}.', '') +
        `{deny, {username, "backend"}, subscribe, ["devices/quarantined/telemetry"]}.\n{allow, {username, "backend"}, subscribe, ["devices/+/telemetry"]}.\n{deny, all}.\n`,
    );
    const cfg = { noMatch: 'deny' as const, useUsernameAsClientid: true };
    assert.equal(authorize(rules, cfg, { username: 'backend', clientid: 'backend' }, 'receive', 'devices/quarantined/telemetry'), true);
    assert.throws(
      () => buildEmqx(emqxProps({ policy: carved })),
      (e: unknown) => e instanceof FortressError && e.code === 'EMQX_ACL_DELIVERY' && /denies "devices\/quarantined\/telemetry" inside the subscription "devices\/\+\/telemetry"/.test(e.message),
    );
  });
  it('a rule ending in "+" (or "+/#") would admit the client filter "#" there on EMQX, so EMQX refuses it', () => {
    const rules = compileAcl('{allow, {username, "u"}, subscribe, ["a/+"]}.\n{allow, {username, "u"}, subscribe, ["b/+/#"]}.\n{deny, all}.\n');
    const cfg = { noMatch: 'deny' as const, useUsernameAsClientid: true };
    const u = { username: 'u', clientid: 'u' };
    assert.equal(authorize(rules, cfg, u, 'subscribe', 'a/#'), true, 'EMQX admits a/# under a/+');
    assert.equal(authorize(rules, cfg, u, 'receive', 'a/x/y'), true);
    assert.equal(authorize(rules, cfg, u, 'receive', 'b'), true, 'b/# under b/+/# delivers b itself');
    const p = Policy.from({ version: 1, roles: [{ name: 'r', rules: [{ action: 'subscribe', topics: ['a/+', 'b/+/#'] }] }], identities: [{ name: 'u', kind: 'service', roles: ['r'] }] });
    assert.equal(p.allows('u', 'subscribe', 'a/#'), false);
    assert.equal(p.allows('u', 'receive', 'b'), false);
    assert.throws(
      () => buildEmqx(emqxProps({ policy: p })),
      (e: unknown) => e instanceof FortressError && e.code === 'EMQX_ACL_TRAILING_PLUS' && /"a\/\+"/.test(e.message),
    );
    const p2 = Policy.from({ version: 1, roles: [{ name: 'r', rules: [{ action: 'subscribe', topics: ['b/+/#'] }] }], identities: [{ name: 'u', kind: 'service', roles: ['r'] }] });
    assert.throws(
      () => buildEmqx(emqxProps({ policy: p2 })),
      (e: unknown) => e instanceof FortressError && e.code === 'EMQX_ACL_TRAILING_PLUS',
    );
  });
  it('a topic starting with "eq " means an exact match on EMQX, so EMQX refuses it', () => {
    const spec: PolicySpec = {
      ...SHARED_SPEC,
      roles: [...SHARED_SPEC.roles.map((r) => (r.name === 'backend' ? { ...r, rules: [...r.rules, { action: 'subscribe' as const, topics: ['eq devices/+/alerts'] }] } : r))],
    };
    const p = Policy.from(spec);
    assert.equal(p.allows('backend', 'subscribe', 'eq devices/x/alerts'), true);
    const rules = compileAcl('{allow, {username, "backend"}, subscribe, ["eq devices/+/alerts"]}.\n{deny, all}.\n');
    const cfg = { noMatch: 'deny' as const, useUsernameAsClientid: true };
    assert.equal(authorize(rules, cfg, { username: 'backend', clientid: 'backend' }, 'subscribe', 'eq devices/x/alerts'), false, 'EMQX reads it as eq');
    assert.equal(authorize(rules, cfg, { username: 'backend', clientid: 'backend' }, 'subscribe', 'devices/+/alerts'), true);
    assert.throws(
      () => buildEmqx(emqxProps({ policy: p })),
      (e: unknown) => e instanceof FortressError && e.code === 'EMQX_ACL_EQ',
    );
  });
});

for (const aclMode of ['acl-file', 'dynamic-security'] as const) {
  describe(`shared semantics: a real Mosquitto from the kit rendering (${aclMode})`, { skip: missingBroker ?? missing.mosquittoPasswd }, () => {
    let b: RunningBroker;
    before(async () => {
      b = await startBroker({ broker: { ...defaultMosquittoOptions(policy), clientIdIsUsername: true, aclMode } });
    });
    after(async () => b?.stop());
    const userOf = (name: string) => b.bundle.users.find((u) => u.username === name);
    for (const r of TABLE) {
      const [who, sentId, op, topic, expected] = r;
      // With acl_file Mosquitto grants every SUBSCRIBE and filters each delivery (README, "What
      // Mosquitto's ACL file does"): there the receive rows carry the meaning of a subscription.
      const skip = aclMode === 'acl-file' && op === 'subscribe' ? 'acl_file grants every SUBSCRIBE; the receive rows check what it delivers' : false;
      it(row(r), { skip }, async () => {
        const u = userOf(who);
        if (!u) {
          // An identity the policy does not have cannot log in at all.
          const code = await connect(b.bundle, { username: who, password: 'x'.repeat(40) }, { clientId: sentId }).then(
            (c) => {
              c.end(true);
              return 'ok';
            },
            () => 'refused',
          );
          assert.equal(code, 'refused');
          assert.equal(expected, false);
          return;
        }
        const c = await connect(b.bundle, u, { clientId: sentId });
        try {
          if (op === 'publish') assert.equal((await publishCode(c, topic, 'x')) < 128, expected);
          else if (op === 'subscribe') assert.equal((await subscribeCode(c, topic)) < 128, expected);
          else {
            const granted = await subscribeCode(c, topic);
            // A publisher other than the subject (its client id would take over the subject's session).
            const injector = policy.principals.find((p) => p.username !== who && p.username !== sentId && policy.allows(p.username, 'publish', topic));
            assert.ok(injector, `someone may publish ${topic}`);
            const inj = await connect(b.bundle, userOf(injector.username)!);
            try {
              const got = collect(c, 400);
              assert.ok((await publishCode(inj, topic, 'probe')) < 128, `${injector.username} may publish ${topic}`);
              const seen = (await got).some((m) => m.topic === topic);
              assert.equal(granted < 128 && seen, expected);
            } finally {
              await inj.endAsync();
            }
          }
        } finally {
          await c.endAsync();
        }
      });
    }
  });
}
