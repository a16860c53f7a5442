/** docs/report.md quotes examples/report-own-stack.ts verbatim, and the example audits and reports. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

describe('the report example of docs/report.md', () => {
  it('is quoted verbatim, and it writes a report of the composed stack', async () => {
    const doc = readFileSync(join(root, 'docs', 'report.md'), 'utf8');
    const example = readFileSync(join(root, 'examples', 'report-own-stack.ts'), 'utf8').trim();
    assert.ok(doc.includes(example), 'docs/report.md must quote examples/report-own-stack.ts verbatim');
    const { reportExample } = await import('../../examples/report-own-stack.js');
    const out = mkdtempSync(join(tmpdir(), 'fortress-report-example-'));
    try {
      const report = reportExample(out);
      assert.ok(existsSync(join(out, 'stacks', 'plant-telemetry', 'security-report.md')));
      assert.match(report, /^# Security report: stack `plant-telemetry`/);
      assert.match(report, /\| plant-mqtt\/mosquitto \| 8883 \| all addresses \| tlsv1\.2\+ \|/);
      assert.match(report, /\*\*0 open error\(s\)/);
      // The identity class renders once as pattern lines; the report still shows every member's rights.
      assert.match(report, /\*\*press-02\*\* \(plant-mqtt\/mosquitto\): may publish to `plant\/press-02\/metrics`/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
