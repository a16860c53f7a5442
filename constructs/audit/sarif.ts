/**
 * SARIF 2.1.0 for CI systems to annotate pull requests: one run per stack, its own
 * `automationDetails.id` (`mqtt-fortress/<stack>/`, the code-scanning category), so the files of
 * several stacks upload in one step; rules with a `security-severity`; one result per finding
 * (suppressed ones carry their justification).
 *
 * Locations: a finding of a policy rule (ACL-2, ACL-3) points at the line of the policy YAML
 * that grants the topic; a construct finding points at the source line that declares the
 * construct (`new MosquittoBroker(this, 'Broker', ...)` in the stack's file), when the caller
 * gives the source roots and they hold it. Those are files a pull request touches; the
 * git-ignored cdk.tf.json line of the resource stays as a related location (or as the location,
 * when no source is found), and the construct path as the logical location.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { IConstruct } from 'constructs';
import type { AuditResult } from './engine.js';
import { sarifText } from './escape.js';

export interface SourceLocation {
  /** Path relative to the repository root, `/`-separated. */
  readonly uri: string;
  /** 1-based. */
  readonly line: number;
}

export interface SarifInput {
  readonly audit: AuditResult;
  /** Path of the stack's cdk.tf.json relative to the repository root. */
  readonly artifact: string;
  /** The cdk.tf.json text, to find the line of each construct path. */
  readonly text: string;
  /** Where the construct at a path (or its nearest declared ancestor) is declared in the sources. */
  readonly constructSource?: (path: string) => SourceLocation | undefined;
  /** The policy file the stack's brokers render: policy findings point at its lines. */
  readonly policy?: { readonly uri: string; readonly text: string };
}

/**
 * GitHub's `security-severity` per rule (0-10: 9+ critical, 7-8.9 high, 4-6.9 medium, below
 * low): what an attacker gains when the rule is broken.
 */
export const RULE_SECURITY_SEVERITY: Readonly<Record<string, string>> = {
  'TLS-1': '8.8', // plaintext MQTT: passwords and messages on the wire
  'TLS-2': '7.4', // downgradeable TLS
  'TLS-3': '5.3', // certificate lifetime and issuer
  'TLS-4': '5.3', // key type and renewal
  'AUTH-1': '9.1', // anonymous clients
  'AUTH-2': '8.1', // where credentials live
  'AUTH-3': '5.3', // rotation
  'AUTH-5': '8.1', // a client takes over another identity's session
  'ACL-1': '8.1', // no default deny
  'ACL-2': '7.1', // a rule reaching every subtree
  'ACL-3': '7.1', // writes to $SYS / $CONTROL
  'NET-1': '7.5', // no default-deny NetworkPolicy
  'NET-2': '8.6', // ingress wider than declared
  'NET-3': '6.5',
  'DOS-1': '5.3', // missing connection and message limits
  'DOS-2': '4.3', // availability
  'POD-1': '7.5', // pod security context
  'POD-2': '5.3',
  'MON-1': '3.1', // missing broker metrics
  'MON-2': '3.1', // missing alerts
  'MON-3': '4.3',
  'REV-2': '7.0', // a resource the audit cannot read could open what every other rule checks
};

const severityOf = (id: string, level: string) => RULE_SECURITY_SEVERITY[id] ?? (level === 'error' ? '7.0' : '3.0');
const lineOfIndex = (text: string, i: number) => text.slice(0, i).split('\n').length;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The policy-file line of a policy finding `ACL-2[user:topic,topic]`: the topic as written, else the user. */
export function policyLine(policyText: string, finding: string): number | undefined {
  const m = /^ACL-[23]\[([^:\]]+):(.*)\]$/.exec(finding);
  if (!m) return undefined;
  for (const topic of m[2]!.split(',')) {
    const re = new RegExp(`(["'])${escapeRegExp(topic)}\\1|^\\s*-\\s+${escapeRegExp(topic)}\\s*$`, 'm');
    const hit = re.exec(policyText);
    if (hit) return lineOfIndex(policyText, hit.index + (hit[0].length - hit[0].trimStart().length));
  }
  const user = new RegExp(`\\b${escapeRegExp(m[1]!)}\\b`).exec(policyText);
  return user ? lineOfIndex(policyText, user.index) : undefined;
}

