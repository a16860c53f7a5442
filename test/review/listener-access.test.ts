/**
 * What the access model reads from Mosquitto's configuration beyond the kit's own shape, as a
 * change made with an escape hatch would write it: `per_listener_settings true` with listeners
 * that admit different things (each listener read, not only the first), and dynamic security's
 * `anonymousGroup` and `defaultACLAccess` (anonymous and default access in the diff and the audit).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rule as acl1 } from '../../constructs/audit/rules/acl-1.js';
import { auditContext } from '../../constructs/audit/rules.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { diffAccess } from '../../constructs/review/access-diff.js';
import { accessOf } from '../../constructs/review/access-model.js';
import { minimalBrokerProps, resourcesOf, synth, type Tf } from '../helpers/synth.js';

const base = (aclMode: 'acl-file' | 'dynamic-security') =>
  synth((s) => {
    new MosquittoBroker(s, 'Broker', minimalBrokerProps({ aclMode }));
  }, 'mosquitto-k8s').tf;

/** A copy of the stack with one ConfigMap file rewritten (what an addOverride of the ConfigMap does). */
function edit(tf: Tf, file: string, change: (text: string) => string): Tf {
  const copy = structuredClone(tf);
  const cm = resourcesOf(copy, 'kubernetes_config_map_v1').find((c) => c.data?.['mosquitto.conf']);
  cm.data[file] = change(cm.data[file]);
  return copy;
}

const brief = (xs: readonly { identity: string; listener?: number; action: string; topic: string }[]) => xs.map((x) => `${x.identity}@${x.listener ?? '*'} ${x.action} ${x.topic}`).sort();

describe('per_listener_settings true: every listener is read', () => {
  const before = base('acl-file');
  const users = accessOf('s', before).identities.map((i) => i.identity);
  // The kit's global security options moved onto each listener, and a third listener with
  // a password file but no ACL file: everyone who logs in there may do everything.
  const perListener = (third: string) =>
    edit(before, 'mosquitto.conf', (conf) => {
      const security = 'allow_anonymous false\npassword_file /run/fortress/auth/passwd\nacl_file /mosquitto/config/acl\n';
      return `${conf
        .replace('per_listener_settings false\n', 'per_listener_settings true\n')
        .replace(security, '')
        .replace(/^(listener .*)$/gm, `$1\n${security.trimEnd()}`)}\nlistener 1885\n${third}`;
    });
  it('a listener without an ACL file gives every user everything there, reported for that listener only', () => {
    const after = perListener('allow_anonymous false\npassword_file /run/fortress/auth/passwd\n');
    const d = diffAccess('s', accessOf('s', before), accessOf('s', after));
    const expected = ['(every client)', ...users].flatMap((u) => [`${u}@1885 publish #`, `${u}@1885 subscribe #`]).sort();
    assert.deepEqual(brief(d.gained), expected);
    assert.deepEqual(d.lost, []);
    // The diff reads each listener, and still names the setting it does not read as the kit renders it.
    assert.deepEqual(
      d.unread.map((u) => [u.new, u.text.split(':')[0]]),
      [[true, 'mosquitto.conf line "per_listener_settings true"']],
    );
  });
  it('listeners that all admit the same are one model: moving the options onto each listener changes nothing', () => {
    const after = perListener('allow_anonymous false\npassword_file /run/fortress/auth/passwd\nacl_file /mosquitto/config/acl\nuse_username_as_clientid true\n');
    assert.ok(accessOf('s', after).identities.every((i) => i.listener === undefined));
    const d = diffAccess('s', accessOf('s', before), accessOf('s', after));
    assert.deepEqual([d.gained, d.lost], [[], []]);
  });
  it('the first listener open and a later one closed is read too (not only the first)', () => {
    const after = edit(before, 'mosquitto.conf', (conf) =>
      conf
        .replace('per_listener_settings false\nallow_anonymous false\npassword_file /run/fortress/auth/passwd\nacl_file /mosquitto/config/acl\n', 'per_listener_settings true\n')
        .replace(/^listener 8883$/m, 'listener 8883\nallow_anonymous false\npassword_file /run/fortress/auth/passwd\nacl_file /mosquitto/config/acl'),
    );
    const model = accessOf('s', after);
    assert.deepEqual([...new Set(model.identities.map((i) => `${i.listener} ${i.source}`))].sort(), ['1884 no-authorization', '8883 acl-file']);
  });
});

describe('dynamic security: anonymousGroup and defaultACLAccess', () => {
  const before = base('dynamic-security');
  const anonymousGroup = (allowAnonymous: boolean) => {
    const withGroup = edit(before, 'dynamic-security-template.json', (json) => {
      const d = JSON.parse(json);
      d.anonymousGroup = 'guests';
      d.groups = [...(d.groups ?? []), { groupname: 'guests', roles: [{ rolename: 'guest-read' }] }];
      d.roles = [
        ...d.roles,
        {
          rolename: 'guest-read',
          acls: [
            { acltype: 'subscribePattern', topic: 'devices/#', allow: true },
            { acltype: 'publishClientReceive', topic: 'devices/#', allow: true },
            { acltype: 'publishClientSend', topic: 'guests/#', allow: true },
          ],
        },
      ];
      return JSON.stringify(d);
    });
    return allowAnonymous ? edit(withGroup, 'mosquitto.conf', (c) => c.replace('allow_anonymous false', 'allow_anonymous true')) : withGroup;
  };
  it('anonymous clients get the anonymous group roles: a widening named (anonymous)', () => {
    const d = diffAccess('s', accessOf('s', before), accessOf('s', anonymousGroup(true)));
    assert.deepEqual(brief(d.gained), ['(anonymous)@* publish guests/#', '(anonymous)@* subscribe devices/#']);
    const anon = accessOf('s', anonymousGroup(true)).identities.find((i) => i.identity === '(anonymous)');
    assert.ok(anon, 'the anonymous identity is in the model');
    assert.deepEqual(anon.subscribe[0], [{ allow: true, topic: 'devices/#' }]);
  });
  it('with allow_anonymous false nobody without a username connects: no anonymous identity, but the audit flags the group (ACL-1)', () => {
    const tf = anonymousGroup(false);
    assert.equal(
      accessOf('s', tf).identities.some((i) => i.identity === '(anonymous)'),
      false,
    );
    const rows = acl1.check(auditContext('s', tf));
    assert.ok(
      rows.some((r) => r.status === 'non-compliant' && r.finding?.endsWith(':dynsec-anonymous]') && /group guests: guest-read/.test(r.detail)),
      JSON.stringify(rows),
    );
    assert.ok(!acl1.check(auditContext('s', before)).some((r) => r.status === 'non-compliant'));
  });
  it('a default ACL access that allows publishing is gained by every client, the anonymous one too', () => {
    const tf = edit(anonymousGroup(true), 'dynamic-security-template.json', (json) => {
      const d = JSON.parse(json);
      d.defaultACLAccess = { ...d.defaultACLAccess, publishClientSend: true };
      return JSON.stringify(d);
    });
    const d = diffAccess('s', accessOf('s', anonymousGroup(true)), accessOf('s', tf));
    const who = new Set(d.gained.filter((g) => g.action === 'publish').map((g) => g.identity));
    assert.ok(who.has('(anonymous)'), [...who].join(','));
    assert.equal(who.size, accessOf('s', tf).identities.length);
  });
});
