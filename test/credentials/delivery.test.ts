import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SecretsManagerDelivery } from '../../constructs/credentials/delivery.js';
import { buildExternalSecrets } from '../../constructs/credentials/external-secrets.js';
import { credentialLayout } from '../../constructs/credentials/layout.js';
import { validateK8sObject } from '../../constructs/k8s/objects.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { examplePolicy, minimalBrokerProps, resourcesOf, synth } from '../helpers/synth.js';

describe('SecretsManagerDelivery (external-secrets.io/v1)', () => {
  const { tf } = synth((s) => {
    const broker = new MosquittoBroker(s, 'Broker', minimalBrokerProps());
    new SecretsManagerDelivery(s, 'Credentials', { broker, region: 'eu-west-1', targetSecretName: 'creds' });
  });
  const manifests = resourcesOf(tf, 'kubernetes_manifest');
  const es = manifests.find((m) => m.manifest.kind === 'ExternalSecret');
  const store = manifests.find((m) => m.manifest.kind === 'ClusterSecretStore');

  it('one entry per identity, from the secret names the AWS stack creates', () => {
    const names = credentialLayout(examplePolicy()).map((c) => [c.username, c.secretName]);
    assert.deepEqual(
      es.manifest.spec.data.map((d: any) => [d.secretKey, d.remoteRef.key]),
      names,
    );
    assert.equal(es.manifest.spec.target.name, 'creds');
    assert.equal(es.manifest.metadata.namespace, 'mqtt');
    assert.equal(es.manifest.spec.refreshInterval, '15m');
  });
  it('the store serves only the broker namespace, through Pod Identity by default', () => {
    assert.deepEqual(store.manifest.spec.conditions, [{ namespaces: ['mqtt'] }]);
    assert.equal(store.manifest.spec.provider.aws.service, 'SecretsManager');
    assert.equal(store.manifest.spec.provider.aws.auth, undefined);
  });
  it('the broker waits for the ExternalSecret to be Ready', () => {
    assert.deepEqual(es.wait, { condition: [{ type: 'Ready', status: 'True' }] });
    const [ss] = resourcesOf(tf, 'kubernetes_stateful_set_v1');
    assert.ok(ss.depends_on.some((d: string) => d.startsWith('kubernetes_manifest.Credentials_ExternalSecret')));
  });
  it('objects validate against the external-secrets CRD schema, and the schema catches mistakes', () => {
    const objs = buildExternalSecrets({
      secrets: credentialLayout(examplePolicy()),
      prefix: 'mqtt-fortress/mosquitto',
      brokerName: 'mosquitto',
      region: 'eu-west-1',
      namespace: 'mqtt',
      targetSecretName: 'creds',
      auth: { kind: 'irsa', serviceAccountName: 'external-secrets', serviceAccountNamespace: 'external-secrets' },
    });
    for (const o of objs) validateK8sObject(o);
    const broken = structuredClone(objs[1]!) as any;
    broken.spec.target.creationPolicy = 'Sometimes';
    assert.throws(() => validateK8sObject(broken), /ExternalSecret mqtt\/creds does not match the Kubernetes schema: .*creationPolicy/);
  });
  it('rejects a bad refresh interval', () => {
    assert.throws(
      () =>
        buildExternalSecrets({
          secrets: credentialLayout(examplePolicy()),
          prefix: 'p',
          brokerName: 'b',
          region: 'eu-west-1',
          namespace: 'mqtt',
          targetSecretName: 'creds',
          refreshInterval: '15 minutes',
        }),
      /refreshInterval must be a Go duration/,
    );
  });
});
