/**
 * A small IAM policy evaluator for tests: decides one request against one policy document,
 * statement by statement, the way AWS documents it. Explicit Deny wins over Allow; no matching
 * Allow is an implicit deny. Supported: Effect, Action/NotAction and Resource/NotResource with
 * `*` and `?` wildcards (actions case-insensitive), Principal/NotPrincipal (`*`, AWS account,
 * root and role ARNs, Service, Federated), and the condition operators the kit's policies use:
 * String(Not)Equals, String(Not)Like, Arn(Not)Equals, Arn(Not)Like, Bool, Null, each (except
 * Null) also with the IfExists suffix. Anything else throws: the evaluator fails closed.
 *
 * Semantics (IAM User Guide, "IAM JSON policy elements: Condition operators"): several values
 * for one key are ORed, for a negated operator NORed; a key missing from the request makes a
 * positive operator false and a negated one true; `...IfExists` makes a missing key true; keys
 * are case-insensitive; several keys and several operators in one Condition are ANDed.
 */

export interface Principal {
  /** `AWS` for IAM users, roles and the root user; `Service`; `Federated` (web identity); `Anonymous`. */
  readonly type: 'AWS' | 'Service' | 'Federated' | 'Anonymous';
  /** For AWS: the role, user or root ARN (as `aws:PrincipalArn` gives it). For Service / Federated: the name. */
  readonly id: string;
}

export interface Request {
  readonly action: string;
  readonly resource: string;
  readonly principal: Principal;
  /** Condition keys of the request context. `aws:PrincipalArn` and `aws:PrincipalAccount` are derived for AWS principals unless given. */
  readonly context?: Readonly<Record<string, string | boolean>>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface Evaluation {
  readonly decision: Decision;
  /** Sids (or indexes) of the statements that matched, by effect. */
  readonly allowedBy: string[];
  readonly deniedBy: string[];
}

type Stmt = Record<string, any>;
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** `*` any run of characters, `?` one character; everything else literal. */
export function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'is' : 's',
  );
  return re.test(value);
}

function principalMatches(p: unknown, who: Principal): boolean {
  if (p === '*') return true;
  if (!p || typeof p !== 'object') throw new Error(`unsupported Principal ${JSON.stringify(p)}`);
  for (const [kind, values] of Object.entries(p as Record<string, unknown>)) {
    for (const v of list(values).map(String)) {
      if (v === '*' && kind === 'AWS') {
        if (who.type === 'AWS') return true;
        continue;
      }
      if (kind === 'AWS' && who.type === 'AWS') {
        // An account (id or root ARN) as principal stands for every principal of that account.
        const account = /^\d{12}$/.test(v) ? v : /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(v)?.[1];
        if (account ? accountOf(who.id) === account : v === who.id) return true;
      } else if (kind === who.type && v === who.id) return true;
      else if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(kind)) throw new Error(`unsupported principal kind ${kind}`);
    }
  }
  return false;
}

const accountOf = (arn: string) => /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1];

function contextOf(req: Request): Map<string, string> {
  const ctx = new Map<string, string>();
  if (req.principal.type === 'AWS') {
    ctx.set('aws:principalarn', req.principal.id);
    const acct = accountOf(req.principal.id);
    if (acct) ctx.set('aws:principalaccount', acct);
  }
  if (req.principal.type === 'Service') ctx.set('aws:principalisawsservice', 'true');
  else if (req.principal.type === 'AWS') ctx.set('aws:principalisawsservice', 'false');
  for (const [k, v] of Object.entries(req.context ?? {})) ctx.set(k.toLowerCase(), String(v));
  return ctx;
}

const OPERATORS: Record<string, { negated: boolean; match: (policy: string, actual: string) => boolean }> = {
  StringEquals: { negated: false, match: (p, a) => p === a },
  StringNotEquals: { negated: true, match: (p, a) => p === a },
  StringEqualsIgnoreCase: { negated: false, match: (p, a) => p.toLowerCase() === a.toLowerCase() },
  StringLike: { negated: false, match: (p, a) => wildcard(p, a) },
  StringNotLike: { negated: true, match: (p, a) => wildcard(p, a) },
  ArnEquals: { negated: false, match: (p, a) => p === a },
  ArnNotEquals: { negated: true, match: (p, a) => p === a },
  ArnLike: { negated: false, match: (p, a) => wildcard(p, a) },
  ArnNotLike: { negated: true, match: (p, a) => wildcard(p, a) },
  Bool: { negated: false, match: (p, a) => p.toLowerCase() === a.toLowerCase() },
};

