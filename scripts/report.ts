/**
 * `npm run report`: synthesizes the default app and writes, per stack, security-report.md,
 * security-report.sarif and the audit result next to cdk.tf.json.
 * `npm run report -- --diff BEFORE AFTER`: compares two synthesized outputs (cdktf.out dirs) and
 * prints what changed in exposure, widening changes first.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from '../stacks/main.js';
import { readStackOutput, writeAuditResults, writeReports } from '../stacks/artifacts.js';
import { exposureOf } from '../constructs/audit/exposure.js';
import { diffExposure, renderDiff } from '../constructs/audit/diff.js';
import { FortressError } from '../constructs/core/errors.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function diffOutputs(before: string, after: string): { markdown: string; widening: number } {
  const stacks = (d: string) => (existsSync(join(d, 'stacks')) ? readdirSync(join(d, 'stacks')) : []);
  const names = [...new Set([...stacks(before), ...stacks(after)])].sort();
  let widening = 0;
  const parts = [`# Exposure diff`, '', `before: \`${before}\`, after: \`${after}\``, ''];
  for (const n of names) {
    const load = (d: string) => (existsSync(join(d, 'stacks', n, 'cdk.tf.json')) ? readStackOutput(join(d, 'stacks', n)) : undefined);
    const b = load(before);
    const a = load(after);
    const changes = diffExposure(b && exposureOf(n, b.json), a && exposureOf(n, a.json), b?.audit, a?.audit);
    widening += changes.filter((c) => c.widens).length;
    parts.push(renderDiff(n, changes));
  }
  return { markdown: parts.join('\n'), widening };
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  try {
    const args = process.argv.slice(2);
    if (args[0] === '--diff') {
      if (args.length !== 3) throw new FortressError('USAGE', 'usage: npm run report -- --diff BEFORE_OUTDIR AFTER_OUTDIR');
      const { markdown, widening } = diffOutputs(args[1]!, args[2]!);
      process.stdout.write(markdown);
      console.error(`${widening} change(s) widen exposure`);
    } else {
      const app = buildApp();
      app.synth();
      writeAuditResults(app);
      for (const f of writeReports(app, version)) console.log(`wrote ${f}`);
    }
  } catch (e) {
    console.error(e instanceof FortressError ? `error ${e.code}: ${e.message}` : e);
    process.exit(1);
  }
}
