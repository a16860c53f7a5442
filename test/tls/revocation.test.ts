/**
 * The declared revocation list (tls.revocation): validation of every field with hostile values,
 * the rendered openssl database, and where the client CA's key goes in the pod (credentials
 * containers only, never the broker container). The CRL itself is signed and enforced against a
 * real Mosquitto in test/integration/certificate-revocation.int.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FortressError } from '../../constructs/core/errors.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import { normalizeSerial, type RevokedCertificate, renderRevocationIndex, resolveRevocation } from '../../constructs/tls/revocation.js';
import { ACCEPTABLE_ATOMS, REFUSED_ATOMS } from '../helpers/hostile-strings.js';
import { minimalBrokerProps } from '../helpers/synth.js';

const ok: RevokedCertificate = { serial: '4a:3f:00:01', identity: 'sensor-0001', reason: 'keyCompromise', revokedAt: '2026-12-02T10:00:00Z' };
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FortressError, String(e));
    return e.code;
  }
  return undefined;
};

describe('tls.revocation: the declared list', () => {
  it('renders an openssl ca database, sorted, one revoked entry per certificate', () => {
    const r = resolveRevocation('tls.revocation', {
      caSecretName: 'mosquitto-ca',
      revoked: [ok, { serial: 'ff', identity: 'sensor-0002', reason: 'superseded', revokedAt: '2027-01-31T23:59:59Z' }],
    });
    assert.equal(
      renderRevocationIndex(r),
      'R\t270131235959Z\t270131235959Z,superseded\tFF\tunknown\t/CN=sensor-0002\nR\t261202100000Z\t261202100000Z,keyCompromise\t4A3F0001\tunknown\t/CN=sensor-0001\n',
    );
    assert.equal(r.crlValidityHours, 168);
    assert.equal(r.refreshHours, 24);
  });
  it('normalizes serials as openssl prints them (colons, case, leading zeros)', () => {
    assert.equal(normalizeSerial('s', '00:0a:BC'), '0ABC');
    assert.equal(normalizeSerial('s', 'abc'), '0ABC');
    assert.equal(normalizeSerial('s', '7F'), '7F');
  });
  for (const serial of ['', '0', '00:00', 'xyz', '0x1F', '1F:', ':1F', '1 F', '1F\n2E', 'A'.repeat(41), '1'.repeat(42), 12 as unknown as string, '${TfToken[TOKEN.1]}']) {
    it(`refuses the serial ${JSON.stringify(serial)}`, () =>
      assert.match(String(code(() => resolveRevocation('p', { caSecretName: 'ca', revoked: [{ ...ok, serial }] }))), /REVOCATION_SERIAL|UNRESOLVED_TOKEN/));
  }
  it('refuses a certificate listed twice (same serial written differently)', () => {
    assert.equal(
      code(() => resolveRevocation('p', { caSecretName: 'ca', revoked: [ok, { ...ok, serial: '4A3F0001' }] })),
      'REVOCATION_SERIAL',
    );
  });
  it('refuses every hostile identity (it is written into the database line) and accepts usernames', () => {
    for (const identity of [...REFUSED_ATOMS, ...ACCEPTABLE_ATOMS.filter((a) => !/^[A-Za-z0-9._-]+$/.test(a)), '', 'a\tb', 'a/CN=b', 'x'.repeat(129), 'a\nR\t', 'unknown\t/CN=x']) {
      assert.equal(
        code(() => resolveRevocation('p', { caSecretName: 'ca', revoked: [{ ...ok, identity }] })),
        'REVOCATION',
        JSON.stringify(identity),
      );
    }
    assert.doesNotThrow(() => resolveRevocation('p', { caSecretName: 'ca', revoked: [{ ...ok, identity: 'removed.device_01-x' }] }));
  });
  for (const revokedAt of [
    '2026-12-02',
    '2026-12-02T10:00:00',
    '2026-12-02T10:00:00.000Z',
    '2026-02-30T10:00:00Z',
    '2026-12-02T24:00:00Z',
    '1999-12-31T23:59:59Z',
    '2050-01-01T00:00:00Z',
    'now',
    '',
  ]) {
    it(`refuses the revocation time ${JSON.stringify(revokedAt)}`, () =>
      assert.equal(
        code(() => resolveRevocation('p', { caSecretName: 'ca', revoked: [{ ...ok, revokedAt }] })),
        'REVOCATION',
      ));
  }
  for (const reason of ['removeFromCRL', 'certificateHold', 'keycompromise', '', 'keyCompromise\n']) {
    it(`refuses the reason ${JSON.stringify(reason)}`, () =>
      assert.equal(
        code(() => resolveRevocation('p', { caSecretName: 'ca', revoked: [{ ...ok, reason: reason as RevokedCertificate['reason'] }] })),
        'REVOCATION',
      ));
  }
  it('refuses a refresh that leaves no margin before the CRL expires, and bad Secret names', () => {
    assert.equal(
      code(() => resolveRevocation('p', { caSecretName: 'ca', revoked: [], crlValidityHours: 24, refreshHours: 13 })),
      'REVOCATION',
    );
    assert.equal(
      code(() => resolveRevocation('p', { caSecretName: 'ca', revoked: [], crlValidityHours: 1 })),
      'INVALID_NUMBER',
    );
    for (const caSecretName of ['', 'CA', 'ca/key', 'a'.repeat(254), '-ca'])
      assert.equal(
        code(() => resolveRevocation('p', { caSecretName, revoked: [] })),
        'REVOCATION',
        caSecretName,
      );
    assert.equal(
      code(() => resolveRevocation('p', { caSecretName: 'ca', revoked: 'x' as unknown as [] })),
      'REVOCATION',
    );
  });
});

describe('tls.revocation in the Mosquitto pod', () => {
  const props = minimalBrokerProps({ tls: { secretName: 'tls', clientAuth: 'certificate', revocation: { caSecretName: 'mosquitto-ca', revoked: [ok] } } });
  it('the CRL is checked on the certificate listener; the declared list and the signing script ship in the ConfigMap', () => {
    const b = buildMosquitto(props);
    assert.match(b.files['mosquitto.conf'], /require_certificate true\nuse_identity_as_username true\ncrlfile \/run\/fortress\/tls\/crl\.pem\n/);
    const cm = b.objects.find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    assert.equal(cm.data['revoked.index'], renderRevocationIndex(resolveRevocation('x', { caSecretName: 'mosquitto-ca', revoked: [ok] })));
    assert.ok(cm.data['fortress-crl.sh']?.includes('openssl ca -gencrl'));
  });
  it("the client CA's key is mounted only in the credentials containers, never in the broker container", () => {
    const sts = buildMosquitto(props).objects.find((o) => o.kind === 'StatefulSet') as unknown as {
      spec: {
        template: {
          spec: {
            initContainers: { name: string; volumeMounts: { name: string }[]; env: { name: string }[] }[];
            containers: typeof Array.prototype;
            volumes: { name: string; secret?: { secretName: string; items: { key: string }[] } }[];
          };
        };
      };
    };
    const pod = sts.spec.template.spec;
    const vol = pod.volumes.find((v) => v.secret?.secretName === 'mosquitto-ca')!;
    assert.deepEqual(
      vol.secret!.items.map((i) => i.key),
      ['tls.crt', 'tls.key'],
    );
    const all = [...pod.initContainers, ...(pod.containers as { name: string; volumeMounts?: { name: string }[]; env?: { name: string }[] }[])];
    const mounting = all.filter((c) => (c.volumeMounts ?? []).some((m) => m.name === vol.name)).map((c) => c.name);
    assert.deepEqual(mounting.sort(), ['credentials-reloader', 'hash-credentials']);
    for (const c of all.filter((x) => mounting.includes(x.name))) assert.ok((c.env ?? []).some((e) => e.name === 'FORTRESS_CRL_INDEX'));
  });
  it('is refused with clientAuth "password" (no listener takes certificates) and carries the prop name in errors', () => {
    assert.equal(
      code(() => buildMosquitto(minimalBrokerProps({ tls: { secretName: 'tls', revocation: { caSecretName: 'ca', revoked: [] } } }))),
      'REVOCATION',
    );
    assert.throws(
      () => buildMosquitto(minimalBrokerProps({ tls: { secretName: 'tls', clientAuth: 'certificate', revocation: { caSecretName: 'ca', revoked: [{ ...ok, serial: 'zz' }] } } })),
      /tls\.revocation\.revoked\[0\]\.serial/,
    );
  });
  it('without tls.revocation nothing changes (no crlfile, no CA key mount)', () => {
    const b = buildMosquitto(minimalBrokerProps({ tls: { secretName: 'tls', clientAuth: 'certificate' } }));
    assert.doesNotMatch(b.files['mosquitto.conf'], /crlfile/);
    const sts = b.objects.find((o) => o.kind === 'StatefulSet')!;
    assert.doesNotMatch(JSON.stringify(sts), /crl-ca|FORTRESS_CRL/);
    assert.ok(!JSON.stringify(b.objects).includes('fortress-crl.sh"'), 'the signing script is not shipped');
  });
});
