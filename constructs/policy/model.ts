/**
 * The access-policy model: one typed description of who may connect and what each may touch,
 * rendered into every broker's dialect (baseline ACL-1..ACL-4). Pure TypeScript, no cdktf.
 */
import { FortressError } from '../core/errors.js';
import { type AccessAssertion, type AssertionResult, evaluateAssertions, PolicyAssertionError, validateAssertions } from './assertions.js';
import { checkShape, POLICY_SHAPE } from './shape.js';
import { checkFilter, filterCovers, hasWildcard, isBroad, isDollarTopic, isSharedSubscription, substitute, topicMatches } from './topic.js';

export type Effect = 'allow' | 'deny';
/** `publish` = send to the topic; `subscribe` = subscribe and receive; `all` = both. */
export type Action = 'publish' | 'subscribe' | 'all';
export type IdentityKind = 'device' | 'service' | 'operator' | 'monitoring';
export const IDENTITY_KINDS: readonly IdentityKind[] = ['device', 'service', 'operator', 'monitoring'];

export interface RuleSpec {
  /** @default 'allow' */
  readonly effect?: Effect;
  readonly action: Action;
  /** Topic filters; `{username}` and `{clientId}` may fill whole levels. */
  readonly topics: readonly string[];
}

export interface RoleSpec {
  readonly name: string;
  readonly description?: string;
  readonly rules: readonly RuleSpec[];
}

export interface IdentitySpec {
  /** The MQTT username, or the name of an identity class when `members` is set. */
  readonly name: string;
  readonly kind: IdentityKind;
  readonly roles: readonly string[];
  /**
   * Usernames of the members of an identity class (for example a fleet of devices that share
   * one role). Each member gets its own credential.
   * @default - the identity is a single client whose username is `name`
   */
  readonly members?: readonly string[];
  readonly description?: string;
}

/** Baseline rules that a policy may relax, each only with a written reason. */
export type RelaxableRule = 'ACL-2-broad' | 'ACL-2-device-shared' | 'ACL-3-sys-read';

export interface PolicyException {
  /** Which check to relax. */
  readonly rule: RelaxableRule;
  /** The role whose rule is excepted. */
  readonly role: string;
  /** The exact topic filter in that role that is excepted. */
  readonly topic: string;
  /** Why, in words a reviewer can judge (at least 10 characters). Shown in the security report. */
  readonly reason: string;
}

export interface PolicySpec {
  readonly version?: 1;
  readonly roles: readonly RoleSpec[];
  readonly identities: readonly IdentitySpec[];
  /** @default - none: every check applies */
  readonly exceptions?: readonly PolicyException[];
  /**
   * Access cases the policy must hold, checked whenever the policy is built (docs/assertions.md).
   * @default - none
   */
  readonly assertions?: readonly AccessAssertion[];
}

/** A rule after placeholders: what one principal may do. */
export interface ResolvedRule {
  readonly effect: Effect;
  readonly action: Action;
  readonly topic: string;
  /** The role the rule comes from. */
  readonly role: string;
}

/** One username that can connect, with its identity and rules. */
export interface Principal {
  readonly username: string;
  readonly identity: string;
  readonly kind: IdentityKind;
  readonly roles: readonly string[];
  /** Rules with `{username}` substituted; `{clientId}` left in place. */
  readonly rules: readonly ResolvedRule[];
}

export interface PolicyIssue {
  /** JSON path into the spec, e.g. `['identities', 2, 'roles', 0]`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Thrown for an invalid policy; `issues` lists every problem with its path. */
export class PolicyError extends FortressError {
  public readonly issues: readonly PolicyIssue[];
  constructor(issues: readonly PolicyIssue[], where?: (path: readonly (string | number)[]) => string) {
    const lines = issues.map((i) => `  - ${where ? where(i.path) : formatPath(i.path)}: ${i.message}`);
    super('POLICY_INVALID', `The access policy has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${lines.join('\n')}`);
    this.issues = issues;
  }
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(policy)';
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface AccessContext {
  /** Client id the client connects with. @default - equal to the username */
  readonly clientId?: string;
}

/** A validated policy. Construct with {@link Policy.from}. */
export class Policy {
  /** Validates a spec and returns the policy, or throws {@link PolicyError} listing every problem. */
  public static from(spec: PolicySpec, where?: (path: readonly (string | number)[]) => string): Policy {
    const shape = checkShape(spec, POLICY_SHAPE);
    if (shape.issues.length > 0) throw new PolicyError(shape.issues, where);
    // The frozen copy, not the caller's object: what was validated is what is rendered.
    const copy = shape.value as PolicySpec;
    const issues = validatePolicy(copy);
    if (issues.length > 0) throw new PolicyError(issues, where);
    const policy = new Policy(copy);
    policy.assertionsChecked = Object.freeze(evaluateAssertions(policy));
    const failed = policy.assertionResults.filter((r) => !r.holds);
    if (failed.length > 0) {
      // One line per failing case: for an identity class, its first failing member and a count.
      const byCase = new Map<string, AssertionResult[]>();
      for (const f of failed) byCase.set(f.path.join('.'), [...(byCase.get(f.path.join('.')) ?? []), f]);
      const first = [...byCase.values()].map((fs) => (fs.length > 1 ? { ...fs[0]!, because: `${fs[0]!.because}; ${fs.length - 1} more member(s) of the class fail this case too` } : fs[0]!));
      throw new PolicyAssertionError(first, where ?? formatPath);
    }
    return policy;
  }

