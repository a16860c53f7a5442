/**
 * Identity classes as EMQX `${username}` templates (issue 16): the acl.conf of the EMQX build
 * (password mode), read by Erlang's file:consult/1 and evaluated by the EMQX 5.8 authorizer model
 * (test/helpers/emqx-authz.ts), equals Policy.allows for every identity (class members, members of
 * the class that stays per user, individuals), on random class policies whose words collide
 * with usernames. A name outside the policy would get the templates (EMQX applies an `all` rule
 * to every client): templates are rendered only where such a name cannot log in.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FortressError } from '../../constructs/core/errors.js';
import { checkEmqxAclMeaning } from '../../constructs/emqx/acl-meaning.js';
import { buildEmqx } from '../../constructs/emqx/objects.js';
import { Policy } from '../../constructs/policy/model.js';
import { authorize, clientInfo, compileAcl, type EmqxAuthzConfig, filtersMatching } from '../helpers/emqx-authz.js';
import { missing } from '../helpers/peers.js';
import { pick, rng } from '../helpers/random.js';
import { CLASS_WORDS, randomClassPolicy } from '../helpers/random-class-policy.js';

function build(policy: Policy, clientAuth: 'password' | 'certificate') {
  const b = buildEmqx({
    policy,
    credentialsSecretName: 'c',
    adminSecretName: 'a',
    tls: { secretName: 't', nodeSecretName: 'n', clientAuth },
    image: { digest: `sha256:${'78'.repeat(32)}` },
    allowFrom: [{ namespace: 'iot' }],
  });
  const c = b.config as { authorization: { no_match: 'allow' | 'deny' }; mqtt: Record<string, unknown> };
  const cfg: EmqxAuthzConfig = { noMatch: c.authorization.no_match, useUsernameAsClientid: c.mqtt.use_username_as_clientid === true };
  return { acl: b.files['acl.conf'], cfg };
}

describe('identity classes as EMQX ${username} templates = Policy.allows', { skip: missing.erl }, () => {
  let templated = 0;
  let checked = 0;
  let allowed = 0;
  for (let seed = 1; seed <= 60; seed++) {
    let policy: Policy;
    try {
      policy = Policy.from(randomClassPolicy(rng(seed)));
      checkEmqxAclMeaning(policy);
    } catch (e) {
      assert.ok(e instanceof FortressError);
      continue;
    }
    it(`seed ${seed}`, () => {
      const { acl, cfg } = build(policy, 'password');
      if (/^\{(allow|deny), all, /m.test(acl)) templated++;
      const rules = compileAcl(acl);
      const r = rng(seed * 31);
      const names = [...new Set(Array.from({ length: 25 }, () => Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, CLASS_WORDS)).join('/')))];
      const filters = [...new Set(names.flatMap((t) => filtersMatching(t)))].slice(0, 60);
      // A name outside the policy cannot log in where templates are rendered (the built-in
      // database holds only the policy's names); it is checked where they are not.
      const templates = /^\{(allow|deny), all, /m.test(acl);
      for (const who of [...policy.principals.map((p) => p.username), ...(templates ? [] : ['stranger'])]) {
        const ci = clientInfo(cfg, { username: who, clientId: who });
        for (const t of names) {
          for (const op of ['publish', 'receive'] as const) {
            const want = policy.allows(who, op, t);
            allowed += want ? 1 : 0;
            checked++;
            assert.equal(authorize(rules, cfg, ci, op, t), want, `seed ${seed}: ${who} ${op} ${t}\n${acl}`);
          }
        }
        for (const f of filters) assert.equal(authorize(rules, cfg, ci, 'subscribe', f), policy.allows(who, 'subscribe', f), `seed ${seed}: ${who} subscribe ${f}\n${acl}`);
      }
    });
  }
  it('most policies render a class as templates, and the checks are not vacuous', () => {
    assert.ok(templated >= 20, `${templated} templated`);
    assert.ok(allowed > 100 && checked - allowed > 100, `${allowed}/${checked}`);
  });
  it('certificate mode renders no templates (any CN the CA signs can log in)', () => {
    const policy = Policy.from({
      roles: [{ name: 'own', rules: [{ action: 'all', topics: ['devices/{username}/#'] }] }],
      identities: [{ name: 'fleet', kind: 'device', roles: ['own'], members: ['d1', 'd2'] }],
    });
    assert.match(build(policy, 'password').acl, /^\{allow, all, all, \["devices\/\$\{username\}\/#"\]\}\.$/m);
    assert.doesNotMatch(build(policy, 'certificate').acl, /^\{(allow|deny), all, /m);
  });
});
