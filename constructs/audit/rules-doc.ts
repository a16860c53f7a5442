/**
 * The rule catalogue, generated from the rule files: docs/RULES.md (one section per rule: the
 * baseline IDs it checks, the brokers it reads, what it checks, how to fix, how to suppress), and
 * the index at the end of docs/SECURITY-BASELINE.md that links every baseline ID to the rules
 * that check it, or states why no rule on a synthesized stack can. `npm run docs:rules` writes
 * both; a test in the fast suite fails when either differs from what this module renders.
 */
import { FortressError } from '../core/errors.js';
import type { AuditRule } from './context.js';

/** Baseline IDs no audit rule checks, and why. Every other ID of the baseline needs a rule. */
export const NOT_AUDITED: Readonly<Record<string, string>> = {
  'TLS-5':
    'Mutual TLS is an option (`tls.clientAuth`), not a requirement every stack must meet, so there is nothing to fail. The report lists for every listener whether it requires a client certificate; the refusals (no certificate, another CA, expired) are tested against a real Mosquitto.',
  'AUTH-4': 'The kit configures no token authentication, so a stack has nothing to check for it.',
  'AUTH-6':
    'Behaviour over time (how soon a removed or rotated identity loses access), measured against real brokers and documented in docs/credentials-reloader.md and docs/emqx.md; it is not a setting of one stack.',
  'ACL-4': 'A property of the renderers (one policy, the same meaning in every dialect), tested against the brokers’ own parsers; ACL-1, ACL-2 and ACL-3 read each rendered file.',
  'INT-1': 'Broker behaviour across reconnects and restarts (queued QoS 1 and 2 messages), tested against a real Mosquitto; not judged from the synthesized output.',
  'INT-2': 'Behaviour of the credentials reloader (validate, then apply, else keep and log), tested against real peers; REV-2 checks that the pod runs the kit’s own reloader script.',
  'INT-3':
    'Enforced when the broker is built (the containers that read plaintext passwords run under a UID of their own; only they mount the plaintext Secret); no audit rule reads it from the output yet.',
  'REV-1': 'The security report itself: every synthesized stack gets security-report.md with the audit results.',
  'REV-3': 'The access and reachability diff compares two syntheses; it is not a property of one stack.',
};

const anchor = (id: string) => id.toLowerCase();
const baselineOf = (r: AuditRule) => r.baseline ?? [r.id];
const BROKER_NAMES = { mosquitto: 'Mosquitto', emqx: 'EMQX' } as const;

export function renderRulesDoc(rules: readonly AuditRule[]): string {
  const L: string[] = [
    '# Audit rules',
    '',
    '<!-- Generated from constructs/audit/rules/*.ts by `npm run docs:rules`; do not edit by hand (a test compares it). -->',
    '',
    'The audit runs these rules over every stack at synthesis (FortressAudit) and in `npm run report`. Each rule reads the',
    "stack's final Terraform JSON, so escape hatches and hand-written resources are judged too, and returns a row per",
    'subject: compliant, non-compliant (with a finding key such as `ACL-2[sensor-0001:#]`) or not applicable. An open',
    'finding of an `error` rule fails synthesis; a `warning` is reported. The requirements they check are in',
    '[SECURITY-BASELINE.md](SECURITY-BASELINE.md).',
    '',
    '**Suppressing a finding.** Review it, then name it exactly, with a reason of at least 10 characters that the',
    'security report shows:',
    '',
    '```ts',
    "Suppressions.add(construct, [{ id: 'ACL-2', reason: 'the archive service records every message', appliesTo: ['ACL-2[backend:#]'] }]);",
    '```',
    '',
    'The finding keys are printed in the synthesis error, the security report and the SARIF file. A suppression without',
    '`appliesTo` covers the one finding of its rule at or under the construct; when there are more, it covers nothing',
    'and REV-2 reports it. Props that relax a requirement (with their own reason props) become such suppressions.',
    '',
    '| Rule | Baseline | Severity | Brokers | Requires |',
    '| --- | --- | --- | --- | --- |',
    ...rules.map(
      (r) =>
        `| [${r.id}](#${anchor(r.id)}) | ${baselineOf(r)
          .map((b) => `[${b}](SECURITY-BASELINE.md#${anchor(b)})`)
          .join(', ')} | ${r.level} | ${brokersText(r)} | ${r.info.replace(/\|/g, '\\|')} |`,
    ),
    '',
  ];
  for (const r of rules) {
    L.push(
      `## ${r.id}`,
      '',
      `**${r.info}**`,
      '',
      `- Baseline: ${baselineOf(r)
        .map((b) => `[${b}](SECURITY-BASELINE.md#${anchor(b)})`)
        .join(', ')}`,
      `- Severity: ${r.level}${r.level === 'error' ? ' (an open finding fails synthesis)' : ' (reported, does not fail synthesis)'}`,
      `- Applies to: ${brokersText(r)}`,
      `- Source: \`constructs/audit/rules/${r.id.toLowerCase()}.ts\``,
      '',
      `Why: ${r.explanation}`,
      '',
      `Fix: ${r.fix}`,
      '',
      `Suppress: \`Suppressions.add(construct, [{ id: '${r.id}', reason: '...', appliesTo: ['${r.id}[...]'] }])\` with the finding key as printed.`,
      '',
    );
  }
  return `${L.join('\n').trimEnd()}\n`;
}

