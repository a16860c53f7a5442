/**
 * The rendered mosquitto.conf, for every clientAuth mode x aclMode x with/without the metrics
 * listener (enumerated from the exported lists, so a new mode or listener is covered by
 * construction): every listener binds the client id to the authenticated identity, security
 * options are global (queued messages survive, Mosquitto issue 2618), and a mode Mosquitto
 * cannot enforce is refused at synth with the reason.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMosquittoConf, SECURITY_OPTIONS } from '../../constructs/audit/view.js';
import { CLIENT_AUTH_MODES } from '../../constructs/broker/client-auth.js';
import { FortressError, ValidationError } from '../../constructs/core/errors.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { renderMosquittoConf } from '../../constructs/mosquitto/config.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import { ACL_MODES, type MosquittoBrokerOptions, REFUSED_CLIENT_AUTH, SUPPORTED_CLIENT_AUTH_MODES } from '../../constructs/mosquitto/props.js';
import { Policy } from '../../constructs/policy/model.js';
import { examplePolicy, minimalBrokerProps, synth } from '../helpers/synth.js';

const withoutMonitoring = () =>
  examplePolicy().restrictTo(
    examplePolicy()
      .principals.filter((p) => p.kind !== 'monitoring')
      .map((p) => p.username),
  );

/** Every supported combination the construct can render. */
const variants = SUPPORTED_CLIENT_AUTH_MODES.flatMap((clientAuth) =>
  ACL_MODES.flatMap((aclMode) =>
    [true, false].map((monitoring) => ({
      name: `${clientAuth} / ${aclMode} / ${monitoring ? 'with' : 'without'} monitoring`,
      props: minimalBrokerProps({ tls: { secretName: 'tls', clientAuth }, aclMode, ...(monitoring ? {} : { policy: withoutMonitoring() }) }),
      clientAuth,
      monitoring,
    })),
  ),
);

describe('mosquitto.conf for every clientAuth mode, aclMode and listener', () => {
  it('the lists cover every mode: each is either rendered or refused with a reason', () => {
    assert.deepEqual([...CLIENT_AUTH_MODES].sort(), [...SUPPORTED_CLIENT_AUTH_MODES, ...Object.keys(REFUSED_CLIENT_AUTH)].sort());
    assert.ok(variants.length >= 12, `${variants.length} variants`);
  });
  for (const v of variants) {
    it(`${v.name}: every listener binds the client id; security options are global only`, () => {
      const conf = parseMosquittoConf(buildMosquitto(v.props).files['mosquitto.conf']);
      const expected = 1 + (v.clientAuth === 'password-or-certificate' ? 1 : 0) + (v.monitoring ? 1 : 0);
      assert.equal(conf.listeners.length, expected, 'listeners');
      for (const l of conf.listeners) {
        assert.deepEqual(l.settings.get('use_username_as_clientid'), ['true'], `listener ${l.port} binds the client id to the identity (finding 2)`);
        for (const k of SECURITY_OPTIONS) assert.equal(l.settings.get(k), undefined, `listener ${l.port} sets ${k}, which Mosquitto applies to every listener`);
        // A required certificate is always the identity: Mosquitto cannot bind it to a password.
        assert.equal(l.settings.get('require_certificate')?.at(-1) === 'true', l.settings.get('use_identity_as_username')?.at(-1) === 'true', `listener ${l.port}`);
      }
      assert.deepEqual(conf.order.slice(0, 2), ['per_listener_settings', 'allow_anonymous']);
      assert.deepEqual(conf.global.get('per_listener_settings'), ['false'], 'per_listener_settings true loses queued messages (Mosquitto issue 2618)');
      assert.deepEqual(conf.global.get('allow_anonymous'), ['false']);
      assert.ok(conf.global.has(v.props.aclMode === 'dynamic-security' ? 'plugin' : 'acl_file'));
    });
  }
  it('clientIdIsUsername false (a recorded relaxation) leaves every listener without the binding', () => {
    const conf = parseMosquittoConf(
      buildMosquitto(minimalBrokerProps({ tls: { secretName: 'tls', clientAuth: 'password-or-certificate' }, clientIdIsUsername: false, clientIdChoiceReason: 'legacy gateways pick their own ids' }))
        .files['mosquitto.conf'],
    );
    assert.equal(conf.listeners.length, 3);
    for (const l of conf.listeners) assert.equal(l.settings.get('use_username_as_clientid'), undefined);
  });
});

describe('clientAuth modes Mosquitto cannot enforce are refused at synth (finding 3)', () => {
  for (const [mode, reason] of Object.entries(REFUSED_CLIENT_AUTH)) {
    it(`${mode}: ValidationError with code, construct path, value, reason and the modes to use instead`, () => {
      assert.throws(
        () => synth((s) => new MosquittoBroker(s, 'Broker', minimalBrokerProps({ tls: { secretName: 'tls', clientAuth: mode as MosquittoBrokerOptions['tls']['clientAuth'] } }))),
        (e: unknown) => {
          assert.ok(e instanceof ValidationError, String(e));
          assert.equal(e.code, 'TLS_CLIENT_AUTH_UNENFORCEABLE');
          assert.equal(e.constructPath, 'test/Broker');
          assert.ok(e.message.startsWith(`[test/Broker] tls.clientAuth is "${mode}": `), e.message);
          assert.ok(e.message.includes(reason!));
          assert.match(e.message, /Use clientAuth "certificate"/);
          return true;
        },
      );
    });
  }
  it('the pure renderer refuses a required certificate that is not the identity', () => {
    const base = { passwordFile: '/p', aclFile: '/a', tls: { certFile: '/c', keyFile: '/k', caFile: '/ca', requireClientCertificate: true } };
    assert.throws(
      () => renderMosquittoConf(base),
      (e: unknown) => e instanceof FortressError && e.code === 'TLS_CERTIFICATE_NOT_BOUND' && /useIdentityAsUsername: true/.test(e.message),
    );
    assert.doesNotThrow(() => renderMosquittoConf({ ...base, tls: { ...base.tls, useIdentityAsUsername: true } }));
  });
  it('Policy without monitoring identities renders no metrics listener', () => {
    assert.ok(withoutMonitoring() instanceof Policy);
    assert.equal(buildMosquitto(minimalBrokerProps({ policy: withoutMonitoring() })).resolved.metricsListenerPort, undefined);
  });
});
