/**
 * The audit engine: a cdktf Aspect added per stack (cdktf ignores aspects on the App, and runs
 * them on every synth: this one is idempotent) that evaluates the rule pack over the stack's
 * final Terraform JSON, applies suppressions, and fails synthesis through a stack validation when
 * an unsuppressed error remains. Fails closed: a rule that throws is a finding.
 */
import { Aspects, type IAspect, type TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { brokerOf } from '../broker/registry.js';
import { FortressError, show } from '../core/errors.js';
import { type Relaxation, Relaxations } from '../core/relaxation.js';
import { textProblem } from '../core/text.js';
import type { Policy } from '../policy/model.js';
import { type AssertionRow, assertionRows, type DeclaredPeerRow, declaredPeers } from './records.js';
import { type AuditRule, auditContext, type Level, RULE_IDS, RULES, type RuleRow } from './rules.js';

export type { AssertionRow, DeclaredPeerRow } from './records.js';

export interface Suppression {
  /** Rule id, e.g. `MON-1`. */
  readonly id: string;
  /** Why; at least 10 characters. Shown in the report. */
  readonly reason: string;
  /**
   * The exact finding keys this suppression covers, e.g. `ACL-2[backend:#]` (compared by
   * equality, never by substring). An empty list covers nothing: the opt-out is only listed in
   * the report.
   * @default - the one finding of the rule at or under the construct. When more findings of the
   * rule are there than unnamed suppressions of it, the suppression is ambiguous: it covers
   * nothing and REV-2 reports it with the keys to name.
   */
  readonly appliesTo?: readonly string[];
}

export const SUPPRESSION_FORMAT_VERSION = 2;

interface Entry {
  readonly s: Suppression;
  readonly origin: string;
  readonly scope: IConstruct;
  /** Structural match (policy exceptions: identities holding the role, the topic, the access the role grants). */
  readonly match?: (r: RuleRow) => boolean;
  /** What the suppression names, in words, for the report. */
  readonly names: string;
}

const suppressions = new WeakMap<IConstruct, Entry[]>();

function checkSuppression(where: string, s: Suppression): void {
  if (!s || !RULE_IDS.has(s.id)) throw new FortressError('AUDIT_SUPPRESSION', `${where}: unknown rule id ${show(s?.id)}; known: ${[...RULE_IDS].join(', ')}.`);
  if (typeof s.reason !== 'string' || s.reason.trim().length < 10)
    throw new FortressError('AUDIT_SUPPRESSION', `${where}: suppression of ${s.id} needs a reason of at least 10 characters, got ${show(s.reason)}; it is shown in the security report.`);
  const problem = textProblem(s.reason);
  if (problem) throw new FortressError('AUDIT_SUPPRESSION', `${where}: the reason of the ${s.id} suppression ${problem}; it is one line of the security report.`);
  if (s.appliesTo !== undefined) {
    if (!Array.isArray(s.appliesTo)) throw new FortressError('AUDIT_SUPPRESSION', `${where}: appliesTo of ${s.id} must be a list of finding keys such as "${s.id}[...]", got ${show(s.appliesTo)}.`);
    for (const k of s.appliesTo) {
      if (typeof k !== 'string' || !k.startsWith(`${s.id}[`) || !k.endsWith(']') || textProblem(k))
        throw new FortressError(
          'AUDIT_SUPPRESSION',
          `${where}: appliesTo of ${s.id} names ${show(k)}, which is not a finding key of ${s.id}; name whole keys such as "${s.id}[...]" as the report and the synth error print them (they are matched exactly).`,
        );
    }
  }
}

function addEntries(scope: IConstruct, entries: Entry[]): void {
  suppressions.set(scope, [...(suppressions.get(scope) ?? []), ...entries]);
}

export const Suppressions = {
  /** Suppresses findings of rules on `scope` and everything below it (see {@link Suppression.appliesTo}). */
  add(scope: IConstruct, list: readonly Suppression[], origin = 'suppression'): void {
    list.forEach((s, i) => {
      checkSuppression(`${scope.node.path} suppression[${i}]`, s);
    });
    addEntries(
      scope,
      list.map((s) => ({ s, origin, scope, names: s.appliesTo ? (s.appliesTo.length ? s.appliesTo.join(', ') : 'nothing (listed only)') : `the one ${s.id} finding under ${scope.node.path}` })),
    );
  },
  /** Same, by construct path; throws when the path matches nothing (a stale suppression hides nothing). */
  addByPath(stack: TerraformStack, path: string, list: readonly Suppression[]): void {
    const found = stack.node.findAll().find((c) => c.node.path === path);
    if (!found) throw new FortressError('AUDIT_SUPPRESSION_PATH', `no construct at path ${show(path)} in stack ${stack.node.id}; suppressions by path must name an existing construct.`);
    Suppressions.add(found, list);
  },
  /** Suppressions that apply at a construct, its own and its ancestors'. */
  at(scope: IConstruct): { s: Suppression; origin: string }[] {
    return entriesAt(scope);
  },
};

function entriesAt(scope: IConstruct): Entry[] {
  return scope.node.scopes.flatMap((c) => suppressions.get(c) ?? []);
}

export interface AuditRow extends RuleRow {
  readonly rule: string;
  readonly level: Level;
  readonly suppressed?: { readonly reason: string; readonly origin: string };
}

/** One suppression (user's, relaxation or policy exception) and exactly what it suppressed. */
export interface SuppressionRecord {
  readonly rule: string;
  /** Construct path it was added at (it covers that construct and everything below). */
  readonly where: string;
  readonly origin: string;
  readonly reason: string;
  /** What it names, in words: finding keys, a role and topic, or "the one finding". */
  readonly names: string;
  /** Finding keys it suppressed (empty: it suppressed nothing). */
  readonly suppressed: readonly string[];
  /** `ambiguous`: unnamed, and more findings than unnamed suppressions: it suppressed nothing (REV-2 finding). */
  readonly status: 'applied' | 'nothing to suppress' | 'ambiguous';
}

export interface AuditResult {
  readonly version: 1;
  readonly stack: string;
  readonly rules: readonly { id: string; level: Level; info: string; explanation: string; fix: string }[];
  readonly rows: readonly AuditRow[];
  readonly suppressions: readonly SuppressionRecord[];
  readonly summary: { compliant: number; nonCompliant: number; suppressed: number; notApplicable: number; errors: number; warnings: number };
  /** The access assertions of the policies in the stack, one row per case and username (docs/assertions.md). */
  readonly assertions?: readonly AssertionRow[];
  /** Each broker's declared peers (`allowFrom`), when the stack holds a kit broker. */
  readonly declaredPeers?: readonly DeclaredPeerRow[];
  /**
   * Set when the App was created with `skipValidation: true`: cdktf then skips every validation,
   * the audit's included, so its errors did not stop the synthesis; the audit ran afterwards.
   */
  readonly validationSkipped?: true;
}

const ACL_ACCESS: Record<string, string> = { publish: 'write', subscribe: 'read', all: 'readwrite' };
const substituteAll = (topic: string, username: string) =>
  topic
    .split('/')
    .map((l) => (l === '{username}' || l === '{clientId}' ? username : l))
    .join('/');

/**
 * A policy exception {rule: ACL-2-broad, role, topic} covers an ACL-2 finding only when the
 * finding's identity holds that role, its topic is that rule's topic (placeholders filled for the
 * identity), and every access the finding lists is one that role grants on that topic.
 */
function exceptionMatch(policy: Policy, e: { role: string; topic: string }): (r: RuleRow) => boolean {
  return (r) => {
    const id = r.subject?.identity;
    const topic = r.subject?.topic;
    if (id === undefined || topic === undefined) return false;
    const p = policy.principal(id);
    if (!p?.roles.includes(e.role) || substituteAll(e.topic, id) !== topic) return false;
    const granted = new Set(p.rules.filter((x) => x.role === e.role && x.effect === 'allow' && substituteAll(x.topic, id) === topic).map((x) => ACL_ACCESS[x.action]));
    if (!granted.size) return false;
    const covers = (a: string) => granted.has(a) || granted.has('readwrite') || (a === 'readwrite' && granted.has('read') && granted.has('write'));
    return (r.subject?.access ?? ['readwrite']).every(covers);
  };
}

/** Constructs whose relaxations and policy exceptions are already suppressions (evaluate runs on every synth). */
const relaxationsAdded = new WeakSet<IConstruct>();
const exceptionsAdded = new WeakSet<IConstruct>();

/** Refuses a registered relaxation the audit cannot turn into a suppression of its rule. */
function checkRelaxation(c: IConstruct, i: number, x: Relaxation): void {
  const where = `${c.node.path} relaxations[${i}]`;
  if (!x || typeof x.prop !== 'string' || x.prop.trim() === '' || textProblem(x.prop))
    throw new FortressError('AUDIT_RELAXATION', `${where}: prop must name the prop that relaxes the baseline (one line of text), got ${show(x?.prop)}.`);
  if (!RULE_IDS.has(x.id))
    throw new FortressError('AUDIT_RELAXATION', `${where} (${x.prop}): unknown rule id ${show(x.id)}; a relaxation suppresses findings of an audit rule, known: ${[...RULE_IDS].join(', ')}.`);
  if (typeof x.reason !== 'string' || x.reason.trim().length < 10 || textProblem(x.reason))
    throw new FortressError('AUDIT_RELAXATION', `${where} (${x.prop}): the reason must be one line of at least 10 characters, got ${show(x.reason)}; it is shown in the security report.`);
}

/**
 * Turns the registered relaxations (Relaxations.register: props with reasons) and the policy
 * exceptions of the stack's brokers into suppressions of their rule.
 */
function relaxationSuppressions(stack: TerraformStack): void {
  for (const c of stack.node.findAll()) {
    const r = Relaxations.of(c);
    if (r.length && !relaxationsAdded.has(c)) {
      r.forEach((x, i) => {
        checkRelaxation(c, i, x);
      });
      Suppressions.add(
        c,
        r.map((x) => ({ id: x.id, reason: `${x.prop}: ${x.reason}`, ...(x.appliesTo ? { appliesTo: x.appliesTo } : {}) })),
        'relaxation',
      );
      relaxationsAdded.add(c);
    }
    const policy = brokerOf(c)?.policy;
    const exceptions = policy?.spec.exceptions;
    if (policy && exceptions?.length && !exceptionsAdded.has(c)) {
      addEntries(
        c,
        exceptions.map((e) =>
          e.rule === 'ACL-2-broad'
            ? {
                s: { id: 'ACL-2', reason: `policy exception for role ${e.role} on ${e.topic}: ${e.reason}` },
                origin: 'policy exception',
                scope: c,
                match: exceptionMatch(policy, e),
                names: `identities holding role ${e.role}, topic ${e.topic}, the access that role grants`,
              }
            : // The policy checks these at synth and no audit rule re-checks them: listed with their
              // reason so the report and the diff show every relaxation, suppressing nothing.
              {
                s: { id: e.rule === 'ACL-3-sys-read' ? 'ACL-3' : 'ACL-2', reason: `policy exception ${e.rule} for role ${e.role} on ${e.topic}: ${e.reason}`, appliesTo: [] },
                origin: 'policy exception',
                scope: c,
                names: `nothing (listed only): ${e.rule === 'ACL-3-sys-read' ? 'device or service identities' : 'device identities'} holding role ${e.role} ${e.rule === 'ACL-3-sys-read' ? 'read' : 'reach'} ${e.topic}`,
              },
        ),
      );
      exceptionsAdded.add(c);
    }
  }
}

export function evaluate(stack: TerraformStack, rules: readonly AuditRule[] = RULES, json: any = stack.toTerraform()): AuditResult {
  relaxationSuppressions(stack);
  const ctx = auditContext(stack.node.id, json);
  const byPath = new Map(stack.node.findAll().map((c) => [c.node.path, c]));
  const raw: { r: RuleRow; rule: AuditRule }[] = [];
  for (const rule of rules) {
    let got: RuleRow[];
    try {
      got = rule.check(ctx);
    } catch (e) {
      got = [{ status: 'non-compliant', path: stack.node.path, finding: `${rule.id}[rule-error]`, detail: `the rule failed to run: ${(e as Error).message}` }];
    }
    for (const r of got) raw.push({ r, rule });
  }
  // Candidates: the open findings of each suppression's rule at or under its construct.
  const candidates = new Map<Entry, number[]>();
  raw.forEach(({ r, rule }, i) => {
    if (r.status !== 'non-compliant') return;
    for (const e of entriesAt(byPath.get(r.path) ?? stack)) if (e.s.id === rule.id) candidates.set(e, [...(candidates.get(e) ?? []), i]);
  });
  const covered = new Map<Entry, number[]>();
  const named = new Set<number>();
  for (const [e, idx] of candidates) {
    if (!e.match && !e.s.appliesTo) continue;
    const hit = idx.filter((i) => (e.match ? e.match(raw[i]!.r) : e.s.appliesTo!.includes(raw[i]!.r.finding!)));
    covered.set(e, hit);
    for (const i of hit) named.add(i);
  }
  // Unnamed suppressions, grouped by construct and rule: together they cover the findings no named
  // suppression covers only when there are no more of them than unnamed suppressions.
  const all = [...new Set(stack.node.findAll().flatMap((c) => suppressions.get(c) ?? []))];
  const ambiguous: RuleRow[] = [];
  const groups = new Map<string, Entry[]>();
  for (const e of all) if (!e.match && !e.s.appliesTo) groups.set(`${e.scope.node.path}\u0000${e.s.id}`, [...(groups.get(`${e.scope.node.path}\u0000${e.s.id}`) ?? []), e]);
  for (const g of groups.values()) {
    const rest = [...new Set(g.flatMap((e) => candidates.get(e) ?? []))].filter((i) => !named.has(i));
    const keys = [...new Set(rest.map((i) => raw[i]!.r.finding!))];
    if (keys.length > g.length) {
      const where = g[0]!.scope.node.path;
      ambiguous.push({
        status: 'non-compliant',
        path: where,
        finding: `REV-2[suppression:${g[0]!.s.id}@${where}]`,
        detail: `${g.length} suppression(s) of ${g[0]!.s.id} without appliesTo at ${where} (${g.map((e) => `${e.origin}: ${e.s.reason}`).join('; ')}) would cover ${keys.length} findings: ${keys.join(', ')}. Nothing was suppressed; name the findings meant in appliesTo`,
      });
      for (const e of g) covered.set(e, []);
    } else for (const e of g) covered.set(e, rest);
  }
  const rows: AuditRow[] = raw.map(({ r, rule }, i) => {
    let suppressed: AuditRow['suppressed'];
    if (r.status === 'non-compliant') {
      const hit = entriesAt(byPath.get(r.path) ?? stack).find((e) => covered.get(e)?.includes(i));
      if (hit) suppressed = { reason: hit.s.reason, origin: hit.origin };
    }
    return { ...r, rule: rule.id, level: rule.level, ...(suppressed ? { suppressed } : {}) };
  });
  for (const r of ambiguous) rows.push({ ...r, rule: 'REV-2', level: 'error' });
  if (ambiguous.length) {
    // REV-2's compliant summary row no longer holds.
    const i = rows.findIndex((x) => x.rule === 'REV-2' && x.status === 'compliant');
    if (i >= 0) rows.splice(i, 1);
  }
  const records: SuppressionRecord[] = all.map((e) => {
    const keys = [...new Set((covered.get(e) ?? []).map((i) => raw[i]!.r.finding!))];
    const amb =
      groups.get(`${e.scope.node.path}\u0000${e.s.id}`)?.includes(e) && ambiguous.some((a) => a.path === e.scope.node.path && a.finding === `REV-2[suppression:${e.s.id}@${e.scope.node.path}]`);
    return {
      rule: e.s.id,
      where: e.scope.node.path,
      origin: e.origin,
      reason: e.s.reason,
      names: e.names,
      suppressed: keys,
      status: amb ? 'ambiguous' : keys.length ? 'applied' : 'nothing to suppress',
    };
  });
  const open = rows.filter((r) => r.status === 'non-compliant' && !r.suppressed);
  const asserted = assertionRows(stack);
  const peers = declaredPeers(stack);
  return {
    version: 1,
    stack: stack.node.id,
    rules: rules.map(({ id, level, info, explanation, fix }) => ({ id, level, info, explanation, fix })),
    rows,
    suppressions: records,
    summary: {
      compliant: rows.filter((r) => r.status === 'compliant').length,
      nonCompliant: open.length,
      suppressed: rows.filter((r) => r.suppressed).length,
      notApplicable: rows.filter((r) => r.status === 'not-applicable').length,
      errors: open.filter((r) => r.level === 'error').length,
      warnings: open.filter((r) => r.level === 'warning').length,
    },
    ...(asserted.length ? { assertions: asserted } : {}),
    ...(peers.length ? { declaredPeers: peers } : {}),
  };
}

const results = new WeakMap<TerraformStack, AuditResult>();

class FortressAuditAspect implements IAspect {
  constructor(private readonly stack: TerraformStack) {}
  visit(node: IConstruct): void {
    // A new synthesis reached the stack: forget the last result. The rules run in the stack's
    // validation, after every aspect (the kit's and the user's) has changed what it will.
    if (node === this.stack) results.delete(this.stack);
  }
}

/*
 * The audit resolves the stack's Terraform JSON itself, and the synthesizer resolves it again
 * right after the validations. cdktf 0.21 offers no supported way to hand one resolution to the
 * other: its synthesizer calls stack.toTerraform() directly, the StackSynthesizer class is not
 * exported (a custom IStackSynthesizer would have to copy its aspect, validation, custom-synthesis
 * and annotation steps), and custom synthesis and aspects run before the final JSON exists. The
 * second resolution adds about a third to the synthesis phase (about 150 ms at 10 000
 * identities; docs/maintainers.md, Performance); the kit pays it rather than patch the stack.
 */
const applied = new WeakSet<TerraformStack>();

export const FortressAudit = {
  /** Adds the audit to a stack (once; cdktf ignores aspects added to the App). */
  applyTo(stack: TerraformStack): void {
    if (applied.has(stack)) return;
    applied.add(stack);
    Aspects.of(stack).add(new FortressAuditAspect(stack));
    stack.node.addValidation({
      validate: () => {
        let r = results.get(stack);
        if (!r) {
          r = evaluate(stack);
          results.set(stack, r);
        }
        return r.rows
          .filter((x) => x.status === 'non-compliant' && !x.suppressed && x.level === 'error')
          .map(
            (x) =>
              `[${x.path}] ${x.finding}: ${x.detail}. Fix: ${RULES.find((y) => y.id === x.rule)!.fix} Or suppress exactly this finding with Suppressions.add(construct, [{ id: '${x.rule}', reason: '...', appliesTo: [${JSON.stringify(x.finding)}] }]).`,
          );
      },
    });
  },
  /**
   * The latest result of a stack (after synth). When the App skips validations (`skipValidation:
   * true`), the audit did not run during the synthesis: it runs here, on the synthesized stack, and
   * the result says `validationSkipped` (the report shows it), so a skipped audit is never an empty one.
   */
  resultOf(stack: TerraformStack): AuditResult | undefined {
    const r = results.get(stack);
    if (r || !applied.has(stack) || (stack.node.root as { skipValidation?: boolean }).skipValidation !== true) return r;
    const late: AuditResult = { ...evaluate(stack), validationSkipped: true };
    results.set(stack, late);
    return late;
  },
  /** Runs the audit on a stack now, without synthesizing it (suppressions and relaxations applied). */
  evaluate(stack: TerraformStack): AuditResult {
    return evaluate(stack);
  },
};
