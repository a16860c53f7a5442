/**
 * Passwords beyond one Kubernetes Secret (issue 16, goal 3): the shard arithmetic with hostile
 * username sizes, and the objects of a sharded fleet on every side (Secrets Manager tags, one
 * ExternalSecret per shard, one volume per shard in the Mosquitto and EMQX pods). The scripts that
 * merge the shards run in test/integration/sharded-credentials.int.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secretIdentities } from '../../constructs/credentials/credential-store.js';
import { buildExternalSecrets } from '../../constructs/credentials/external-secrets.js';
import { credentialLayout, passwordShards, SECRET_MAX_BYTES, SHARD_BUDGET_BYTES, SHARD_PASSWORD_BYTES, secretEntryBytes, shardSecretName, shardTagValue } from '../../constructs/credentials/layout.js';
import { buildEmqx } from '../../constructs/emqx/objects.js';
import { validateK8sObject } from '../../constructs/k8s/objects.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import { Policy } from '../../constructs/policy/model.js';

/** A fleet class of n members named by `name(i)`, and a monitoring identity `metrics`. */
function fleet(n: number, name = (i: number) => `dev-${String(i).padStart(6, '0')}`): Policy {
  return Policy.from({
    roles: [
      { name: 'own', rules: [{ action: 'publish', topics: ['devices/{username}/telemetry'] }] },
      { name: 'metrics', rules: [{ action: 'subscribe', topics: ['$SYS/#'] }] },
    ],
    identities: [
      { name: 'fleet', kind: 'device', roles: ['own'], members: Array.from({ length: n }, (_, i) => name(i)) },
      { name: 'metrics', kind: 'monitoring', roles: ['metrics'] },
    ],
  });
}

const loads = (usernames: readonly string[], shardOf: ReadonlyMap<string, number>, count: number) => {
  const l = new Array<number>(count).fill(0);
  for (const u of usernames) l[shardOf.get(u)!]! += secretEntryBytes(u);
  return l;
};

