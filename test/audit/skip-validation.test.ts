/**
 * cdktf skips every validation, the audit's included, when the App is created with
 * `skipValidation: true` (its own error text suggests it). The audit must not then read as clean:
 * FortressAudit.resultOf runs it on the synthesized stack and marks the result, and the report
 * says the audit's errors did not stop the synthesis.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1/index.js';
import { App, TerraformStack } from 'cdktf';
import { FortressAudit } from '../../constructs/audit/engine.js';
import { exposureOf } from '../../constructs/audit/exposure.js';
import { renderReport } from '../../constructs/audit/report.js';
import { kubernetesProvider } from '../../constructs/k8s/provider.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { minimalBrokerProps } from '../helpers/synth.js';

/** A broker plus a world-open LoadBalancer added beside it (an error-level finding). */
function openApp(skipValidation: boolean) {
  const outdir = mkdtempSync(join(tmpdir(), 'fortress-skipval-'));
  const app = new App({ outdir, skipValidation });
  const stack = new TerraformStack(app, 'k8s');
  kubernetesProvider(stack);
  new MosquittoBroker(stack, 'Broker', minimalBrokerProps());
  new ServiceV1(stack, 'Open', {
    metadata: { name: 'open', namespace: 'mqtt' },
    spec: { type: 'LoadBalancer', selector: { 'app.kubernetes.io/name': 'mosquitto' }, port: [{ port: 8883, targetPort: '8883' }] },
  });
  FortressAudit.applyTo(stack);
  return { app, stack, outdir };
}

describe('an App with skipValidation: the audit still runs and says its errors did not stop the synthesis', () => {
  it('without skipValidation the audit stops the synthesis (the control case)', () => {
    const { app, outdir } = openApp(false);
    try {
      assert.throws(() => app.synth(), /LoadBalancer|NET-/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
  it('with skipValidation the synthesis completes, and resultOf holds the open errors, marked', () => {
    const { app, stack, outdir } = openApp(true);
    try {
      app.synth();
      const r = FortressAudit.resultOf(stack);
      assert.ok(r, 'a result exists');
      assert.equal(r.validationSkipped, true);
      assert.ok(r.summary.errors > 0, `open errors expected, got ${JSON.stringify(r.summary)}`);
      const json = JSON.parse(readFileSync(join(outdir, 'stacks', 'k8s', 'cdk.tf.json'), 'utf8'));
      const md = renderReport(exposureOf('k8s', json), r);
      assert.match(md, /skipValidation: true`: the audit's errors did not stop this synthesis/);
      assert.equal(FortressAudit.resultOf(stack), r, 'evaluated once');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
  it('a report without any audit result says nothing was checked', () => {
    const md = renderReport(exposureOf('k8s', { resource: {} }), undefined);
    assert.match(md, /No audit result for this stack/);
  });
});
