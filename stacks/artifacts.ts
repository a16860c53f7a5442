/**
 * Files written next to each synthesized stack: the audit result (for reports and the diff mode),
 * the security report, SARIF, and the plain YAML of its Kubernetes objects.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type App, DefaultTokenResolver, StringConcat, TerraformStack, Tokenization } from 'cdktf';
import { stringify } from 'yaml';
import { type AuditResult, FortressAudit } from '../constructs/audit/engine.js';
import { exposureOf } from '../constructs/audit/exposure.js';
import { renderReport } from '../constructs/audit/report.js';
import { constructSourceLocator, renderSarif, type SarifInput } from '../constructs/audit/sarif.js';
import { k8sObjectsOf } from '../constructs/k8s/resources.js';
import { Policy } from '../constructs/policy/model.js';
import { policySourceOf } from '../constructs/policy/yaml.js';

export const AUDIT_FILE = 'mqtt-fortress-audit.json';

const stacksOf = (app: App) => app.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack);
const stackDir = (app: App, s: TerraformStack) => join(app.outdir, 'stacks', s.node.id);

/** After app.synth(): the audit result of every stack, as JSON next to its cdk.tf.json. */
export function writeAuditResults(app: App): void {
  for (const s of stacksOf(app)) {
    const r = FortressAudit.resultOf(s);
    if (r) writeFileSync(join(stackDir(app, s), AUDIT_FILE), `${JSON.stringify(r, null, 2)}\n`);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON has no type
export function readStackOutput(dir: string): { json: any; text: string; audit: AuditResult | undefined } {
  const text = readFileSync(join(dir, 'cdk.tf.json'), 'utf8');
  const auditPath = join(dir, AUDIT_FILE);
  return { json: JSON.parse(text), text, audit: existsSync(auditPath) ? (JSON.parse(readFileSync(auditPath, 'utf8')) as AuditResult) : undefined };
}

export interface ReportSources {
  /** Folders (absolute, or relative to the working directory) holding the .ts files that declare the stacks. */
  readonly roots: readonly string[];
}

/** The SARIF source hooks of one stack: its construct declarations and the policy file its brokers use. */
function sourcesOf(stack: TerraformStack, repoRoot: string, o: ReportSources): Pick<SarifInput, 'constructSource' | 'policy'> {
  const file = stack.node
    .findAll()
    .map((c) => (c as unknown as { policy?: unknown }).policy)
    .map((p) => (p instanceof Policy ? policySourceOf(p) : undefined))
    .find((f): f is string => Boolean(f));
  return {
    constructSource: constructSourceLocator(stack, o.roots, repoRoot),
    ...(file ? { policy: { uri: relative(repoRoot, file).split('\\').join('/'), text: readFileSync(file, 'utf8') } } : {}),
  };
}

/**
 * security-report.md and security-report.sarif per stack; returns the files written.
 * `finalOutdir`: where app.outdir will be moved after writing (an atomic output); SARIF locations
 * and the returned paths name files there. `sources`: where SARIF results point into the sources
 * a pull request touches (policy YAML lines, construct declarations).
 */
export function writeReports(app: App, version: string, repoRoot = process.cwd(), finalOutdir = app.outdir, sources?: ReportSources): string[] {
  const written: string[] = [];
  for (const s of stacksOf(app)) {
    const dir = stackDir(app, s);
    const finalDir = join(finalOutdir, 'stacks', s.node.id);
    const { json, text, audit } = readStackOutput(dir);
    writeFileSync(join(dir, 'security-report.md'), renderReport(exposureOf(s.node.id, json), audit));
    if (audit) {
      const input = { audit, artifact: relative(repoRoot, join(finalDir, 'cdk.tf.json')), text, ...(sources ? sourcesOf(s, repoRoot, sources) : {}) };
      writeFileSync(join(dir, 'security-report.sarif'), `${JSON.stringify(renderSarif([input], version), null, 2)}\n`);
    }
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
    const docs = objs.map(
      (o) =>
        `# ${o.path} (${o.via === 'typed' ? o.resource.terraformResourceType : 'kubernetes_manifest'})\n${stringify(Tokenization.resolve(o.object, { scope: s, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) }), { lineWidth: 0 })}`,
    );
    writeFileSync(file, docs.join('---\n'));
    written.push(join(finalOutdir, 'stacks', s.node.id, 'kubernetes.yaml'));
  }
  return written;
}