describe('password shards: the byte arithmetic', () => {
  it('one identity costs its JSON entry (base64 of a 64-byte password) and its managedFields entry', () => {
    assert.equal(SHARD_PASSWORD_BYTES, 64);
    // "dev-000001":"<88 base64 bytes>",  +  "f:dev-000001":{},  (2 * 10 + 88 + 14)
    const u = 'dev-000001';
    assert.equal(secretEntryBytes(u), `"${u}":"${'A'.repeat(88)}",`.length + `"f:${u}":{},`.length);
    assert.equal(SHARD_BUDGET_BYTES, SECRET_MAX_BYTES - 64 * 1024);
  });
  it('a fleet that fits one Secret is not sharded, one identity more is', () => {
    // 10-character names: 2*10 + 88 + 14 = 122 bytes, floor(983040 / 122) = 8057 fit.
    const names = (n: number) => Array.from({ length: n }, (_, i) => `d${String(i).padStart(9, '0')}`);
    assert.equal(secretEntryBytes('d000000000'), 122);
    assert.equal(passwordShards(names(8057)), undefined);
    const s = passwordShards(names(8058))!;
    assert.equal(s.count, 2);
    assert.ok(Math.max(...loads(names(8058), s.shardOf, 2)) <= SHARD_BUDGET_BYTES);
  });
  it('hostile sizes: 128-character names (the longest the policy accepts), mixed lengths, a large fleet', () => {
    const long = Array.from({ length: 5000 }, (_, i) => `${String(i).padStart(8, '0')}${'x'.repeat(120)}`);
    assert.equal(secretEntryBytes(long[0]!), 2 * 128 + 88 + 14);
    assert.equal(passwordShards(long.slice(0, Math.floor(SHARD_BUDGET_BYTES / 358))), undefined, '2 745 names of 128 characters fit');
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const mixed = Array.from({ length: 30000 }, (_, i) => `m${i}-${'y'.repeat(Math.floor(rnd() * 120))}`);
    for (const names of [long, mixed]) {
      const s = passwordShards(names)!;
      assert.equal(s.shardOf.size, names.length, 'every identity has a shard');
      const l = loads(names, s.shardOf, s.count);
      assert.ok(Math.max(...l) <= SHARD_BUDGET_BYTES, `every shard within ${SHARD_BUDGET_BYTES} bytes: ${Math.max(...l)}`);
      assert.ok(
        l.every((x) => x > 0),
        'no empty shard',
      );
      // the smallest count for which every shard fits: at least the total over the budget
      assert.ok(s.count >= Math.ceil(l.reduce((a, b) => a + b, 0) / SHARD_BUDGET_BYTES));
    }
  });
  it('deterministic in the set of names (order does not matter), and growth moves few identities', () => {
    const names = Array.from({ length: 20000 }, (_, i) => `sensor-${i}`);
    const a = passwordShards(names)!;
    const b = passwordShards([...names].reverse())!;
    assert.equal(a.count, b.count);
    for (const u of names) assert.equal(a.shardOf.get(u), b.shardOf.get(u));
    // A fleet grown by one shard: jump consistent hashing moves about 1/(count) of the identities.
    const grown = [...names, ...Array.from({ length: 9000 }, (_, i) => `sensor-x${i}`)];
    const g = passwordShards(grown)!;
    assert.ok(g.count > a.count, `${g.count} > ${a.count}`);
    const moved = names.filter((u) => a.shardOf.get(u) !== g.shardOf.get(u)).length;
    assert.ok(moved / names.length < 1.5 * (1 - a.count / g.count) + 0.02, `moved ${moved} of ${names.length} going from ${a.count} to ${g.count} shards`);
  });
  it('shard tag values: no one is a prefix of another (ListSecrets matches tag values by prefix), none can be an identity name', () => {
    for (const count of [2, 10, 11, 100, 101]) {
      const v = Array.from({ length: count }, (_, i) => shardTagValue(i, count));
      for (const x of v) for (const y of v) if (x !== y) assert.ok(!y.startsWith(x), `${x} is a prefix of ${y}`);
      for (const x of v) assert.throws(() => fleet(1, () => x), /name/);
    }
  });
});