  public readonly spec: PolicySpec;
  private assertionsChecked: readonly AssertionResult[] = [];
  /** Every case of the policy's assertions with its result (all hold: Policy.from refuses otherwise). */
  public get assertionResults(): readonly AssertionResult[] {
    return this.assertionsChecked;
  }
  public readonly principals: readonly Principal[];
  private readonly byUsername: Map<string, Principal>;

  private constructor(spec: PolicySpec) {
    this.spec = spec;
    const roles = new Map(spec.roles.map((r) => [r.name, r]));
    this.principals = spec.identities.flatMap((id) =>
      (id.members ?? [id.name]).map((username) => ({
        username,
        identity: id.name,
        kind: id.kind,
        roles: id.roles,
        rules: id.roles.flatMap((rn) =>
          roles.get(rn)!.rules.flatMap((rule) => rule.topics.map((t) => ({ effect: rule.effect ?? 'allow', action: rule.action, topic: substitute(t, { username }), role: rn }))),
        ),
      })),
    );
    this.byUsername = new Map(this.principals.map((p) => [p.username, p]));
  }

  public principal(username: string): Principal | undefined {
    return this.byUsername.get(username);
  }

  /**
   * The reference semantics every renderer must reproduce (baseline ACL-1, ACL-4):
   * default deny; a matching deny rule wins over any allow rule.
   * - `publish` on a topic name: a rule for publish matches the topic.
   * - `subscribe` on a filter: a rule for subscribe covers the filter ({@link filterCovers}).
   * - `receive` on a topic name: a rule for subscribe matches the topic (Mosquitto checks this on delivery).
   */
  public allows(username: string, op: 'publish' | 'subscribe' | 'receive', topic: string, ctx: AccessContext = {}): boolean {
    return this.explain(username, op, topic, ctx).allowed;
  }

  /**
   * {@link allows} with its reason: the first deny rule that applies (which wins), else the
   * first allow rule that applies, else neither (default deny).
   */
  public explain(username: string, op: 'publish' | 'subscribe' | 'receive', topic: string, ctx: AccessContext = {}): { allowed: boolean; deny?: ResolvedRule; allow?: ResolvedRule } {
    // Typed callers cannot get these wrong; an untyped caller's typo ("Publish", "read") must not
    // be read as a subscription and answered true.
    if (op !== 'publish' && op !== 'subscribe' && op !== 'receive') throw new FortressError('POLICY_QUERY', `allows: unknown operation ${JSON.stringify(op)}; use "publish", "subscribe" or "receive"`);
    if (typeof topic !== 'string') throw new FortressError('POLICY_QUERY', `allows: the topic must be a string, got ${typeof topic}`);
    const p = this.byUsername.get(username);
    if (!p) return { allowed: false };
    const clientId = ctx.clientId ?? username;
    const wanted: Action = op === 'publish' ? 'publish' : 'subscribe';
    const applies = (r: ResolvedRule): boolean => {
      if (r.action !== 'all' && r.action !== wanted) return false;
      const filter = substitute(r.topic, { username, clientId });
      return op === 'subscribe' ? filterCovers(filter, topic) : topicMatches(filter, topic);
    };
    const deny = p.rules.find((r) => r.effect === 'deny' && applies(r));
    if (deny) return { allowed: false, deny };
    const allow = p.rules.find((r) => r.effect === 'allow' && applies(r));
    return allow ? { allowed: true, allow } : { allowed: false };
  }

