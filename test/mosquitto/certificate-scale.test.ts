/**
 * Certificate identities need no per-device Kubernetes object (issue 16 goal 2): in the
 * certificate client-auth modes, a fleet of 10 and of 2 000 members synthesizes the same objects
 * (kinds and names), and no object is named after a member. What grows with the fleet is file
 * content inside the one ConfigMap (the user list and, in certificate mode, the per-user ACL).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEmqx } from '../../constructs/emqx/objects.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import { Policy } from '../../constructs/policy/model.js';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';

const fleet = (n: number) =>
  Policy.from({
    roles: [{ name: 'own', rules: [{ action: 'all', topics: ['devices/{username}/#'] }] }],
    identities: [{ name: 'fleet', kind: 'device', roles: ['own'], members: Array.from({ length: n }, (_, i) => `member-${i}`) }],
  });
const shape = (objects: readonly { kind: string; metadata: { name: string } }[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();

describe('certificate identities: no per-device object', () => {
  for (const clientAuth of ['certificate', 'password-or-certificate'] as const) {
    it(`Mosquitto ${clientAuth}: 10 and 2000 members, the same objects`, () => {
      const build = (n: number) => buildMosquitto({ ...defaultMosquittoOptions(), policy: fleet(n), tls: { secretName: 't', clientAuth } });
      const small = build(10).objects;
      const large = build(2000).objects;
      assert.deepEqual(shape(large), shape(small));
      assert.ok(!JSON.stringify(large.map((o) => o.metadata)).includes('member-1'));
    });
  }
  it('EMQX certificate: 10 and 2000 members, the same objects', () => {
    const build = (n: number) =>
      buildEmqx({
        policy: fleet(n),
        credentialsSecretName: 'c',
        adminSecretName: 'a',
        tls: { secretName: 't', nodeSecretName: 'n', clientAuth: 'certificate' },
        image: { digest: `sha256:${'78'.repeat(32)}` },
        allowFrom: [{ namespace: 'iot' }],
      }).objects;
    assert.deepEqual(shape(build(2000)), shape(build(10)));
  });
});
