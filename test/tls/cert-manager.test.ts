import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FortressError } from '../../constructs/core/errors.js';
import { validateK8sObject } from '../../constructs/k8s/objects.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { type BrokerTlsOptions, buildBrokerTls, type IssuerStrategy } from '../../constructs/tls/cert-manager.js';
import { BrokerCertificates } from '../../constructs/tls/certificates.js';
import { parseDuration } from '../../constructs/tls/duration.js';
import { minimalBrokerProps, resourcesOf, synth } from '../helpers/synth.js';

const base = (issuer: IssuerStrategy, over: Partial<BrokerTlsOptions> = {}): BrokerTlsOptions => ({
  issuer,
  name: 'mosquitto',
  namespace: 'mqtt',
  secretName: 'mosquitto-tls',
  serviceNames: ['mosquitto', 'mosquitto-headless'],
  ...over,
});
const find = (objs: any[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);

describe('cert-manager objects (TLS-3, TLS-5)', () => {
  const strategies: [string, IssuerStrategy, string[]][] = [
    ['bootstrap', { kind: 'bootstrap' }, ['Issuer/mosquitto-selfsigned', 'Certificate/mosquitto-ca', 'Issuer/mosquitto-ca', 'Certificate/mosquitto-server']],
    ['existing CA', { kind: 'existing-ca', secretName: 'corp-ca' }, ['Issuer/mosquitto-ca', 'Certificate/mosquitto-server']],
    [
      'ACME DNS-01',
      { kind: 'acme', email: 'pki@example.com', challenge: { dns01: { route53: { region: 'eu-west-1', hostedZoneId: 'Z0123456789ABC' } } } },
      ['Issuer/mosquitto-acme', 'Certificate/mosquitto-server'],
    ],
    [
      'AWS Private CA',
      { kind: 'aws-pca', arn: 'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0b1d6a4e-8f7c-4b9e-9d2a-1c3e5f7a9b0d', region: 'eu-west-1' },
      ['AWSPCAIssuer/mosquitto-pca', 'Certificate/mosquitto-server'],
    ],
    ['existing ClusterIssuer', { kind: 'cluster-issuer', name: 'corp-issuer' }, ['Certificate/mosquitto-server']],
  ];
  for (const [name, issuer, kinds] of strategies) {
    it(`${name}: objects validate against the cert-manager CRD schema`, () => {
      const b = buildBrokerTls(base(issuer));
      assert.deepEqual(
        b.objects.map((o) => `${o.kind}/${o.metadata.name}`),
        kinds,
      );
      for (const o of b.objects) validateK8sObject(o);
    });
  }
  it('server certificate defaults: 90 days, renewed 30 days early, ECDSA P-256, new key every renewal, in-cluster names', () => {
    const cert = find(buildBrokerTls(base({ kind: 'bootstrap' })).objects, 'Certificate', 'mosquitto-server').spec;
    assert.equal(cert.duration, '2160h');
    assert.equal(cert.renewBefore, '720h');
    assert.deepEqual(cert.privateKey, { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8', rotationPolicy: 'Always' });
    assert.ok(cert.dnsNames.includes('mosquitto.mqtt.svc.cluster.local'));
    assert.ok(cert.dnsNames.includes('mosquitto-headless.mqtt.svc'));
    assert.deepEqual(cert.usages, ['server auth', 'digital signature']);
    assert.equal(cert.secretName, 'mosquitto-tls');
  });
  it('the bootstrap CA keeps its key on renewal, so issued certificates keep verifying', () => {
    const ca = find(buildBrokerTls(base({ kind: 'bootstrap' })).objects, 'Certificate', 'mosquitto-ca').spec;
    assert.equal(ca.isCA, true);
    assert.equal(ca.privateKey.rotationPolicy, 'Never');
  });
  it('client certificates: CN = username, client auth, at most a year', () => {
    const b = buildBrokerTls(base({ kind: 'bootstrap' }, { clients: { usernames: ['sensor-0001', 'Backend.Svc'] } }));
    const c = find(b.objects, 'Certificate', 'mosquitto-client-sensor-0001').spec;
    assert.equal(c.commonName, 'sensor-0001');
    assert.deepEqual(c.usages, ['client auth', 'digital signature']);
    assert.equal(b.clientSecretNames['Backend.Svc'], 'mosquitto-client-backend-svc');
    for (const o of b.objects) validateK8sObject(o);
  });
  const bad: [string, Partial<BrokerTlsOptions>, string, RegExp][] = [
    ['HTTP-01 is refused with a reason', { issuer: { kind: 'acme', email: 'a@b.co', challenge: { http01: {} } } }, 'TLS_ACME_HTTP01', /MQTT-only broker serves no HTTP and must not open port 80/],
    ['server longer than a year', { server: { duration: '9000h' } }, 'TLS_DURATION', /server\.duration "9000h" exceeds 8760h \(365 days\)/],
    ['renewBefore not shorter than duration', { server: { duration: '720h', renewBefore: '720h' } }, 'TLS_DURATION', /renewBefore "720h" must be at least 1h and shorter than duration/],
    ['duration in days', { server: { duration: '90d' } }, 'INVALID_DURATION', /duration in hours, minutes and seconds such as "2160h"/],
    ['RSA 2048', { server: { keyAlgorithm: 'RSA-2048' as 'RSA-3072' } }, 'TLS_KEY', /RSA below 3072 bits is refused/],
    ['client certificate over a year', { clients: { usernames: ['a'], duration: '8761h' } }, 'TLS_DURATION', /clients\.duration/],
    [
      'ACME without a client issuer',
      { issuer: { kind: 'acme', email: 'a@b.co', challenge: { dns01: { route53: { region: 'eu-west-1', hostedZoneId: 'Z123' } } } }, clients: { usernames: ['a'] } },
      'TLS_CLIENT_ISSUER',
      /public ACME CAs do not issue client certificates/,
    ],
    ['malformed Private CA ARN', { issuer: { kind: 'aws-pca', arn: 'arn:aws:acm-pca:eu-west-1:1:ca/x', region: 'eu-west-1' } }, 'TLS_PCA', /must be an AWS Private CA ARN/],
    ['bad hosted zone', { issuer: { kind: 'acme', email: 'a@b.co', challenge: { dns01: { route53: { region: 'eu-west-1', hostedZoneId: 'zone' } } } } }, 'TLS_ACME', /hosted zone id/],
    ['unknown issuer kind', { issuer: { kind: 'vault' } as never }, 'TLS_ISSUER', /must be one of bootstrap, existing-ca, acme, aws-pca, cluster-issuer, got "vault"/],
    ['bad extra DNS name', { extraDnsNames: ['not a name'] }, 'TLS_DNS', /extraDnsNames\[0\]/],
  ];
  for (const [name, over, code, re] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => buildBrokerTls({ ...base({ kind: 'bootstrap' }), ...over }),
        (e: unknown) => e instanceof FortressError && e.code === code && re.test(e.message),
      );
    });
  }
  it('the CRD schema catches a mistake our builder could make', () => {
    const cert = structuredClone(find(buildBrokerTls(base({ kind: 'bootstrap' })).objects, 'Certificate', 'mosquitto-server'));
    cert.spec.privateKey.rotationPolicy = 'Sometimes';
    assert.throws(() => validateK8sObject(cert), /Certificate mqtt\/mosquitto-server does not match the Kubernetes schema: .*rotationPolicy/);
  });
  it('parses Go durations', () => {
    assert.equal(parseDuration('d', '1h30m'), 5400);
    assert.equal(parseDuration('d', '2160h'), 2160 * 3600);
  });
});

