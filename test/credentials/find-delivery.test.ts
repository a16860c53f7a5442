/**
 * Find-mode delivery (more identities than the explicit list carries, fewer than a shard): the
 * ExternalSecret finds the password secrets by a name regexp, and external-secrets' AWS provider
 * ignores the tags when a name is given. The regexp alone must therefore admit every password
 * secret and no admin secret (`<prefix>/_admin/<key>`: the EMQX cookie, dashboard and API keys),
 * which would otherwise land in the credentials Secret under an invalid key.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildExternalSecrets, deliveryMode } from '../../constructs/credentials/external-secrets.js';
import { credentialLayout } from '../../constructs/credentials/layout.js';
import { Policy } from '../../constructs/policy/model.js';
import { ACCEPTABLE_ATOMS, REFUSED_ATOMS } from '../helpers/hostile-strings.js';

const members = (n: number) => Array.from({ length: n }, (_, i) => `dev.${i}_x-${i}`);
const policy = Policy.from({
  roles: [{ name: 'own', rules: [{ action: 'publish', topics: ['devices/{username}/telemetry'] }] }],
  identities: [{ name: 'fleet', kind: 'device', roles: ['own'], members: members(600) }],
});

describe('find-mode delivery selects password secrets only', () => {
  const secrets = credentialLayout(policy, { prefix: 'mqtt-fortress/emqx' });
  const objects = buildExternalSecrets({ secrets, prefix: 'mqtt-fortress/emqx', brokerName: 'emqx', region: 'eu-west-1', namespace: 'mqtt', targetSecretName: 'creds' }) as any[];
  const es = objects.find((o) => o.kind === 'ExternalSecret');
  const find = es.spec.dataFrom[0].find;
  const re = new RegExp(find.name.regexp); // Go's RE2 reads this pattern (anchors, a negated class) the same way

  it('the fleet is in find mode', () => assert.equal(deliveryMode(secrets.length), 'find'));
  it('matches every password secret of the broker', () => {
    const missed = secrets.filter((s) => !re.test(s.secretName));
    assert.deepEqual(missed, []);
  });
  it('matches no admin secret, no deeper name and no other prefix', () => {
    for (const name of [
      'mqtt-fortress/emqx/_admin/cookie',
      'mqtt-fortress/emqx/_admin/dashboard',
      'mqtt-fortress/emqx/a/b',
      'mqtt-fortress/emqx/',
      'mqtt-fortress/emqx2/dev',
      'x/mqtt-fortress/emqx/dev',
      'mqtt-fortressXemqx/dev',
    ]) {
      assert.ok(!re.test(name), `${name} must not match ${find.name.regexp}`);
    }
  });
  it('hostile names under the prefix match only when they are one level deep', () => {
    for (const h of [...ACCEPTABLE_ATOMS, ...REFUSED_ATOMS, '']) {
      const name = `mqtt-fortress/emqx/${h}`;
      assert.equal(re.test(name), h.length > 0 && !h.includes('/'), JSON.stringify(h));
    }
  });
});
