/**
 * Constant-size rendering of identity classes (issue 16): the members of a class hold the same
 * roles, so their rules differ only by `{username}`. A broker that substitutes the username at
 * check time (Mosquitto `pattern` lines with `%u`, EMQX `${username}`) can hold the class's rules
 * once instead of once per member.
 *
 * Both brokers apply such a rule to EVERY authenticated client, not only to the class's members.
 * So one group of classes with identical rules (the "pattern group") is rendered this way, and
 * every other principal keeps its per-user block plus one deny line per allow template, expanded
 * with its own username: the template can then grant it nothing. That deny must not take away
 * anything the principal's own allow rules give it; where it would (the filters intersect), the
 * group is not eligible and the next largest is tried, else everything stays per-user.
 */
import type { Action, Effect, Policy, Principal } from './model.js';
import { filtersIntersect } from './topic.js';

/** A rule of a class as written in its roles: `{username}` and `{clientId}` still in place. */
export interface TemplateRule {
  readonly effect: Effect;
  readonly action: Action;
  readonly topic: string;
  readonly role: string;
}

export interface PatternGroup {
  /** The identity classes rendered through the templates. */
  readonly classes: readonly string[];
  /** Their member usernames (rendered with no per-user line). */
  readonly members: ReadonlySet<string>;
  /** The shared rules, deduplicated, in role order. */
  readonly rules: readonly TemplateRule[];
}

export interface PatternGroupOptions {
  /** The broker's topic for a template rule expanded for one username (placeholders resolved). */
  readonly expand: (topic: string, username: string) => string;
  /** Whether the broker can render this template topic as a pattern (e.g. no literal `%u` for Mosquitto). */
  readonly renderable: (topic: string) => boolean;
  /** The broker's topic of a principal's own (resolved) rule. */
  readonly own: (p: Principal, topic: string) => string;
  /**
   * The broker reads a principal's own rules before the shields (EMQX: first match wins, the
   * shields follow the principal's rules), so a shield can never take away an own allow.
   * Mosquitto reads a user's deny lines before its allow lines, so there the overlap is checked.
   * @default false
   */
  readonly shieldsAfterOwnRules?: boolean;
}

function templateOf(policy: Policy, roles: readonly string[]): TemplateRule[] {
  const byName = new Map(policy.spec.roles.map((r) => [r.name, r]));
  const seen = new Set<string>();
  const out: TemplateRule[] = [];
  for (const rn of roles) {
    for (const rule of byName.get(rn)?.rules ?? []) {
      for (const topic of rule.topics) {
        const t: TemplateRule = { effect: rule.effect ?? 'allow', action: rule.action, topic, role: rn };
        const key = `${t.effect}\u0000${t.action}\u0000${t.topic}`;
        if (!seen.has(key)) out.push(t);
        seen.add(key);
      }
    }
  }
  return out;
}

/**
 * The group of identity classes to render as templates: classes with the same rules are merged;
 * groups are tried largest first, and the first one whose templates every other principal can be
 * shielded from wins. Undefined when no class qualifies.
 */
export function choosePatternGroup(policy: Policy, opts: PatternGroupOptions): PatternGroup | undefined {
  const groups = new Map<string, { classes: string[]; members: string[]; rules: TemplateRule[] }>();
  for (const id of policy.spec.identities) {
    if (!id.members) continue;
    const rules = templateOf(policy, id.roles);
    if (!rules.every((r) => opts.renderable(r.topic))) continue;
    const key = JSON.stringify(rules.map((r) => [r.effect, r.action, r.topic]).sort());
    const g = groups.get(key) ?? { classes: [], members: [], rules };
    g.classes.push(id.name);
    for (const m of id.members) g.members.push(m);
    groups.set(key, g);
  }
  const ordered = [...groups.values()].sort((a, b) => b.members.length - a.members.length);
  for (const g of ordered) {
    const members = new Set(g.members);
    if (opts.shieldsAfterOwnRules || shieldable(policy, members, g.rules, opts)) return { classes: g.classes, members, rules: g.rules };
  }
  return undefined;
}

/**
 * Mosquitto reads a user's deny lines before its allow lines, and a deny line refuses every
 * access (there is no publish-only deny). A shield that meets one of the user's own allow rules
 * would therefore refuse something the model allows, and without the shield the pattern would
 * give something the model refuses: such a group is not eligible. Example: devices read
 * `devices/{username}/commands/#`, and a backend publishes to `devices/+/commands/#`; for the
 * backend the pattern means reading `devices/backend/commands/#`, which the policy does not give it.
 */
function shieldable(policy: Policy, members: ReadonlySet<string>, rules: readonly TemplateRule[], opts: PatternGroupOptions): boolean {
  const allows = rules.filter((r) => r.effect === 'allow');
  return policy.principals.every((p) => {
    if (members.has(p.username)) return true;
    const own = p.rules.filter((r) => r.effect === 'allow').map((r) => opts.own(p, r.topic));
    return allows.every((t) => {
      const s = opts.expand(t.topic, p.username);
      return own.every((o) => !filtersIntersect(s, o));
    });
  });
}

/** The deny lines that keep a principal outside the group from gaining the group's allow templates. */
export function shieldsFor(group: PatternGroup, username: string, expand: (topic: string, username: string) => string): string[] {
  return [...new Set(group.rules.filter((r) => r.effect === 'allow').map((r) => expand(r.topic, username)))];
}
