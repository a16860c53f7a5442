/**
 * An identity class rendered once as Mosquitto `pattern` lines still shows per member in the
 * audit view and the security report (the reviewer sees every identity's rights).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { TerraformStack, Testing } from 'cdktf';
import { evaluate } from '../../constructs/audit/engine.js';
import { exposureOf } from '../../constructs/audit/exposure.js';
import { renderReport } from '../../constructs/audit/report.js';
import { kubernetesProvider } from '../../constructs/k8s/provider.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { Policy } from '../../constructs/policy/model.js';
import { minimalBrokerProps } from '../helpers/synth.js';

it('class members rendered as pattern lines are listed with their rights in the report', () => {
  const stack = new TerraformStack(Testing.app(), 'k8s');
  kubernetesProvider(stack);
  const policy = Policy.from({
    roles: [
      { name: 'dev', rules: [{ action: 'publish', topics: ['devices/{username}/telemetry'] }] },
      { name: 'm', rules: [{ action: 'subscribe', topics: ['$SYS/#'] }] },
    ],
    identities: [
      { name: 'fleet', kind: 'device', roles: ['dev'], members: ['d1', 'd2', 'd3'] },
      { name: 'metrics', kind: 'monitoring', roles: ['m'] },
    ],
  });
  new MosquittoBroker(stack, 'Broker', minimalBrokerProps({ policy }));
  const json = stack.toTerraform();
  const acl = (Object.values(json.resource.kubernetes_config_map_v1)[0] as any).data.acl as string;
  assert.match(acl, /^pattern write devices\/%u\/telemetry$/m, 'the class renders as a pattern line');
  assert.doesNotMatch(acl, /^user d1$/m);
  const md = renderReport(exposureOf('k8s', json), evaluate(stack, undefined, json));
  for (const d of ['d1', 'd2', 'd3']) assert.match(md, new RegExp(`\\*\\*${d}\\*\\* \\(mqtt/mosquitto\\): may publish to \`devices/${d}/telemetry\``));
});