function brokersText(r: AuditRule): string {
  if (r.scope) return r.scope;
  const b = r.brokers ?? [];
  return b.length ? b.map((x) => BROKER_NAMES[x]).join(' and ') : 'any stack (Kubernetes and AWS resources)';
}

export const BASELINE_BEGIN = '<!-- rules index: generated by npm run docs:rules -->';
export const BASELINE_END = '<!-- end of rules index -->';

/** Baseline IDs as the baseline lists them (`- **TLS-1** ...`), in order. */
export function baselineIds(baseline: string): string[] {
  return [...baseline.matchAll(/^- \*\*([A-Z]+-\d+)\*\*/gm)].map((m) => m[1]!);
}

/**
 * The index of SECURITY-BASELINE.md: each ID with the rules that check it, or the reason none
 * does. Throws when an ID has neither, or a rule names an ID the baseline does not have.
 */
export function renderBaselineIndex(rules: readonly AuditRule[], baseline: string): string {
  const ids = baselineIds(baseline);
  const unknown = rules.flatMap((r) =>
    baselineOf(r)
      .filter((b) => !ids.includes(b))
      .map((b) => `${r.id} names ${b}`),
  );
  if (unknown.length) throw new FortressError('BASELINE_INDEX', `rules name baseline IDs the baseline does not list: ${unknown.join(', ')}`);
  const rows = ids.map((id) => {
    const by = rules.filter((r) => baselineOf(r).includes(id));
    const why = NOT_AUDITED[id];
    if (!by.length && why === undefined) throw new FortressError('BASELINE_INDEX', `baseline ${id} has no audit rule and no stated reason (NOT_AUDITED in constructs/audit/rules-doc.ts)`);
    const cell = by.length ? by.map((r) => `[${r.id}](RULES.md#${anchor(r.id)})`).join(', ') : `*no rule:* ${why}`;
    return `| <a id="${anchor(id)}"></a>${id} | ${cell} |`;
  });
  return [BASELINE_BEGIN, '## Which rules check each requirement', '', '| ID | Checked by |', '| --- | --- |', ...rows, BASELINE_END].join('\n');
}

/** The baseline text with its index replaced (or appended when it has none). */
export function withBaselineIndex(rules: readonly AuditRule[], baseline: string): string {
  const index = renderBaselineIndex(rules, baseline);
  const i = baseline.indexOf(BASELINE_BEGIN);
  const j = baseline.indexOf(BASELINE_END);
  if (i >= 0 && j > i) return `${baseline.slice(0, i)}${index}${baseline.slice(j + BASELINE_END.length)}`;
  return `${baseline.trimEnd()}\n\n${index}\n`;
}