  /** The same policy limited to the given usernames (for a listener that admits only some). */
  public restrictTo(usernames: readonly string[]): Policy {
    if (!Array.isArray(usernames) || usernames.some((u) => typeof u !== 'string')) throw new FortressError('POLICY_QUERY', 'restrictTo: give a list of usernames');
    const keep = new Set(usernames);
    const identities = this.spec.identities.flatMap((id) => {
      const members = (id.members ?? [id.name]).filter((u) => keep.has(u));
      if (members.length === 0) return [];
      return [id.members ? { ...id, members } : id];
    });
    const restricted = new Policy({ ...this.spec, identities });
    restricted.assertionsChecked = this.assertionsChecked;
    return restricted;
  }

  /** Every rule that uses `{clientId}`. */
  public usesClientId(): boolean {
    return this.spec.roles.some((r) => r.rules.some((rule) => rule.topics.some((t) => t.split('/').includes('{clientId}'))));
  }
}

/** Returns every problem in the spec (empty when valid). */
export function validatePolicy(spec: PolicySpec): PolicyIssue[] {
  // Types first, generically (every field, every list element, unknown keys, characters of
  // every string): the checks below may then rely on the declared types.
  const shape = checkShape(spec, POLICY_SHAPE);
  if (shape.issues.length > 0) return shape.issues;
  const issues: PolicyIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });

  const exceptions = spec.exceptions ?? [];
  const used = new Set<number>();
  const excepted = (rule: RelaxableRule, role: string, topic: string): boolean => {
    const i = exceptions.findIndex((e) => e.rule === rule && e.role === role && e.topic === topic);
    if (i >= 0) used.add(i);
    return i >= 0;
  };

  const roleNames = new Map<string, number>();
  spec.roles.forEach((role, ri) => {
    const rp: (string | number)[] = ['roles', ri];
    if (!role || typeof role.name !== 'string' || !ROLE_NAME.test(role.name)) {
      add([...rp, 'name'], `invalid role name ${JSON.stringify(role?.name)}; use letters, digits, ".", "_" or "-" (at most 64)`);
      return;
    }
    if (roleNames.has(role.name)) add([...rp, 'name'], `duplicate role "${role.name}" (also roles[${roleNames.get(role.name)}]); give each role one definition`);
    else roleNames.set(role.name, ri);
    if (!Array.isArray(role.rules) || role.rules.length === 0) add([...rp, 'rules'], `role "${role.name}" has no rules; a role must grant or deny something`);
  });

  // Which kinds hold each role, for the kind-specific checks.
  const kindsOfRole = new Map<string, Set<IdentityKind>>();
  const seen = new Map<string, string>();
  spec.identities.forEach((id, ii) => {
    const ip: (string | number)[] = ['identities', ii];
    if (!id || typeof id !== 'object') {
      add(ip, 'must be an object with name, kind and roles');
      return;
    }
    if (!IDENTITY_KINDS.includes(id.kind)) add([...ip, 'kind'], `unknown kind ${JSON.stringify(id.kind)}; use one of ${IDENTITY_KINDS.join(', ')}`);
    const names = id.members ?? [id.name];
    if (typeof id.name !== 'string' || !USERNAME.test(id.name)) {
      add([...ip, 'name'], `invalid name ${JSON.stringify(id.name)}; use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit (no "/", "+", "#", ":" or spaces)`);
    }
    if (id.members !== undefined) {
      if (!Array.isArray(id.members) || id.members.length === 0) add([...ip, 'members'], 'an identity class needs at least one member username');
      else if (seen.has(`class:${id.name}`)) add([...ip, 'name'], `duplicate identity class "${id.name}"`);
      seen.set(`class:${id.name}`, id.name);
    }
    (Array.isArray(names) ? names : []).forEach((u, mi) => {
      const path = id.members ? [...ip, 'members', mi] : [...ip, 'name'];
      if (id.members && (typeof u !== 'string' || !USERNAME.test(u))) {
        add(path, `invalid username ${JSON.stringify(u)}; use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`);
        return;
      }
      if (seen.has(u)) add(path, `duplicate identity "${u}" (already declared by "${seen.get(u)}"); every username must be declared once`);
      else seen.set(u, id.name);
    });
    if (!Array.isArray(id.roles) || id.roles.length === 0) {
      add([...ip, 'roles'], `identity "${id.name}" has no roles; with default deny it could do nothing. Give it at least one role`);
      return;
    }
    id.roles.forEach((rn, k) => {
      if (!roleNames.has(rn)) {
        add([...ip, 'roles', k], `unknown role "${rn}"; defined roles: ${[...roleNames.keys()].join(', ') || '(none)'}`);
        return;
      }
      if (!kindsOfRole.has(rn)) kindsOfRole.set(rn, new Set());
      kindsOfRole.get(rn)!.add(id.kind);
    });
  });

