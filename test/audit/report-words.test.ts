/**
 * A publish-only deny of the policy is rendered on Mosquitto's acl_file as `topic deny`, which
 * refuses every access (no write-only deny in Mosquitto 2.0; measured with the real broker in
 * test/review/acl-reading.int.test.ts). The security report says the effective, broader denial,
 * and names the unknown-CN limitation of listeners that take the certificate's CN as username.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exposureOf } from '../../constructs/audit/exposure.js';
import { renderReport } from '../../constructs/audit/report.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { Policy } from '../../constructs/policy/model.js';
import { minimalBrokerProps, synth } from '../helpers/synth.js';

const policy = (denyAction: 'publish' | 'all') =>
  Policy.from({
    roles: [
      {
        name: 'r',
        rules: [
          { action: 'subscribe', topics: ['a/#'] },
          { effect: 'deny', action: denyAction, topics: ['a/x'] },
        ],
      },
    ],
    identities: [{ name: 'u', kind: 'service', roles: ['r'] }],
  });

const report = (denyAction: 'publish' | 'all') =>
  renderReport(
    exposureOf(
      's',
      synth((s) => {
        new MosquittoBroker(s, 'Broker', minimalBrokerProps({ policy: policy(denyAction) }));
      }, 's').tf,
    ),
    undefined,
  );

describe('security report: a deny on Mosquitto’s ACL file is worded as the broker enforces it', () => {
  it('a publish-only deny shows as refusing publish, subscribe and receive, with the reason', () => {
    const md = report('publish');
    assert.match(md, /- \*\*u\*\* \([^)]*\): is refused publishing to, subscribing to and receiving `a\/x`; may subscribe to and receive `a\/#`/);
    assert.match(md, /a policy rule that denies only publishing \(or only subscribing\) also stops subscribing to and receiving that topic/);
    assert.doesNotMatch(md, /is refused everything on/);
  });
});

describe('security report: the unknown-CN limitation is named where a listener takes the CN as username', () => {
  const words = (clientAuth: 'certificate' | 'password') =>
    renderReport(
      exposureOf(
        's',
        synth((s) => {
          new MosquittoBroker(s, 'Broker', minimalBrokerProps({ tls: { secretName: 'tls', clientAuth } }));
        }, 's').tf,
      ),
      undefined,
    );
  it('certificate mode: named with the listener and the source reference; password mode: absent', () => {
    const md = words('certificate');
    assert.match(md, /\*\*Known limitation: any certificate of the client CA connects\*\* \([^)]*:8883\)/);
    assert.match(md, /src\/handle_connect\.c, "Authentication assumed to be cleared"/);
    assert.doesNotMatch(words('password'), /Known limitation: any certificate/);
  });
});
