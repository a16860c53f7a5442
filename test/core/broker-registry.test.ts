/** Issue 12 finding 8 (names): two brokers of one app with the same name or namespace fail at synth. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TerraformStack, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { ValidationError } from '../../constructs/core/errors.js';
import { EmqxCluster } from '../../constructs/emqx/cluster.js';
import { kubernetesProvider } from '../../constructs/k8s/provider.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { examplePolicy, minimalBrokerProps } from '../helpers/synth.js';

const FAKE_DIGEST = `sha256:${'34'.repeat(32)}`; // test fixture only: not a real image
const mosq = (s: Construct, id: string, name: string, namespace: string) => new MosquittoBroker(s, id, minimalBrokerProps({ name, namespace }));
const emqx = (s: Construct, id: string, name: string, namespace: string) =>
  new EmqxCluster(s, id, {
    policy: examplePolicy(),
    name,
    namespace,
    credentialsSecretName: 'c',
    adminSecretName: 'a',
    tls: { secretName: 't', nodeSecretName: 'n' },
    image: { digest: FAKE_DIGEST },
    allowFrom: [{ namespace: 'iot-backend' }],
  });

function stacks(n: number): TerraformStack[] {
  const app = Testing.app();
  return Array.from({ length: n }, (_, i) => {
    const s = new TerraformStack(app, `s${i}`);
    kubernetesProvider(s);
    return s;
  });
}

const collision = (path: RegExp, other: RegExp) => (e: Error) => e instanceof ValidationError && e.code === 'BROKER_COLLISION' && path.test(e.message) && other.test(e.message);

describe('broker names and namespaces are unique in an app (BROKER_COLLISION)', () => {
  const cases: [string, (a: TerraformStack, b: TerraformStack) => unknown, RegExp, RegExp][] = [
    [
      'two Mosquitto brokers, same name, other namespaces',
      (a, b) => {
        mosq(a, 'A', 'mqtt-x', 'ns1');
        mosq(b, 'B', 'mqtt-x', 'ns2');
      },
      /^\[s1\/B\] this MosquittoBroker has the same name "mqtt-x"/,
      /MosquittoBroker at s0\/A/,
    ],
    [
      'two Mosquitto brokers, same namespace, other names',
      (a, b) => {
        mosq(a, 'A', 'one', 'mqtt');
        mosq(b, 'B', 'two', 'mqtt');
      },
      /same namespace "mqtt"/,
      /at s0\/A/,
    ],
    [
      'Mosquitto and EMQX in one namespace',
      (a, b) => {
        mosq(a, 'A', 'mosquitto', 'mqtt');
        emqx(b, 'B', 'emqx', 'mqtt');
      },
      /^\[s1\/B\] this EmqxCluster has the same namespace "mqtt"/,
      /MosquittoBroker at s0\/A/,
    ],
    [
      'EMQX and Mosquitto with one name',
      (a, b) => {
        emqx(a, 'A', 'broker', 'e');
        mosq(b, 'B', 'broker', 'm');
      },
      /this MosquittoBroker has the same name "broker"/,
      /EmqxCluster at s0\/A/,
    ],
    [
      'two EMQX clusters in one stack, default names',
      (a) => {
        emqx(a, 'A', 'emqx', 'mqtt');
        emqx(a, 'B', 'emqx', 'mqtt');
      },
      /same name "emqx"/,
      /at s0\/A/,
    ],
  ];
  for (const [name, fill, path, other] of cases) {
    it(`refuses: ${name}`, () => {
      const [a, b] = stacks(2);
      assert.throws(() => fill(a!, b!), collision(path, other));
    });
  }
  it('distinct names and namespaces pass, also the same names in separate apps', () => {
    const [a, b] = stacks(2);
    mosq(a!, 'A', 'mosquitto', 'mqtt');
    emqx(b!, 'B', 'emqx', 'mqtt-emqx');
    const [c] = stacks(1);
    mosq(c!, 'A', 'mosquitto', 'mqtt');
  });
});
