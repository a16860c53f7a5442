// Audit your own stack and write its security report (this file is quoted in docs/report.md and
// run by the tests). FortressAudit fails the synth on an unsuppressed error; the report lists the
// rest: endpoints, listeners, identities, findings, suppressions and relaxations with reasons.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TerraformStack } from 'cdktf';
import { exposureOf, FortressAudit, renderReport } from 'mqtt-fortress';
import { synthExample } from './compose-own-stack.js';

export function reportExample(outdir: string): string {
  const app = synthExample(outdir); // the App of the composed example (README.md)
  const stack = app.node.findChild('plant-telemetry') as TerraformStack;
  FortressAudit.applyTo(stack);
  app.synth();
  const dir = join(outdir, 'stacks', 'plant-telemetry');
  const json = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8'));
  const report = renderReport(exposureOf('plant-telemetry', json), FortressAudit.resultOf(stack));
  writeFileSync(join(dir, 'security-report.md'), report);
  return report;
}
