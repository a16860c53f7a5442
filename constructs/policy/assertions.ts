/**
 * Access assertions: cases a policy file states it must hold forever ("sensor-0001 may never
 * read sensor-0002's subtree", "backend may subscribe to all telemetry"). They are checked when
 * the policy is built, against {@link Policy.allows}, the reference semantics every renderer
 * (Mosquitto ACL file, dynamic security, EMQX) is tested to reproduce. A failing case names the
 * rule that grants it (failing deny) or the deny rule / missing rule that blocks it (failing allow).
 * Pure TypeScript, no cdktf.
 */
import { FortressError } from '../core/errors.js';
import type { Policy, PolicyIssue, PolicySpec, ResolvedRule } from './model.js';
import { checkFilter, hasWildcard, substitute } from './topic.js';

/** One access case: publish to a topic name, or subscribe to a topic filter. */
export interface AccessCase {
  readonly action: 'publish' | 'subscribe';
  /** For publish a topic name (no wildcards); for subscribe a filter. `{username}` / `{clientId}` may fill whole levels. */
  readonly topic: string;
}

export interface AccessAssertion {
  /** An identity name, an identity class name (every member), or one member's username. */
  readonly identity: string;
  /** Cases that must be allowed. @default - none */
  readonly allow?: readonly AccessCase[];
  /** Cases that must be refused. @default - none */
  readonly deny?: readonly AccessCase[];
}

/**
 * Above this many members, an assertion on an identity class checks a sample of this size
 * (always including the first and the last member), drawn with a seed derived from the class
 * name and printed in every message: the same policy always checks the same members.
 */
export const ASSERTION_SAMPLE_SIZE = 1000;

/** The result of one case for one username. */
export interface AssertionResult {
  /** Path of the case in the spec, e.g. `['assertions', 0, 'deny', 1]`. */
  readonly path: readonly (string | number)[];
  readonly identity: string;
  readonly username: string;
  readonly action: 'publish' | 'subscribe';
  /** The topic with placeholders filled for this username. */
  readonly topic: string;
  readonly expect: 'allow' | 'deny';
  readonly holds: boolean;
  /** Why the policy allows or refuses: the deciding rule, or that no rule grants it. */
  readonly because: string;
  /** For an identity class: how many members were checked, of how many, and the sample seed. */
  readonly sample?: { readonly checked: number; readonly members: number; readonly seed: string };
}

/** Thrown by Policy.from when an assertion fails. */
export class PolicyAssertionError extends FortressError {
  public readonly failures: readonly AssertionResult[];
  constructor(failures: readonly AssertionResult[], where: (path: readonly (string | number)[]) => string) {
    const lines = failures.map((f) => `  - ${where(f.path)}: ${describeResult(f)}`);
    super(
      'POLICY_ASSERTION',
      `The access policy fails ${failures.length} assertion case${failures.length === 1 ? '' : 's'}:\n${lines.join('\n')}\nFix the rule named, or the assertion if the change of access is intended.`,
    );
    this.failures = failures;
  }
}

const ruleWords = (r: ResolvedRule) => `role "${r.role}" rule ${r.effect} ${r.action} ${JSON.stringify(r.topic)}`;

/** One line: what was asserted, what the policy does and why. */
export function describeResult(r: AssertionResult): string {
  const sample = r.sample ? ` (identity class "${r.identity}": member ${r.username}; ${r.sample.checked} of ${r.sample.members} members checked, sample seed ${r.sample.seed})` : '';
  const verb = r.action === 'publish' ? 'publish to' : 'subscribe to';
  const head = r.holds
    ? `${r.username} ${r.expect === 'allow' ? 'may' : 'may not'} ${verb} ${JSON.stringify(r.topic)}, as asserted`
    : `${r.username} ${r.expect === 'allow' ? 'may not' : 'may'} ${verb} ${JSON.stringify(r.topic)}, but the assertion says ${r.expect}`;
  return `${head}: ${r.because}${sample}`;
}

