/**
 * EMQX certificate revocation (tls.revocation): the listener settings and the hidden `crl_cache`
 * root against the EMQX 5.8 schema, the CRL server's objects (CA key only in its pod, its own UID,
 * a NetworkPolicy admitting only the EMQX pods), the distribution point stamped by the client CA
 * issuer, and hostile URLs and list entries. The CRL server program itself signs and serves a
 * CRL that a real OTP ssl server enforces in test/emqx/crl-server.int.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type App, Testing } from 'cdktf';
import { evaluate } from '../../constructs/audit/engine.js';
import { exposureOf } from '../../constructs/audit/exposure.js';
import { renderReport } from '../../constructs/audit/report.js';
import { FortressError } from '../../constructs/core/errors.js';
import { buildEmqx } from '../../constructs/emqx/objects.js';
import type { EmqxClusterOptions } from '../../constructs/emqx/props.js';
import { EMQX_CRL_PORT, resolveEmqxRevocation } from '../../constructs/emqx/revocation.js';
import { type EmqxSchema, validateEmqxConfig } from '../../constructs/emqx/schema.js';
import { validateK8sObject } from '../../constructs/k8s/objects.js';
import { assertCrlUrl, buildBrokerTls } from '../../constructs/tls/cert-manager.js';
import type { RevokedCertificate } from '../../constructs/tls/revocation.js';
import { EmqxKubernetesStack } from '../../stacks/emqx-k8s-stack.js';
import { ACCEPTABLE_ATOMS, hostileString, REFUSED_ATOMS } from '../helpers/hostile-strings.js';
import { rng } from '../helpers/random.js';
import { examplePolicy } from '../helpers/synth.js';

const FAKE_DIGEST = `sha256:${'ef'.repeat(32)}`; // test fixture only
const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const schema = (): EmqxSchema => JSON.parse(readFileSync(join(root, 'templates', 'emqx', 'emqx-5.8-config-schema.json'), 'utf8'));
const ok: RevokedCertificate = { serial: '4a:3f:00:01', identity: 'sensor-0001', reason: 'keyCompromise', revokedAt: '2026-12-02T10:00:00Z' };
const props = (tls: Partial<EmqxClusterOptions['tls']> = {}, o: Partial<EmqxClusterOptions> = {}): EmqxClusterOptions => ({
  policy: examplePolicy(),
  credentialsSecretName: 'emqx-credentials',
  adminSecretName: 'emqx-admin',
  tls: { secretName: 'emqx-tls', nodeSecretName: 'emqx-node-tls', clientAuth: 'certificate', revocation: { caSecretName: 'emqx-ca', revoked: [ok] }, ...tls },
  image: { digest: FAKE_DIGEST },
  allowFrom: [{ namespace: 'iot-backend' }],
  ...o,
});
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FortressError, String(e));
    return e.code;
  }
  return undefined;
};
const find = (b: ReturnType<typeof buildEmqx>, kind: string, name: string) => b.objects.find((x) => x.kind === kind && x.metadata.name === name) as any;

describe('EmqxCluster tls.revocation: emqx.conf', () => {
  for (const [label, tls, o] of [
    ['certificate', {}, {}],
    [
      'password-and-certificate, TLS 1.3 only, 5 minutes',
      { clientAuth: 'password-and-certificate', minVersion: '1.3', revocation: { caSecretName: 'emqx-ca', revoked: [], refreshIntervalMinutes: 5 } },
      {},
    ],
  ] as [string, Partial<EmqxClusterOptions['tls']>, Partial<EmqxClusterOptions>][]) {
    it(`${label}: CRL check on every client listener, crl_cache set, all of it in the EMQX 5.8 schema`, () => {
      const b = buildEmqx(props(tls, o));
      assert.deepEqual(validateEmqxConfig(schema(), b.config), []);
      const c = b.config as any;
      for (const l of [c.listeners.ssl.default]) {
        assert.equal(l.ssl_options.enable_crl_check, true);
        assert.equal(l.ssl_options.verify, 'verify_peer', 'emqx_schema.erl crl_outer_validator requires verify_peer');
        assert.equal(l.ssl_options.reuse_sessions, false, 'a resumed TLS 1.2 session skips the certificate check');
      }
      assert.deepEqual(c.crl_cache, { refresh_interval: `${tls.revocation?.refreshIntervalMinutes ?? 1}m`, http_timeout: '5s' });
    });
  }
  it('without revocation nothing changes: no crl_cache, no CRL server', () => {
    const b = buildEmqx(props({ revocation: undefined }));
    assert.equal((b.config as any).crl_cache, undefined);
    assert.equal((b.config as any).listeners.ssl.default.ssl_options.enable_crl_check, undefined);
    assert.equal(find(b, 'StatefulSet', 'emqx-crl'), undefined);
  });
  it('the schema check catches a misspelled crl_cache key and a bad duration', () => {
    const c = structuredClone(buildEmqx(props()).config) as any;
    c.crl_cache.refresh_intervall = '1m';
    c.crl_cache.http_timeout = 5;
    const problems = validateEmqxConfig(schema(), c);
    assert.ok(
      problems.some((p) => p.includes('crl_cache.refresh_intervall: unknown key')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.includes('crl_cache.http_timeout')),
      problems.join('\n'),
    );
  });
  it('refuses revocation with password clients, with a WSS listener (no CRL check in EMQX 5.8) and bad refresh intervals', () => {
    assert.equal(
      code(() => buildEmqx(props({ clientAuth: 'password' }))),
      'REVOCATION',
    );
    assert.equal(
      code(() => buildEmqx(props({}, { wssPort: 8084 }))),
      'REVOCATION',
    );
    // The schema agrees: the WSS listener's ssl_options have no enable_crl_check.
    const c = structuredClone(buildEmqx(props({ revocation: undefined }, { wssPort: 8084 })).config) as any;
    c.listeners.wss.default.ssl_options.enable_crl_check = true;
    assert.ok(validateEmqxConfig(schema(), c).some((p) => p.includes('listeners.wss.default.ssl_options.enable_crl_check: unknown key')));
    for (const m of [0, -1, 1.5, 1441, Number.NaN])
      assert.equal(
        code(() => buildEmqx(props({ revocation: { caSecretName: 'emqx-ca', revoked: [], refreshIntervalMinutes: m } }))),
        'INVALID_NUMBER',
        String(m),
      );
    assert.equal(
      code(() => buildEmqx(props({ revocation: { caSecretName: 'emqx-ca', revoked: [], crlValidityHours: 2, refreshHours: 1, refreshIntervalMinutes: 61 } }))),
      'REVOCATION',
    );
  });
});

describe('EmqxCluster tls.revocation: the CRL server', () => {
  const b = buildEmqx(props());
  const dep = find(b, 'StatefulSet', 'emqx-crl');
  const sts = find(b, 'StatefulSet', 'emqx');
  it('every object conforms to its Kubernetes schema', () => {
    for (const o of b.objects) validateK8sObject(o);
  });
  it('only the CRL server mounts the CA key, under a UID of its own; the EMQX pods do not', () => {
    const caVol = dep.spec.template.spec.volumes.find((v: any) => v.secret?.secretName === 'emqx-ca');
    assert.deepEqual(caVol.secret.items, [
      { key: 'tls.crt', path: 'tls.crt' },
      { key: 'tls.key', path: 'tls.key' },
    ]);
    assert.equal(JSON.stringify(sts).includes('"emqx-ca"'), false);
    assert.notEqual(dep.spec.template.spec.securityContext.runAsUser, sts.spec.template.spec.securityContext.runAsUser);
    const c = dep.spec.template.spec.containers[0];
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(dep.spec.template.spec.automountServiceAccountToken, false);
    assert.equal(c.image, sts.spec.template.spec.containers[0].image, 'the EMQX image, already pinned by digest');
    assert.ok(
      c.env.every((e: any) => !/key|secret|password/i.test(String(e.value))),
      'no secret in the environment',
    );
  });
  it('its NetworkPolicy admits only the EMQX pods on the CRL port and no egress; the EMQX pods may reach it', () => {
    const np = find(b, 'NetworkPolicy', 'emqx-crl');
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.equal(np.spec.egress, undefined);
    assert.deepEqual(np.spec.ingress, [{ from: [{ podSelector: { matchLabels: sts.spec.selector.matchLabels } }], ports: [{ protocol: 'TCP', port: EMQX_CRL_PORT }] }]);
    assert.deepEqual(np.spec.podSelector.matchLabels, dep.spec.selector.matchLabels);
    const cluster = find(b, 'NetworkPolicy', 'emqx-cluster');
    assert.ok(cluster.spec.egress.some((e: any) => e.to[0].podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'emqx-crl' && e.ports[0].port === EMQX_CRL_PORT));
    // The CRL server's labels must not match the EMQX selector (else it would get EMQX's policies).
    const emqxSel = sts.spec.selector.matchLabels;
    assert.ok(Object.entries(emqxSel).some(([k, v]) => dep.spec.template.metadata.labels[k] !== v));
  });
  it('ships the declared list, and a long one gzipped', () => {
    assert.match(find(b, 'ConfigMap', 'emqx-crl').data['revoked.index'], /^R\t261202100000Z\t261202100000Z,keyCompromise\t4A3F0001\tunknown\t\/CN=sensor-0001\n$/);
    const revoked = Array.from({ length: 5000 }, (_, i) => ({ ...ok, serial: (i + 1).toString(16), identity: `d-${i}` }));
    const big = buildEmqx(props({ revocation: { caSecretName: 'emqx-ca', revoked } }));
    const cm = find(big, 'ConfigMap', 'emqx-crl');
    assert.ok(cm.binaryData['revoked.index.gz'] && !cm.data['revoked.index']);
    assert.equal(find(big, 'StatefulSet', 'emqx-crl').spec.template.spec.containers[0].env.find((e: any) => e.name === 'FORTRESS_CRL_INDEX').value, '/opt/emqx/etc/fortress-crl/revoked.index.gz');
  });
});

describe('the EMQX stack with revocation, end to end at synth', () => {
  it('client certificates carry the CRL server URL, the report says how revocation works, the CRL server has an alert', () => {
    const app: App = Testing.app();
    const p = props();
    const stack = new EmqxKubernetesStack(app, 'emqx-k8s', { emqx: p, credentials: { region: 'eu-west-1', brokerName: 'emqx' }, issuer: { kind: 'bootstrap' } });
    const json = Testing.synth(stack) && stack.toTerraform();
    const issuers = Object.values<any>(json.resource.kubernetes_manifest).filter((m) => m.manifest.kind === 'Issuer' && m.manifest.spec.ca);
    assert.deepEqual(
      issuers.map((m) => m.manifest.spec.ca.crl_distribution_points ?? m.manifest.spec.ca.crlDistributionPoints),
      [['http://emqx-crl.mqtt.svc.cluster.local:8080/crl.pem']],
    );
    const e = exposureOf('emqx-k8s', json);
    const md = renderReport(e, evaluate(stack));
    assert.match(
      md,
      /\| mqtt\/emqx \(ssl\.default\) \| 8883 \| 0\.0\.0\.0 \| tlsv1\.2\+ \| required, CN is the username; revoked certificates refused at the next handshake \(CRL fetched over HTTP .* again every 1m; open sessions are not re-checked;/,
    );
    assert.match(md, /Prometheus alerts: .*EmqxCrlServerDown/);
  });
});

describe('the CRL distribution point in client certificates', () => {
  const url = 'http://emqx-crl.mqtt.svc.cluster.local:8080/crl.pem';
  const base = { name: 'emqx', namespace: 'mqtt', secretName: 'emqx-tls', serviceNames: ['emqx'] };
  it('the bootstrap and existing-ca client issuers stamp it (cert-manager CA issuer crlDistributionPoints)', () => {
    for (const [issuer, ca, issuerName] of [
      [{ kind: 'bootstrap' }, 'emqx-ca', 'emqx-ca'],
      [{ kind: 'existing-ca', secretName: 'my-ca' }, 'my-ca', 'emqx-ca'],
    ] as const) {
      const t = buildBrokerTls({ ...base, issuer, clients: { usernames: ['sensor-0001'], revocation: { crlDistributionPoint: url, caSecretName: ca } } });
      const iss = t.objects.find((o) => o.kind === 'Issuer' && o.metadata.name === issuerName) as any;
      assert.deepEqual(iss.spec.ca.crlDistributionPoints, [url]);
      validateK8sObject(iss);
    }
    const sep = buildBrokerTls({
      ...base,
      issuer: { kind: 'bootstrap' },
      clients: { usernames: ['a'], issuer: { kind: 'bootstrap' }, revocation: { crlDistributionPoint: url, caSecretName: 'emqx-clients-ca' } },
    });
    assert.deepEqual((sep.objects.find((o) => o.metadata.name === 'emqx-clients-ca' && o.kind === 'Issuer') as any).spec.ca.crlDistributionPoints, [url]);
    assert.equal((sep.objects.find((o) => o.metadata.name === 'emqx-ca' && o.kind === 'Issuer') as any).spec.ca.crlDistributionPoints, undefined, 'the server issuer is left alone');
  });
  it('refuses a client issuer that cannot stamp it, and a CRL signed by another CA', () => {
    assert.equal(
      code(() =>
        buildBrokerTls({
          ...base,
          issuer: { kind: 'bootstrap' },
          clients: { usernames: ['a'], issuer: { kind: 'cluster-issuer', name: 'corp' }, revocation: { crlDistributionPoint: url, caSecretName: 'x' } },
        }),
      ),
      'REVOCATION',
    );
    assert.equal(
      code(() => buildBrokerTls({ ...base, issuer: { kind: 'bootstrap' }, clients: { usernames: ['a'], revocation: { crlDistributionPoint: url, caSecretName: 'other-ca' } } })),
      'REVOCATION',
    );
  });
  it('accepts http URLs with a host, port and path, and refuses every hostile or malformed one', () => {
    for (const u of [url, 'http://crl.example.com/x.crl', 'http://a/']) assert.equal(assertCrlUrl('u', u), u);
    for (const u of [
      'https://crl.example.com/crl.pem',
      'ftp://x/y',
      'http://x',
      'http://X.example/crl',
      'http://x:0/c',
      'http://x:65536/c',
      'http://-x/c',
      'http://x/a b',
      'http://x/a\nb',
      `http://x/${'a'.repeat(600)}`,
      'http://user@x/c',
      'http://x/c?q=1',
      'http://x/c#f',
      42,
      undefined,
    ]) {
      assert.equal(
        code(() => assertCrlUrl('u', u)),
        'REVOCATION_URL',
        JSON.stringify(u),
      );
    }
    for (const atom of [...ACCEPTABLE_ATOMS, ...REFUSED_ATOMS].filter((a) => !/^[a-z0-9.~_/-]*$/i.test(a))) {
      assert.equal(
        code(() => assertCrlUrl('u', `http://crl.example/${atom}`)),
        'REVOCATION_URL',
        JSON.stringify(atom),
      );
    }
    const r = rng(15);
    for (let i = 0; i < 300; i++) {
      const s = hostileString(r);
      const u = `http://crl.example/${s}`;
      const c = code(() => assertCrlUrl('u', u));
      // Accepted only when every character is one a path may hold unescaped.
      assert.equal(c === undefined, /^[A-Za-z0-9._~/-]*$/.test(s) && u.length <= 512, JSON.stringify(u));
    }
  });
  it('hostile revocation entries are refused with the prop named, through the EMQX path too', () => {
    const r = rng(16);
    for (let i = 0; i < 300; i++) {
      const identity = hostileString(r);
      const c = code(() => resolveEmqxRevocation('tls.revocation', { caSecretName: 'emqx-ca', revoked: [{ ...ok, identity }] }, 'certificate', 'emqx', 'mqtt', undefined));
      assert.equal(c === undefined, /^[A-Za-z0-9._-]{1,128}$/.test(identity), JSON.stringify(identity));
      if (c) assert.equal(c, 'REVOCATION');
    }
    try {
      buildEmqx(props({ revocation: { caSecretName: 'emqx-ca', revoked: [{ ...ok, serial: '1F\n2E' }] } }));
      assert.fail('accepted');
    } catch (e) {
      assert.match(String((e as Error).message), /tls\.revocation\.revoked\[0\]\.serial/);
    }
  });
});
