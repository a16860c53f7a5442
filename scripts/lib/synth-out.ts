/**
 * Synthesizes the default app for `npm run synth`, `report` and `render`: into a temporary
 * directory next to the output directory, then moved into place whole, so the output holds only
 * the stacks of this synth (stale stack folders from an earlier synth would show up as exposure
 * changes) and a failed synth leaves the previous output untouched. Terraform's working files of
 * a stack that still exists (`.terraform/`, `.terraform.lock.hcl`) are carried over.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, TerraformStack } from 'cdktf';
import { FortressAudit } from '../../constructs/audit/engine.js';
import { writeAuditResults } from '../../stacks/artifacts.js';
import { buildApp } from '../../stacks/main.js';
import { writeDirAtomically } from './cli.js';

export interface StackSummary {
  readonly stack: string;
  /** Resource blocks in cdk.tf.json (a `for_each` block counts once). */
  readonly resources: number;
  readonly openFindings: number;
  readonly suppressed: number;
}

const TERRAFORM_WORKING_FILES = ['.terraform', '.terraform.lock.hcl'];

/** An earlier cdktf output: it has the manifest cdktf writes, or a stacks/ folder. */
export const isCdktfOutput = (dir: string) => existsSync(join(dir, 'manifest.json')) || existsSync(join(dir, 'stacks'));

export function summaryOf(app: App): StackSummary[] {
  return app.node.children
    .filter((c): c is TerraformStack => c instanceof TerraformStack)
    .map((s) => {
      const json = JSON.parse(readFileSync(join(app.outdir, 'stacks', s.node.id, 'cdk.tf.json'), 'utf8')) as { resource?: Record<string, Record<string, unknown>> };
      const resources = Object.values(json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
      const rows = FortressAudit.resultOf(s)?.rows ?? [];
      return {
        stack: s.node.id,
        resources,
        openFindings: rows.filter((r) => r.status === 'non-compliant' && !r.suppressed).length,
        suppressed: rows.filter((r) => r.status === 'non-compliant' && r.suppressed).length,
      };
    });
}

/** `mosquitto-k8s: 31 resources, 0 open findings (1 suppressed)` */
export function summaryLine(s: StackSummary): string {
  return `${s.stack}: ${s.resources} resource${s.resources === 1 ? '' : 's'}, ${s.openFindings} open finding${s.openFindings === 1 ? '' : 's'}${s.suppressed ? ` (${s.suppressed} suppressed)` : ''}`;
}

/**
 * Synthesizes the default app into `outdir` atomically. `extra` writes more files next to each
 * stack (reports, YAML) inside the temporary directory; `finalOutdir` is where they will live.
 */
export async function synthDefaultApp<T>(outdir: string, extra?: (app: App, finalOutdir: string) => T): Promise<{ summary: StackSummary[]; extra: T | undefined }> {
  return writeDirAtomically(
    outdir,
    {
      what: 'output directory',
      replaceable: isCdktfOutput,
      keep: (old) => (existsSync(join(old, 'stacks')) ? readdirSync(join(old, 'stacks')).flatMap((s) => TERRAFORM_WORKING_FILES.map((f) => join('stacks', s, f))) : []),
    },
    (tmp) => {
      const app = buildApp(tmp);
      app.synth();
      writeAuditResults(app);
      const more = extra?.(app, outdir);
      return { summary: summaryOf(app), extra: more };
    },
  );
}