describe('password shards: the objects', () => {
  const n = 20000;
  const policy = fleet(n);
  const usernames = policy.principals.map((p) => p.username);
  const shards = passwordShards(usernames)!;

  it('one ExternalSecret per shard, each finding its secrets by the shard tag under the prefix; they validate', () => {
    assert.equal(shards.count, 3);
    const objs = buildExternalSecrets({
      secrets: credentialLayout(policy),
      prefix: 'mqtt-fortress/mosquitto',
      brokerName: 'mosquitto',
      region: 'eu-west-1',
      namespace: 'mqtt',
      targetSecretName: 'creds',
    });
    assert.deepEqual(
      objs.map((o) => [o.kind, o.metadata.name]),
      [['ClusterSecretStore', 'mqtt-fortress-aws-secrets'], ...[0, 1, 2].map((i) => ['ExternalSecret', `creds-${i}`])],
    );
    for (const o of objs) validateK8sObject(o);
    objs.slice(1).forEach((o: any, i) => {
      assert.equal(o.spec.target.name, shardSecretName('creds', i));
      const [from] = o.spec.dataFrom;
      assert.equal(from.find.name, undefined, 'external-secrets ignores tags when find.name is set');
      assert.equal(from.find.path, 'mqtt-fortress/mosquitto/');
      assert.deepEqual(from.find.tags, { 'mqtt-fortress:broker': 'mosquitto', 'mqtt-fortress:purpose': 'mqtt-password', 'mqtt-fortress:shard': `${i}/3` });
      assert.deepEqual(from.rewrite, [{ regexp: { source: '^mqtt-fortress/mosquitto/(.*)$', target: '$1' } }]);
    });
  });
  it('a shard Secret name that is no DNS label is refused up front, naming the shard', () => {
    assert.throws(
      () => buildExternalSecrets({ secrets: credentialLayout(policy), prefix: 'p', brokerName: 'b', region: 'eu-west-1', namespace: 'mqtt', targetSecretName: 'c'.repeat(62) }),
      /targetSecretName \(shard 0: c+-0\) must be a DNS-1123 label/,
    );
  });
  it('the CredentialStore tags each secret with the shard the ExternalSecrets look for', () => {
    // A synthesized stack of this size takes minutes in cdktf; the tag's wiring to the local is
    // checked on a small store (test/credentials/credential-store.test.ts) and here its values.
    const identities = secretIdentities(credentialLayout(policy), shards);
    for (const u of usernames) assert.equal(identities[u]!.shard, shardTagValue(shards.shardOf.get(u)!, shards.count));
    const unsharded = secretIdentities(credentialLayout(fleet(3)), undefined);
    assert.ok(Object.values(unsharded).every((v) => !('shard' in v)));
  });
  it('Mosquitto mounts every shard, lists them in FORTRESS_PLAIN and reads the exporter password from its shard', () => {
    const b = buildMosquitto({
      policy,
      credentialsSecretName: 'creds',
      tls: { secretName: 'tls' },
      allowFrom: [{ namespace: 'iot' }],
      metricsExporter: { image: { digest: `sha256:${'1'.repeat(64)}` } },
    });
    const ss: any = b.objects.find((o) => o.kind === 'StatefulSet');
    const vols = ss.spec.template.spec.volumes.filter((v: any) => v.name.startsWith('credentials'));
    assert.deepEqual(
      vols.map((v: any) => [v.name, v.secret.secretName]),
      [0, 1, 2].map((i) => [`credentials-${i}`, `creds-${i}`]),
    );
    const init = ss.spec.template.spec.initContainers[0];
    const reloader = ss.spec.template.spec.containers.find((c: any) => c.name === 'credentials-reloader');
    for (const c of [init, reloader]) {
      assert.equal(c.env.find((e: any) => e.name === 'FORTRESS_PLAIN').value, '/run/fortress/plain-0 /run/fortress/plain-1 /run/fortress/plain-2');
      assert.deepEqual(
        c.volumeMounts.filter((m: any) => m.name.startsWith('credentials')).map((m: any) => m.mountPath),
        ['/run/fortress/plain-0', '/run/fortress/plain-1', '/run/fortress/plain-2'],
      );
    }
    const exporter = ss.spec.template.spec.containers.find((c: any) => c.name === 'metrics-exporter');
    const ref = exporter.env.find((e: any) => e.name === 'MQTT_PASS').valueFrom.secretKeyRef;
    assert.deepEqual(ref, { name: `creds-${shards.shardOf.get(ref.key)}`, key: ref.key });
    // The broker container itself never mounts a password Secret.
    const broker = ss.spec.template.spec.containers.find((c: any) => c.name === 'mosquitto');
    assert.ok(!broker.volumeMounts.some((m: any) => m.name.startsWith('credentials')));
  });
  it('EMQX mounts every shard in the hashing init container and the credential-sync sidecar', () => {
    const b = buildEmqx({
      policy,
      credentialsSecretName: 'creds',
      adminSecretName: 'admin',
      tls: { secretName: 't', nodeSecretName: 'n' },
      image: { digest: `sha256:${'78'.repeat(32)}` },
      allowFrom: [{ namespace: 'iot' }],
    });
    const ss: any = b.objects.find((o) => o.kind === 'StatefulSet');
    const spec = ss.spec.template.spec;
    assert.deepEqual(
      spec.volumes.filter((v: any) => v.name.startsWith('credentials')).map((v: any) => v.secret.secretName),
      ['creds-0', 'creds-1', 'creds-2'],
    );
    const hashing = [...spec.initContainers, ...spec.containers].filter((c: any) => c.env?.some((e: any) => e.name === 'FORTRESS_PLAIN'));
    assert.equal(hashing.length, 2);
    for (const c of hashing) assert.equal(c.env.find((e: any) => e.name === 'FORTRESS_PLAIN').value, '/run/fortress/plain-0 /run/fortress/plain-1 /run/fortress/plain-2');
  });
});
