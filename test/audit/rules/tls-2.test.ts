import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compliantRows, conf, emqxBase, evaluate, k8sBase, openFindings, openRules } from './kit.js';

describe('TLS-2: TLS 1.2+ with AEAD suites', () => {
  it('compliant: the Mosquitto and the EMQX base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) {
      const r = evaluate(stack);
      assert.deepEqual(openFindings(r, 'TLS-2'), []);
      assert.ok(compliantRows(r, 'TLS-2').length > 0, stack.node.id);
    }
  });
  it('Mosquitto: tls_version tlsv1.1', () => {
    const b = k8sBase();
    conf(b, (c) => c.replace('tls_version tlsv1.2', 'tls_version tlsv1.1'));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['TLS-2']);
    assert.deepEqual(openFindings(r, 'TLS-2'), ['TLS-2[listener:8883:version]']);
  });
  it('Mosquitto: a CBC suite in the cipher list', () => {
    const b = k8sBase();
    conf(b, (c) => c.replace(/^ciphers (.*)$/m, 'ciphers $1:ECDHE-RSA-AES128-SHA'));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['TLS-2']);
    assert.deepEqual(openFindings(r, 'TLS-2'), ['TLS-2[listener:8883:ciphers]']);
  });
  it('EMQX: TLS 1.1 among the versions', () => {
    const e = emqxBase();
    e.edit((f) => {
      f.conf.listeners.ssl.default.ssl_options.versions = ['tlsv1.2', 'tlsv1.1'];
    });
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['TLS-2']);
    assert.deepEqual(openFindings(r, 'TLS-2'), ['TLS-2[emqx:default:versions]']);
  });
  it('EMQX: a CBC suite among the ciphers', () => {
    const e = emqxBase();
    e.edit((f) => {
      f.conf.listeners.ssl.default.ssl_options.ciphers.push('ECDHE-RSA-AES128-SHA');
    });
    const r = evaluate(e.stack);
    assert.deepEqual(openRules(r), ['TLS-2']);
    assert.deepEqual(openFindings(r, 'TLS-2'), ['TLS-2[emqx:default:ciphers]']);
  });
});
