/**
 * Files written next to each synthesized stack: the audit result (for reports and the diff mode),
 * the security report, SARIF, and the plain YAML of its Kubernetes objects.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { DefaultTokenResolver, StringConcat, TerraformStack, Tokenization, type App } from 'cdktf';
import { FortressAudit, type AuditResult } from '../constructs/audit/engine.js';
import { exposureOf } from '../constructs/audit/exposure.js';
import { renderReport } from '../constructs/audit/report.js';
import { renderSarif } from '../constructs/audit/sarif.js';
import { k8sObjectsOf } from '../constructs/k8s/resources.js';

export const AUDIT_FILE = 'mqtt-fortress-audit.json';

const stacksOf = (app: App) => app.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack);
const stackDir = (app: App, s: TerraformStack) => join(app.outdir, 'stacks', s.node.id);

/** After app.synth(): the audit result of every stack, as JSON next to its cdk.tf.json. */
export function writeAuditResults(app: App): void {
  for (const s of stacksOf(app)) {
    const r = FortressAudit.resultOf(s);
    if (r) writeFileSync(join(stackDir(app, s), AUDIT_FILE), JSON.stringify(r, null, 2) + '\n');
  }
}

export function readStackOutput(dir: string): { json: any; text: string; audit: AuditResult | undefined } {
  const text = readFileSync(join(dir, 'cdk.tf.json'), 'utf8');
  const auditPath = join(dir, AUDIT_FILE);
  return { json: JSON.parse(text), text, audit: existsSync(auditPath) ? (JSON.parse(readFileSync(auditPath, 'utf8')) as AuditResult) : undefined };
}

/**
 * security-report.md and security-report.sarif per stack; returns the files written.
 * `finalOutdir`: where app.outdir will be moved after writing (an atomic output); SARIF locations
 * and the returned paths name files there.
 */
export function writeReports(app: App, version: string, repoRoot = process.cwd(), finalOutdir = app.outdir): string[] {
  const written: string[] = [];
  for (const s of stacksOf(app)) {
    const dir = stackDir(app, s);
    const finalDir = join(finalOutdir, 'stacks', s.node.id);
    const { json, text, audit } = readStackOutput(dir);
    writeFileSync(join(dir, 'security-report.md'), renderReport(exposureOf(s.node.id, json), audit));
    if (audit) writeFileSync(join(dir, 'security-report.sarif'), JSON.stringify(renderSarif([{ audit, artifact: relative(repoRoot, join(finalDir, 'cdk.tf.json')), text }], version), null, 2) + '\n');
    written.push(join(finalDir, 'security-report.md'), ...(audit ? [join(finalDir, 'security-report.sarif')] : []));
  }
  return written;
}

/**
 * kubernetes.yaml per stack: every Kubernetes object as plain YAML, for external scanners.
 * Returns the files written, named under `finalOutdir` (see {@link writeReports}).
 */
export function writeKubernetesYaml(app: App, finalOutdir = app.outdir): string[] {
  const written: string[] = [];
  for (const s of stacksOf(app)) {
    const objs = k8sObjectsOf(s);
    if (!objs.length) continue;
    const file = join(stackDir(app, s), 'kubernetes.yaml');
    const docs = objs.map((o) => `# ${o.path} (${o.via === 'typed' ? o.resource.terraformResourceType : 'kubernetes_manifest'})\n${stringify(Tokenization.resolve(o.object, { scope: s, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) }), { lineWidth: 0 })}`);
    writeFileSync(file, docs.join('---\n'));
    written.push(join(finalOutdir, 'stacks', s.node.id, 'kubernetes.yaml'));
  }
  return written;
}
