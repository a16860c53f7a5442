/**
 * The audit engine: a cdktf Aspect added per stack (cdktf ignores aspects on the App, and runs
 * them on every synth: this one is idempotent) that evaluates the rule pack over the stack's
 * final Terraform JSON, applies suppressions, and fails synthesis through a stack validation when
 * an unsuppressed error remains. Fails closed: a rule that throws is a finding.
 */
import { Aspects, TerraformStack, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { FortressError, show } from '../core/errors.js';
import { textProblem } from '../core/text.js';
import type { Relaxation } from '../core/relaxation.js';
import { auditContext, RULE_IDS, RULES, type AuditRule, type Level, type RuleRow } from './rules.js';

export interface Suppression {
  /** Rule id, e.g. `MON-1`. */
  readonly id: string;
  /** Why; at least 10 characters. Shown in the report. */
  readonly reason: string;
  /** Only findings whose key contains one of these strings. @default - every finding of the rule under the construct */
  readonly appliesTo?: readonly string[];
}

export const SUPPRESSION_FORMAT_VERSION = 1;

const suppressions = new WeakMap<IConstruct, { s: Suppression; origin: string }[]>();

function checkSuppression(where: string, s: Suppression): void {
  if (!s || !RULE_IDS.has(s.id)) throw new FortressError('AUDIT_SUPPRESSION', `${where}: unknown rule id ${show(s?.id)}; known: ${[...RULE_IDS].join(', ')}.`);
  if (typeof s.reason !== 'string' || s.reason.trim().length < 10) throw new FortressError('AUDIT_SUPPRESSION', `${where}: suppression of ${s.id} needs a reason of at least 10 characters, got ${show(s.reason)}; it is shown in the security report.`);
  const problem = textProblem(s.reason);
  if (problem) throw new FortressError('AUDIT_SUPPRESSION', `${where}: the reason of the ${s.id} suppression ${problem}; it is one line of the security report.`);
  if (s.appliesTo !== undefined && (!Array.isArray(s.appliesTo) || s.appliesTo.some((x) => typeof x !== 'string' || x.length === 0))) {
    throw new FortressError('AUDIT_SUPPRESSION', `${where}: appliesTo of the ${s.id} suppression must be a list of non-empty finding keys, got ${show(s.appliesTo)}.`);
  }
}

export const Suppressions = {
  /** Suppresses findings of rules on `scope` and everything below it. */
  add(scope: IConstruct, list: readonly Suppression[], origin = 'suppression'): void {
    list.forEach((s, i) => checkSuppression(`${scope.node.path} suppression[${i}]`, s));
    suppressions.set(scope, [...(suppressions.get(scope) ?? []), ...list.map((s) => ({ s, origin }))]);
  },
  /** Same, by construct path; throws when the path matches nothing (a stale suppression hides nothing). */
  addByPath(stack: TerraformStack, path: string, list: readonly Suppression[]): void {
    const found = stack.node.findAll().find((c) => c.node.path === path);
    if (!found) throw new FortressError('AUDIT_SUPPRESSION_PATH', `no construct at path ${show(path)} in stack ${stack.node.id}; suppressions by path must name an existing construct.`);
    Suppressions.add(found, list);
  },
  /** Suppressions that apply at a construct, its own and its ancestors'. */
  at(scope: IConstruct): { s: Suppression; origin: string }[] {
    return scope.node.scopes.flatMap((c) => suppressions.get(c) ?? []);
  },
};

export interface AuditRow extends RuleRow {
  readonly rule: string;
  readonly level: Level;
  readonly suppressed?: { readonly reason: string; readonly origin: string };
}

export interface AuditResult {
  readonly version: 1;
  readonly stack: string;
  readonly rules: readonly { id: string; level: Level; info: string; explanation: string; fix: string }[];
  readonly rows: readonly AuditRow[];
  readonly summary: { compliant: number; nonCompliant: number; suppressed: number; notApplicable: number; errors: number; warnings: number };
}

/** Turns the kit's recorded relaxations (props with reasons) into suppressions of their rule. */
function relaxationSuppressions(stack: TerraformStack): void {
  for (const c of stack.node.findAll()) {
    const r = (c as unknown as { relaxations?: readonly Relaxation[] }).relaxations;
    if (Array.isArray(r) && r.length && !(c as unknown as { __fortressRelaxed?: boolean }).__fortressRelaxed) {
      Suppressions.add(c, r.filter((x) => RULE_IDS.has(x.id)).map((x) => ({ id: x.id, reason: `${x.prop}: ${x.reason}`, ...(x.appliesTo ? { appliesTo: x.appliesTo } : {}) })), 'relaxation');
      (c as unknown as { __fortressRelaxed?: boolean }).__fortressRelaxed = true;
    }
    const exceptions = (c as unknown as { policy?: { spec?: { exceptions?: { rule: string; topic: string; reason: string; role: string }[] } } }).policy?.spec?.exceptions;
    if (exceptions?.length && !(c as unknown as { __fortressExceptions?: boolean }).__fortressExceptions) {
      Suppressions.add(c, exceptions.filter((e) => e.rule === 'ACL-2-broad').map((e) => ({ id: 'ACL-2', reason: `policy exception for role ${e.role} on ${e.topic}: ${e.reason}`, appliesTo: [e.topic] })), 'policy exception');
      (c as unknown as { __fortressExceptions?: boolean }).__fortressExceptions = true;
    }
  }
}

export function evaluate(stack: TerraformStack, rules: readonly AuditRule[] = RULES, json: any = stack.toTerraform()): AuditResult {
  relaxationSuppressions(stack);
  const ctx = auditContext(stack.node.id, json);
  const byPath = new Map(stack.node.findAll().map((c) => [c.node.path, c]));
  const rows: AuditRow[] = [];
  for (const rule of rules) {
    let got: RuleRow[];
    try {
      got = rule.check(ctx);
    } catch (e) {
      got = [{ status: 'non-compliant', path: stack.node.path, finding: `${rule.id}[rule-error]`, detail: `the rule failed to run: ${(e as Error).message}` }];
    }
    for (const r of got) {
      let suppressed: AuditRow['suppressed'];
      if (r.status === 'non-compliant') {
        const c = byPath.get(r.path) ?? stack;
        const hit = Suppressions.at(c).find(({ s }) => s.id === rule.id && (!s.appliesTo || s.appliesTo.some((a) => r.finding?.includes(a))));
        if (hit) suppressed = { reason: hit.s.reason, origin: hit.origin };
      }
      rows.push({ ...r, rule: rule.id, level: rule.level, ...(suppressed ? { suppressed } : {}) });
    }
  }
  const open = rows.filter((r) => r.status === 'non-compliant' && !r.suppressed);
  return {
    version: 1,
    stack: stack.node.id,
    rules: rules.map(({ id, level, info, explanation, fix }) => ({ id, level, info, explanation, fix })),
    rows,
    summary: {
      compliant: rows.filter((r) => r.status === 'compliant').length,
      nonCompliant: open.length,
      suppressed: rows.filter((r) => r.suppressed).length,
      notApplicable: rows.filter((r) => r.status === 'not-applicable').length,
      errors: open.filter((r) => r.level === 'error').length,
      warnings: open.filter((r) => r.level === 'warning').length,
    },
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

/**
 * The audit needs the stack's final Terraform JSON, and the synthesizer computes the same JSON
 * right after the validations. Resolving it twice cost 150 ms at 10 000 identities, so the
 * audit's copy serves the synthesizer's next call in the same synchronous synthesis; the memo
 * is dropped at the next microtask, so a later call always resolves afresh.
 */
function evaluateAndMemo(stack: TerraformStack): AuditResult {
  const json = stack.toTerraform();
  const result = evaluate(stack, RULES, json);
  const s = stack as unknown as { toTerraform: () => any };
  if (!Object.prototype.hasOwnProperty.call(s, 'toTerraform')) {
    let served = false;
    s.toTerraform = () => {
      if (served) return TerraformStack.prototype.toTerraform.call(stack);
      served = true;
      return json;
    };
    queueMicrotask(() => delete (s as { toTerraform?: unknown }).toTerraform);
  }
  return result;
}

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
          r = evaluateAndMemo(stack);
          results.set(stack, r);
        }
        return r.rows
          .filter((x) => x.status === 'non-compliant' && !x.suppressed && x.level === 'error')
          .map((x) => `[${x.path}] ${x.finding}: ${x.detail}. Fix: ${RULES.find((y) => y.id === x.rule)!.fix} Or suppress it with Suppressions.add(construct, [{ id: '${x.rule}', reason: '...' }]).`);
      },
    });
  },
  /** The latest result of a stack (after synth). */
  resultOf(stack: TerraformStack): AuditResult | undefined {
    return results.get(stack);
  },
  evaluate,
};
