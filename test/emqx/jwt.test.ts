/**
 * EMQX JWT authentication (issue 16): the rendered authenticator passes the EMQX 5.8 schema
 * shipped in the repo (buildEmqx validates every emqx.conf with it), for a JWKS endpoint and for a
 * public key; what the kit must refuse is refused with EMQX_JWT; the schema itself refuses a
 * misspelt field (so the check can fail).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type EmqxJwtAuth, JWT_ACL_CLAIM_UNUSED, JWT_KEY_DIR, JWT_KEY_FILE, renderJwtAuthenticator } from '../../constructs/emqx/jwt.js';
import { buildEmqx } from '../../constructs/emqx/objects.js';
import type { EmqxClusterOptions } from '../../constructs/emqx/props.js';
import { type EmqxSchema, validateEmqxConfig } from '../../constructs/emqx/schema.js';
import { validateK8sObject } from '../../constructs/k8s/objects.js';
import { Policy } from '../../constructs/policy/model.js';
import { templatePath } from '../../constructs/templates.js';

const policy = Policy.from({
  roles: [{ name: 'own', rules: [{ action: 'all', topics: ['devices/{username}/#'] }] }],
  identities: [{ name: 'fleet', kind: 'device', roles: ['own'], members: ['d1', 'd2'] }],
});
const props = (jwt?: EmqxJwtAuth): EmqxClusterOptions => ({
  policy,
  credentialsSecretName: 'c',
  adminSecretName: 'a',
  tls: { secretName: 't', nodeSecretName: 'n' },
  image: { digest: `sha256:${'78'.repeat(32)}` },
  allowFrom: [{ namespace: 'iot' }],
  ...(jwt ? { jwt } : {}),
});
const schema = JSON.parse(readFileSync(templatePath('emqx/emqx-5.8-config-schema.json'), 'utf8')) as EmqxSchema;
const pem = (type: 'rsa' | 'ec' | 'ed25519') =>
  (type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')).publicKey
    .export({ type: 'spki', format: 'pem' })
    .toString();

describe('EMQX JWT authenticator', () => {
  it('JWKS endpoint: after the password database, claims bound to username and client id, keys over verified https; the 5.8 schema accepts it', () => {
    const b = buildEmqx(props({ jwksEndpoint: 'https://issuer.example.com/.well-known/jwks.json' }));
    const authn = (b.config as { authentication: Record<string, unknown>[] }).authentication;
    assert.equal(authn.length, 2);
    assert.equal(authn[0]!.backend, 'built_in_database');
    assert.deepEqual(authn[1], {
      mechanism: 'jwt',
      from: 'password',
      verify_claims: { username: '${username}', clientid: '${clientid}' },
      acl_claim_name: JWT_ACL_CLAIM_UNUSED,
      disconnect_after_expire: true,
      use_jwks: true,
      endpoint: 'https://issuer.example.com/.well-known/jwks.json',
      refresh_interval: 300,
      ssl: { enable: true, verify: 'verify_peer', server_name_indication: 'issuer.example.com', cacerts: true },
    });
    assert.deepEqual(validateEmqxConfig(schema, b.config), []);
    // Any token holder can log in: the class stays per-user rules (no template for "all").
    assert.doesNotMatch(b.files['acl.conf'], /^\{allow, all, /m);
    assert.match(buildEmqx(props()).files['acl.conf'], /^\{allow, all, all, \["devices\/\$\{username\}\/#"\]\}\.$/m);
  });

  it('public key (RSA and EC) in emqx.conf; the schema accepts it', () => {
    for (const t of ['rsa', 'ec'] as const) {
      const b = buildEmqx(props({ publicKeyPem: pem(t), usernameClaim: 'sub', clientIdClaim: 'cid' }));
      const j = (b.config as { authentication: Record<string, unknown>[] }).authentication[1]!;
      assert.equal(j.algorithm, 'public-key');
      assert.match(String(j.public_key), /^-----BEGIN PUBLIC KEY-----/);
      assert.deepEqual(j.verify_claims, { sub: '${username}', cid: '${clientid}' });
      assert.deepEqual(validateEmqxConfig(schema, b.config), [], t);
      // emqx.conf is JSON-syntax HOCON: the file parses back to the same object.
      assert.deepEqual(JSON.parse(b.files['emqx.conf'].replace(/^#.*$/gm, '')), JSON.parse(JSON.stringify(b.config)));
    }
  });

  it('public key from a Secret: only that key mounted read-only (0440) into the EMQX container, emqx.conf names the file; schema and kubernetes-models accept it', () => {
    const b = buildEmqx(props({ publicKeySecret: { name: 'issuer-key', key: 'tls.pub' } }));
    const j = (b.config as { authentication: Record<string, unknown>[] }).authentication[1]!;
    assert.equal(j.algorithm, 'public-key');
    assert.equal(j.public_key, `${JWT_KEY_DIR}/${JWT_KEY_FILE}`);
    assert.equal(j.use_jwks, undefined);
    assert.deepEqual(validateEmqxConfig(schema, b.config), []);
    assert.doesNotMatch(JSON.stringify(b.files), /BEGIN PUBLIC KEY/);
    type Ctr = { name: string; volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] };
    const sts = b.objects.find((o) => o.kind === 'StatefulSet') as unknown as {
      spec: { template: { spec: { containers: Ctr[]; initContainers?: Ctr[]; volumes: { name: string; secret?: unknown }[] } } };
    };
    const pod = sts.spec.template.spec;
    assert.deepEqual(
      pod.volumes.find((v) => v.name === 'jwt-key'),
      { name: 'jwt-key', secret: { secretName: 'issuer-key', defaultMode: 0o440, items: [{ key: 'tls.pub', path: JWT_KEY_FILE }] } },
    );
    const mounting = [...pod.containers, ...(pod.initContainers ?? [])].filter((c) => c.volumeMounts.some((m) => m.name === 'jwt-key'));
    assert.deepEqual(
      mounting.map((c) => c.name),
      [pod.containers[0]!.name],
    );
    assert.deepEqual(
      mounting[0]!.volumeMounts.find((m) => m.name === 'jwt-key'),
      { name: 'jwt-key', mountPath: JWT_KEY_DIR, readOnly: true },
    );
    validateK8sObject(sts as unknown as Parameters<typeof validateK8sObject>[0]);
    // Without it, no such volume.
    assert.equal(JSON.stringify(buildEmqx(props({ jwksEndpoint: 'https://a.example/jwks' })).objects).includes('jwt-key'), false);
  });

  it('the schema check can fail: a misspelt or mistyped JWT field is refused', () => {
    const j = renderJwtAuthenticator({ jwksEndpoint: 'https://issuer.example.com/jwks' });
    const base = buildEmqx(props()).config as Record<string, unknown> & { authentication: unknown[] };
    assert.notDeepEqual(validateEmqxConfig(schema, { ...base, authentication: [base.authentication[0], { ...j, refresh_intervall: 300 }] }), []);
    assert.notDeepEqual(validateEmqxConfig(schema, { ...base, authentication: [base.authentication[0], { ...j, disconnect_after_expire: 'yes' }] }), []);
  });

  it('refuses: both or no key source, http or credentials in the URL, a private key, an ed25519 key, a bad claim name, JWKS options with a key', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bad: EmqxJwtAuth[] = [
      {},
      { jwksEndpoint: 'https://a.example/jwks', publicKeyPem: pem('ec') },
      { jwksEndpoint: 'http://a.example/jwks' },
      { jwksEndpoint: 'https://user:pw@a.example/jwks' },
      { jwksEndpoint: 'https://a.example/"jwks' },
      { jwksEndpoint: 'not a url' },
      { jwksEndpoint: 'https://a.example/jwks', refreshIntervalSeconds: 1 },
      { publicKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
      { publicKeyPem: 'secret-hmac-key' },
      { publicKeyPem: pem('ed25519') },
      { publicKeyPem: pem('ec'), usernameClaim: 'user name' },
      { publicKeyPem: pem('ec'), usernameClaim: 'x', clientIdClaim: 'x' },
      { publicKeyPem: pem('ec'), refreshIntervalSeconds: 60 },
      { publicKeyPem: pem('ec'), publicKeySecret: { name: 'k', key: 'pub' } },
      { jwksEndpoint: 'https://a.example/jwks', publicKeySecret: { name: 'k', key: 'pub' } },
      { publicKeySecret: { name: 'k', key: '../../etc/passwd' } },
      { publicKeySecret: { name: 'k', key: 'a/b' } },
      { publicKeySecret: { name: 'k', key: '..' } },
      { publicKeySecret: { name: 'k', key: '' } },
      { publicKeySecret: { name: 'k', key: 'a b' } },
      { publicKeySecret: { name: 'k', key: 'x'.repeat(254) } },
      { publicKeySecret: { name: 'k', key: 5 as unknown as string } },
      { publicKeySecret: { name: 'k', key: 'pub' }, refreshIntervalSeconds: 60 },
      { publicKeySecret: null as unknown as { name: string; key: string } },
    ];
    for (const j of bad)
      assert.throws(
        () => buildEmqx(props(j)),
        (e: Error & { code?: string }) => e.code === 'EMQX_JWT' && !/BEGIN PRIVATE/.test(e.message),
        JSON.stringify(j).slice(0, 80),
      );
  });

  it('refuses a hostile publicKeySecret.name with INVALID_NAME naming the prop', () => {
    for (const name of ['Issuer', 'a_b', 'a.b', '-a', 'a'.repeat(64), '', 'a"b', 'a\nb'])
      assert.throws(
        () => buildEmqx(props({ publicKeySecret: { name, key: 'pub' } })),
        (e: Error & { code?: string }) => e.code === 'INVALID_NAME' && e.message.includes('jwt.publicKeySecret.name'),
        name,
      );
  });
});