  spec.roles.forEach((role, ri) => {
    if (!role || !Array.isArray(role.rules)) return;
    const kinds = kindsOfRole.get(role.name) ?? new Set<IdentityKind>();
    role.rules.forEach((rule, k) => {
      const rp: (string | number)[] = ['roles', ri, 'rules', k];
      const effect = rule.effect ?? 'allow';
      if (effect !== 'allow' && effect !== 'deny') add([...rp, 'effect'], `unknown effect ${JSON.stringify(rule.effect)}; use "allow" or "deny"`);
      if (!['publish', 'subscribe', 'all'].includes(rule.action)) add([...rp, 'action'], `unknown action ${JSON.stringify(rule.action)}; use "publish", "subscribe" or "all"`);
      if (!Array.isArray(rule.topics) || rule.topics.length === 0) {
        add([...rp, 'topics'], 'a rule needs at least one topic filter');
        return;
      }
      rule.topics.forEach((topic: string, ti: number) => {
        const tp = [...rp, 'topics', ti];
        if (typeof topic !== 'string') {
          add(tp, `topic filter must be a string, got ${JSON.stringify(topic)}`);
          return;
        }
        for (const p of checkFilter(topic)) add(tp, `invalid topic filter ${JSON.stringify(topic)}: ${p.problem}. Fix: ${p.fix}`);
        if (isSharedSubscription(topic)) {
          add(
            tp,
            `role "${role.name}" has the filter ${JSON.stringify(topic)}: "${topic.split('/')[0]}/" starts a shared subscription, not a topic, and the brokers authorize it three different ways (Mosquitto's acl_file by the filter after "$share/<group>/", dynamic-security by the whole filter, EMQX by the whole filter without checking delivery, so on EMQX "$share/g/#" would read every topic). Write the rule for the topic itself (e.g. "devices/+/telemetry")`,
          );
          return;
        }
        if (effect !== 'allow') return;
        const publishes = rule.action !== 'subscribe';
        if (publishes && isDollarTopic(topic)) {
          add(tp, `role "${role.name}" may publish to ${JSON.stringify(topic)}: write access to "$" topics ($SYS, $CONTROL) is never allowed (baseline ACL-3). Remove it or make the rule "subscribe"`);
        }
        if (!publishes && isDollarTopic(topic) && [...kinds].some((kd) => kd === 'device' || kd === 'service') && !excepted('ACL-3-sys-read', role.name, topic)) {
          add(
            tp,
            `role "${role.name}" is held by a device or service identity and reads ${JSON.stringify(topic)}; broker internals are for monitoring and operator identities. Move the rule to a monitoring role or add an exception {rule: ACL-3-sys-read, role: ${role.name}, topic: ${topic}, reason}`,
          );
        }
        if (isBroad(topic) && !excepted('ACL-2-broad', role.name, topic)) {
          add(
            tp,
            `role "${role.name}" allows ${JSON.stringify(topic)}, which reaches every subtree (baseline ACL-2). Scope it (e.g. "devices/{username}/#") or add an exception {rule: ACL-2-broad, role: ${role.name}, topic: ${JSON.stringify(topic)}, reason: "..."}`,
          );
        }
        if (kinds.has('device')) {
          const levels = topic.split('/');
          const scoped = levels.includes('{username}') || levels.includes('{clientId}');
          if (!scoped && !excepted('ACL-2-device-shared', role.name, topic)) {
            add(
              tp,
              `role "${role.name}" is held by a device identity and allows ${JSON.stringify(topic)}, outside the device's own subtree (baseline ACL-2). Use a {username} level (e.g. "devices/{username}/#") or add an exception {rule: ACL-2-device-shared, role: ${role.name}, topic: ${JSON.stringify(topic)}, reason} for a shared topic`,
            );
          } else if (
            scoped &&
            hasWildcard(
              levels
                .slice(
                  0,
                  levels.findIndex((l) => l === '{username}' || l === '{clientId}'),
                )
                .join('/'),
            )
          ) {
            add(tp, `role "${role.name}" allows ${JSON.stringify(topic)}: a wildcard before the {username} level lets a device reach other subtrees. Put concrete levels before the placeholder`);
          }
        }
      });
    });
  });

  exceptions.forEach((e, i) => {
    const ep: (string | number)[] = ['exceptions', i];
    if (!e || typeof e.reason !== 'string' || e.reason.trim().length < 10)
      add([...ep, 'reason'], 'every exception needs a written reason of at least 10 characters; it is shown in the security report');
    if (!used.has(i)) add(ep, `exception ${JSON.stringify({ rule: e?.rule, role: e?.role, topic: e?.topic })} matches no rule that needs it; remove it (stale exceptions hide future mistakes)`);
  });
  issues.push(...validateAssertions(spec));
  return issues;
}
