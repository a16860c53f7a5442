import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brokerContainer, emqxBase, evaluate, type K8sBase, k8sBase, openFindings, openRules, patch } from './kit.js';

/**
 * REV-2 for what the broker pod runs: each case had no finding before the rule read the pod's
 * command lines and the kit's scripts (the broker could run a file or a script nobody audited).
 */
const programAttacks: [string, (b: K8sBase) => void, string][] = [
  [
    'broker entrypoint pointed at another config added to the ConfigMap',
    (b) => {
      patch(b.stack, b.res('kubernetes_config_map_v1'), 'data', (d) => (d['m2.conf'] = 'listener 1883\nallow_anonymous true\n'));
      patch(b.stack, b.res('kubernetes_stateful_set_v1'), 'spec', (s) => (brokerContainer(s).command = brokerContainer(s).command.map((a: string) => a.replace(/mosquitto\.conf$/, 'm2.conf'))));
    },
    'REV-2[mosquitto:config:mosquitto]',
  ],
  [
    'broker container runs mosquitto -c on an unaudited file',
    (b) => patch(b.stack, b.res('kubernetes_stateful_set_v1'), 'spec', (s) => (brokerContainer(s).command = ['mosquitto', '-c', '/tmp/open.conf'])),
    'REV-2[mosquitto:config:mosquitto]',
  ],
  [
    'broker started from a shell command line',
    (b) => patch(b.stack, b.res('kubernetes_stateful_set_v1'), 'spec', (s) => (brokerContainer(s).command = ['/bin/sh', '-c', 'mosquitto -c /tmp/open.conf'])),
    'REV-2[mosquitto:config:mosquitto]',
  ],
  [
    "the kit's broker entrypoint script replaced in the ConfigMap",
    (b) => patch(b.stack, b.res('kubernetes_config_map_v1'), 'data', (d) => (d['fortress-broker.sh'] = '#!/bin/sh\nexec mosquitto -c /tmp/open.conf\n')),
    'REV-2[mosquitto:script:fortress-broker.sh]',
  ],
];

describe('REV-2: the broker runs the configuration and scripts the audit read', () => {
  for (const [name, attack, key] of programAttacks) {
    it(name, () => {
      const b = k8sBase();
      attack(b);
      const r = evaluate(b.stack);
      assert.deepEqual(openRules(r), ['REV-2']);
      assert.ok(
        r.rows.some((x) => x.finding === key && !x.suppressed),
        `expected ${key}`,
      );
    });
  }
});

describe('REV-2: the audit sees the final output', () => {
  it('compliant: the base stacks', () => {
    for (const stack of [k8sBase().stack, emqxBase().stack]) assert.deepEqual(openFindings(evaluate(stack), 'REV-2'), []);
  });
  it('a mosquitto.conf that includes a directory the audit does not read', () => {
    const b = k8sBase();
    patch(b.stack, b.res('kubernetes_config_map_v1'), 'data', (d) => (d['mosquitto.conf'] = `${d['mosquitto.conf']}\ninclude_dir /etc/extra\n`));
    const r = evaluate(b.stack);
    assert.deepEqual(openRules(r), ['REV-2']);
    assert.deepEqual(openFindings(r, 'REV-2'), ['REV-2[mosquitto:include_dir]']);
  });
  for (const [name, attack, key] of programAttacks) {
    it(`Mosquitto: ${name}`, () => {
      const b = k8sBase();
      attack(b);
      const r = evaluate(b.stack);
      assert.deepEqual(openRules(r), ['REV-2']);
      assert.ok(
        r.rows.some((x) => x.finding === key && !x.suppressed),
        `expected ${key}`,
      );
    });
  }
});