describe('BrokerCertificates construct', () => {
  const { tf } = synth((s) => {
    const broker = new MosquittoBroker(s, 'Broker', minimalBrokerProps({ tls: { secretName: 'mosquitto-tls', clientAuth: 'certificate' } }));
    new BrokerCertificates(s, 'Certificates', { broker, issuer: { kind: 'bootstrap' } });
  });
  const manifests = resourcesOf(tf, 'kubernetes_manifest');
  it('every cert-manager object waits for the cert-manager CRD check, which fails the plan with a clear message', () => {
    const [check] = Object.entries<any>(tf.data.kubernetes_resources);
    assert.equal(check![1].field_selector, 'metadata.name=certificates.cert-manager.io');
    assert.equal(check![1].lifecycle.postcondition[0].condition, '${length(self.objects) > 0}');
    assert.match(check![1].lifecycle.postcondition[0].error_message, /cert-manager is not installed/);
    for (const m of manifests.filter((x) => x.manifest.apiVersion.includes('cert-manager'))) assert.ok(m.depends_on.includes(`data.kubernetes_resources.${check![0]}`), m.manifest.metadata.name);
  });
  it('client certificates for every identity when clientAuth uses certificates; the broker waits for its server certificate', () => {
    const certs = manifests.filter((m) => m.manifest.kind === 'Certificate').map((m) => m.manifest.metadata.name);
    for (const u of ['sensor-0001', 'sensor-0002', 'backend', 'metrics']) assert.ok(certs.includes(`mosquitto-client-${u}`), u);
    const server = manifests.find((m) => m.manifest.metadata.name === 'mosquitto-server');
    assert.deepEqual(server.wait, { condition: [{ type: 'Ready', status: 'True' }] });
    const [ss] = resourcesOf(tf, 'kubernetes_stateful_set_v1');
    assert.ok(ss.depends_on.some((d: string) => d.startsWith('kubernetes_manifest.Certificates_Certificate-mosquitto-server')));
  });
});