/**
 * Finds where the constructs of a stack are declared: for a construct path, the deepest
 * construct on it whose `new <Class>(this, '<id>'` appears in a .ts file under `roots`.
 */
export function constructSourceLocator(stack: IConstruct, roots: readonly string[], repoRoot: string): (path: string) => SourceLocation | undefined {
  const files: { uri: string; text: string }[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.')) walk(p);
      else if (e.isFile() && /\.(ts|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push({ uri: relative(repoRoot, p).split('\\').join('/'), text: readFileSync(p, 'utf8') });
    }
  };
  for (const r of roots) if (existsSync(r) && statSync(r).isDirectory()) walk(r);
  const byPath = new Map(stack.node.findAll().map((c) => [c.node.path, c] as const));
  const memo = new Map<IConstruct, SourceLocation | undefined>();
  const declared = (c: IConstruct): SourceLocation | undefined => {
    if (memo.has(c)) return memo.get(c);
    const re = new RegExp(`new\\s+${escapeRegExp(c.constructor.name)}\\s*\\(\\s*[\\w.]+\\s*,\\s*(["'\`])${escapeRegExp(c.node.id)}\\1`);
    let found: SourceLocation | undefined;
    for (const f of files) {
      const m = re.exec(f.text);
      if (m) {
        found = { uri: f.uri, line: lineOfIndex(f.text, m.index) };
        break;
      }
    }
    memo.set(c, found);
    return found;
  };
  return (path) => {
    for (let c = byPath.get(path); c && c !== stack; c = c.node.scope) {
      const hit = declared(c);
      if (hit) return hit;
    }
    return undefined;
  };
}

export function renderSarif(inputs: readonly SarifInput[], version: string): object {
  const lineOf = (text: string, path: string) => {
    const i = text.indexOf(`"path": "${path}"`) >= 0 ? text.indexOf(`"path": "${path}"`) : text.indexOf(`"path":"${path}"`);
    return i < 0 ? 1 : lineOfIndex(text, i);
  };
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: inputs.map(({ audit, artifact, text, constructSource, policy }) => {
      const rules = audit.rules;
      return {
        tool: {
          driver: {
            name: 'mqtt-fortress',
            version,
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id.replace(/-/g, ''),
              shortDescription: { text: r.info },
              fullDescription: { text: r.explanation },
              help: { text: `Fix: ${r.fix}`, markdown: `**Fix:** ${r.fix}` },
              defaultConfiguration: { level: r.level === 'error' ? 'error' : 'warning' },
              properties: { 'security-severity': severityOf(r.id, r.level), tags: ['security', r.id.split('-')[0]!] },
            })),
          },
        },
        automationDetails: { id: `mqtt-fortress/${audit.stack}/` },
        results: audit.rows
          .filter((r) => r.status === 'non-compliant')
          .map((r) => {
            const synthesized = { physicalLocation: { artifactLocation: { uri: artifact }, region: { startLine: lineOf(text, r.path) } } };
            const line = policy && r.finding ? policyLine(policy.text, r.finding) : undefined;
            const source: SourceLocation | undefined = line ? { uri: policy!.uri, line } : constructSource?.(r.path);
            const logicalLocations = [{ fullyQualifiedName: r.path, kind: 'resource' }];
            return {
              ruleId: r.rule,
              ruleIndex: rules.findIndex((x) => x.id === r.rule),
              level: r.level === 'error' ? 'error' : 'warning',
              message: { text: sarifText(`${r.finding}: ${r.detail}`) },
              locations: [source ? { physicalLocation: { artifactLocation: { uri: source.uri }, region: { startLine: source.line } }, logicalLocations } : { ...synthesized, logicalLocations }],
              ...(source ? { relatedLocations: [{ id: 1, ...synthesized, message: { text: 'the synthesized resource' } }] } : {}),
              partialFingerprints: { findingKey: `${audit.stack}/${r.finding}` },
              ...(r.suppressed ? { suppressions: [{ kind: 'external', status: 'accepted', justification: sarifText(`${r.suppressed.origin}: ${r.suppressed.reason}`) }] } : {}),
            };
          }),
      };
    }),
  };
}