/** Issues of the assertions list (the shape is checked already). */
export function validateAssertions(spec: PolicySpec): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const known = new Set(spec.identities.flatMap((id) => [id.name, ...(id.members ?? [])]));
  (spec.assertions ?? []).forEach((a, ai) => {
    const ap: (string | number)[] = ['assertions', ai];
    if (!known.has(a.identity)) {
      issues.push({ path: [...ap, 'identity'], message: `unknown identity ${JSON.stringify(a.identity)}; name an identity, an identity class or a member username of this policy` });
    }
    if ((a.allow?.length ?? 0) + (a.deny?.length ?? 0) === 0) issues.push({ path: ap, message: 'an assertion needs at least one case under "allow" or "deny"' });
    for (const expect of ['allow', 'deny'] as const) {
      (a[expect] ?? []).forEach((c, ci) => {
        const cp = [...ap, expect, ci, 'topic'];
        for (const p of checkFilter(c.topic)) issues.push({ path: cp, message: `invalid topic ${JSON.stringify(c.topic)}: ${p.problem}. Fix: ${p.fix}` });
        if (c.action === 'publish' && hasWildcard(c.topic)) {
          issues.push({
            path: cp,
            message: `a publish case names one topic, got the filter ${JSON.stringify(c.topic)}; MQTT forbids publishing to "+" or "#". Use a concrete topic, or action "subscribe"`,
          });
        }
      });
    }
  });
  return issues;
}

/** FNV-1a, 32 bits: the seed of a class's sample, stable for a class name. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(text, 'utf8')) h = Math.imul(h ^ ch, 0x01000193) >>> 0;
  return h;
}

/** mulberry32: a small seeded generator, enough to pick a sample. */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The members of a class to check: all, or a seeded sample with the first and last member. */
export function sampleMembers(members: readonly string[], seed: number, size = ASSERTION_SAMPLE_SIZE): string[] {
  if (members.length <= size) return [...members];
  const idx = members.map((_, i) => i);
  const rnd = generator(seed);
  // Partial Fisher-Yates over the inner members; the first and last are always in.
  const inner = idx.slice(1, -1);
  for (let i = 0; i < size - 2; i++) {
    const j = i + Math.floor(rnd() * (inner.length - i));
    [inner[i], inner[j]] = [inner[j]!, inner[i]!];
  }
  const chosen = [0, ...inner.slice(0, size - 2).sort((x, y) => x - y), members.length - 1];
  return chosen.map((i) => members[i]!);
}

/** Evaluates every case of every assertion against the policy. */
export function evaluateAssertions(policy: Policy): AssertionResult[] {
  const out: AssertionResult[] = [];
  (policy.spec.assertions ?? []).forEach((a, ai) => {
    const cls = policy.spec.identities.find((id) => id.members && id.name === a.identity);
    let usernames: string[] = [a.identity];
    let sample: AssertionResult['sample'];
    if (cls) {
      const seed = seedOf(cls.name);
      usernames = sampleMembers(cls.members!, seed);
      sample = { checked: usernames.length, members: cls.members!.length, seed: `0x${seed.toString(16).padStart(8, '0')}` };
    }
    for (const expect of ['allow', 'deny'] as const) {
      (a[expect] ?? []).forEach((c, ci) => {
        for (const username of usernames) {
          const topic = substitute(c.topic, { username, clientId: username });
          const x = policy.explain(username, c.action, topic);
          const because = x.deny
            ? `refused by ${ruleWords(x.deny)}`
            : x.allow
              ? `granted by ${ruleWords(x.allow)}`
              : `no rule of ${(policy.principal(username)?.roles ?? []).map((r) => `role "${r}"`).join(', ') || 'any role'} grants ${c.action} on it (default deny)`;
          out.push({
            path: ['assertions', ai, expect, ci],
            identity: a.identity,
            username,
            action: c.action,
            topic,
            expect,
            holds: x.allowed === (expect === 'allow'),
            because,
            ...(sample ? { sample } : {}),
          });
        }
      });
    }
  });
  return out;
}