/** True when every operator of the Condition block holds for the request context. */
export function conditionHolds(condition: Record<string, Record<string, unknown>> | undefined, ctx: Map<string, string>): boolean {
  for (const [opName, keys] of Object.entries(condition ?? {})) {
    for (const [key, values] of Object.entries(keys)) {
      const actual = ctx.get(key.toLowerCase());
      const vals = list(values).map(String);
      if (opName === 'Null') {
        const wantMissing = vals[0] === 'true';
        if ((actual === undefined) !== wantMissing) return false;
        continue;
      }
      const ifExists = opName.endsWith('IfExists');
      const op = OPERATORS[ifExists ? opName.slice(0, -'IfExists'.length) : opName];
      if (!op) throw new Error(`unsupported condition operator ${opName}`);
      if (actual === undefined) {
        if (ifExists || op.negated) continue;
        return false;
      }
      const any = vals.some((v) => op.match(v, actual));
      if (op.negated ? any : !any) return false;
    }
  }
  return true;
}

function statementMatches(s: Stmt, req: Request, ctx: Map<string, string>): boolean {
  if (s.Action !== undefined && !list(s.Action).some((a) => wildcard(String(a), req.action, true))) return false;
  if (s.NotAction !== undefined && list(s.NotAction).some((a) => wildcard(String(a), req.action, true))) return false;
  if (s.Action === undefined && s.NotAction === undefined) throw new Error('statement has neither Action nor NotAction');
  if (s.Resource !== undefined && !list(s.Resource).some((r) => wildcard(String(r), req.resource))) return false;
  if (s.NotResource !== undefined && list(s.NotResource).some((r) => wildcard(String(r), req.resource))) return false;
  if (s.Principal !== undefined && !principalMatches(s.Principal, req.principal)) return false;
  if (s.NotPrincipal !== undefined && principalMatches(s.NotPrincipal, req.principal)) return false;
  return conditionHolds(s.Condition, ctx);
}

/** Evaluates one request against one policy document (an object or its JSON). */
export function evaluate(policy: string | { Statement: unknown }, req: Request): Evaluation {
  const doc = typeof policy === 'string' ? JSON.parse(policy) : policy;
  const ctx = contextOf(req);
  const allowedBy: string[] = [];
  const deniedBy: string[] = [];
  list(doc.Statement).forEach((raw, i) => {
    const s = raw as Stmt;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new Error(`statement ${i} has Effect ${s.Effect}`);
    if (statementMatches(s, req, ctx)) (s.Effect === 'Deny' ? deniedBy : allowedBy).push(String(s.Sid ?? i));
  });
  return { decision: deniedBy.length ? 'explicit-deny' : allowedBy.length ? 'allow' : 'implicit-deny', allowedBy, deniedBy };
}

/**
 * Same-account access to a resource with a resource policy: allowed when no policy denies and
 * the identity policy or the resource policy allows (IAM User Guide, "Policy evaluation logic").
 */
export function sameAccountAccess(resourcePolicy: string | { Statement: unknown }, req: Request, identityAllows: boolean): 'allow' | 'deny' {
  const r = evaluate(resourcePolicy, req);
  if (r.decision === 'explicit-deny') return 'deny';
  return identityAllows || r.decision === 'allow' ? 'allow' : 'deny';
}

/**
 * Replaces the Terraform interpolations a synthesized policy holds with concrete values, so the
 * policy can be evaluated: `${element(split(":", X.arn), 4)}` becomes the account,
 * `${element(split(":", X.arn), 1)}` the partition, and `${<type>.<id>.<attr>}` whatever
 * `refs` maps `<type>.<id>.<attr>` to. An interpolation left unresolved throws.
 */
export function resolveInterpolations(text: string, account: string, refs: Record<string, string>): string {
  return text.replace(/\$\{([^}]*)\}/g, (_m, inner: string) => {
    const el = /^element\(split\(":", [^)]*\), (\d)\)$/.exec(inner.replace(/\\"/g, '"'));
    if (el)
      return el[1] === '4'
        ? account
        : el[1] === '1'
          ? 'aws'
          : (() => {
              throw new Error(`element index ${el[1]}`);
            })();
    if (refs[inner] !== undefined) return refs[inner]!;
    throw new Error(`unresolved interpolation \${${inner}}`);
  });
}
