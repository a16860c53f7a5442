/**
 * A certificate revocation removed between BEFORE and AFTER is a widening: the certificate is
 * accepted again, and a one-line removal from the declared list (tls.revocation.revoked) must not
 * pass review silently. Two synthesized Mosquitto stacks, compared as `report --diff` does.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Testing } from 'cdktf';
import { exposureOf, revokedEntries } from '../../constructs/audit/exposure.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import type { RevokedCertificate } from '../../constructs/tls/revocation.js';
import { diffOutputs } from '../../scripts/report.js';
import { EmqxKubernetesStack } from '../../stacks/emqx-k8s-stack.js';
import { examplePolicy, minimalBrokerProps, synth } from '../helpers/synth.js';

const leaked: RevokedCertificate = { serial: '4a:3f:9c:01', identity: 'sensor-0001', reason: 'keyCompromise', revokedAt: '2026-12-02T10:00:00Z' };
const old: RevokedCertificate = { serial: '7F', identity: 'sensor-0002', reason: 'superseded', revokedAt: '2026-11-01T00:00:00Z' };

const stackWith = (revoked: readonly RevokedCertificate[] | undefined) =>
  synth((s) => {
    new MosquittoBroker(s, 'Broker', minimalBrokerProps({ tls: { secretName: 'tls', clientAuth: 'certificate', ...(revoked ? { revocation: { caSecretName: 'mosquitto-ca', revoked } } : {}) } }));
  }, 'mosquitto-k8s').tf;

const root = mkdtempSync(join(tmpdir(), 'fortress-revdiff-'));
after(() => rmSync(root, { recursive: true, force: true }));
function output(name: string, tf: unknown): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'stacks', 'mosquitto-k8s'), { recursive: true });
  writeFileSync(join(dir, 'stacks', 'mosquitto-k8s', 'cdk.tf.json'), JSON.stringify(tf));
  return dir;
}

describe('report --diff: certificate revocations', () => {
  const both = output('both', stackWith([leaked, old]));
  const one = output('one', stackWith([old]));
  const none = output('none', stackWith(undefined));

  it('the exposure reads the revoked index of the ConfigMap, and which listener checks the CRL', () => {
    const e = exposureOf('mosquitto-k8s', stackWith([leaked, old]));
    assert.deepEqual(
      e.revocations?.map((r) => [r.serial, r.identity, r.reason, r.revokedAt]),
      [
        ['7F', 'sensor-0002', 'superseded', '261101000000Z'],
        ['4A3F9C01', 'sensor-0001', 'keyCompromise', '261202100000Z'],
      ],
    );
    assert.ok(e.revocations!.every((r) => e.listeners.some((l) => l.broker === r.broker)));
    assert.ok(e.listeners.some((l) => l.clientCertificate && l.crlFile === '/run/fortress/tls/crl.pem'));
    // A line not in the kit's form is kept whole (never dropped: its removal is a change too).
    assert.deepEqual(
      revokedEntries('b', 'V\tjunk\n').map((r) => r.serial),
      ['V\tjunk'],
    );
  });

  it('removing one well-formed line un-revokes that certificate: a widening, named in Markdown and JSON', () => {
    const { markdown, widening, result } = diffOutputs(both, one);
    const changes = result.stacks.find((s) => s.stack === 'mosquitto-k8s')!.changes.filter((c) => c.area === 'revocation');
    assert.equal(changes.length, 1, JSON.stringify(changes));
    assert.equal(changes[0]!.widens, true);
    assert.match(changes[0]!.text, /revocation of certificate serial 4A3F9C01 \(CN sensor-0001, keyCompromise, revoked 2026-12-02T10:00:00Z\) removed: that certificate is accepted again/);
    assert.ok(widening >= 1);
    assert.equal(result.stacks[0]!.widening, result.stacks[0]!.changes.filter((c) => c.widens).length);
    assert.match(markdown, /### Widens exposure \(\d+\)[\s\S]*- \*\*revocation\*\*: .*serial 4A3F9C01 \(CN sensor-0001/);
  });

  it('adding a revocation narrows (not counted); the same list on both sides reports nothing', () => {
    const { result } = diffOutputs(one, both);
    const changes = result.stacks[0]!.changes.filter((c) => c.area === 'revocation');
    assert.deepEqual(
      changes.map((c) => [c.widens, /serial 4A3F9C01 \(CN sensor-0001, keyCompromise\) revoked/.test(c.text)]),
      [[false, true]],
    );
    assert.equal(result.widening, 0);
    assert.deepEqual(
      diffOutputs(both, both).result.stacks[0]!.changes.filter((c) => c.area === 'revocation'),
      [],
    );
  });

  it('dropping the revocation prop un-revokes every certificate and stops the CRL check: each named', () => {
    const { result } = diffOutputs(both, none);
    const texts = result.stacks[0]!.changes.filter((c) => c.area === 'revocation' && c.widens).map((c) => c.text);
    assert.equal(texts.length, 3, texts.join('\n'));
    assert.ok(texts.some((t) => /serial 7F \(CN sensor-0002/.test(t)));
    assert.ok(texts.some((t) => /serial 4A3F9C01 \(CN sensor-0001/.test(t)));
    assert.ok(texts.some((t) => /no longer checked against the revocation list \(crlfile removed\)/.test(t)));
  });
});

describe('report --diff: EMQX certificate revocations (the list of its CRL server)', () => {
  const FAKE_DIGEST = `sha256:${'ef'.repeat(32)}`; // test fixture only
  const emqx = (revoked: readonly RevokedCertificate[] | undefined) => {
    const app = Testing.app();
    const stack = new EmqxKubernetesStack(app, 'emqx-k8s', {
      emqx: {
        policy: examplePolicy(),
        credentialsSecretName: 'emqx-credentials',
        adminSecretName: 'emqx-admin',
        tls: { secretName: 'emqx-tls', nodeSecretName: 'emqx-node-tls', clientAuth: 'certificate', ...(revoked ? { revocation: { caSecretName: 'emqx-ca', revoked } } : {}) },
        image: { digest: FAKE_DIGEST },
        allowFrom: [{ namespace: 'iot-backend' }],
      },
      credentials: { region: 'eu-west-1', brokerName: 'emqx' },
      issuer: { kind: 'bootstrap' },
    });
    Testing.synth(stack);
    return stack.toTerraform();
  };
  const put = (name: string, tf: unknown) => {
    const dir = join(root, name);
    mkdirSync(join(dir, 'stacks', 'emqx-k8s'), { recursive: true });
    writeFileSync(join(dir, 'stacks', 'emqx-k8s', 'cdk.tf.json'), JSON.stringify(tf));
    return dir;
  };
  it('a revocation removed, and the CRL check dropped, are widenings named with the serial', () => {
    const both = put('emqx-both', emqx([leaked, old]));
    const one = put('emqx-one', emqx([old]));
    const none = put('emqx-none', emqx(undefined));
    const removed = diffOutputs(both, one).result.stacks[0]!.changes.filter((c) => c.area === 'revocation');
    assert.deepEqual(
      removed.map((c) => [c.widens, /^mqtt\/emqx: revocation of certificate serial 4A3F9C01 \(CN sensor-0001, keyCompromise/.test(c.text)]),
      [[true, true]],
    );
    const dropped = diffOutputs(both, none)
      .result.stacks[0]!.changes.filter((c) => c.area === 'revocation' && c.widens)
      .map((c) => c.text);
    assert.equal(dropped.filter((t) => /revocation of certificate serial/.test(t)).length, 2, dropped.join('\n'));
    assert.ok(
      dropped.some((t) => /no longer checked against the revocation list \(CRL check removed\)/.test(t)),
      dropped.join('\n'),
    );
  });
});
