/**
 * The shape of a policy spec, checked generically before any rule is read: every field's type,
 * every list element, unknown keys (a typo such as `member:` would otherwise silently drop a
 * setting) and the characters of every string ({@link textProblem}). A spec read from YAML or
 * built in code passes through the same check, so no later step meets a value of the wrong type.
 * What passes is copied into frozen plain objects: a caller cannot change a validated policy.
 */
import { textProblem } from '../core/text.js';

export type Shape =
  | { readonly kind: 'string'; readonly what: string }
  | { readonly kind: 'enum'; readonly what: string; readonly values: readonly (string | number)[] }
  | { readonly kind: 'list'; readonly what: string; readonly of: Shape }
  | { readonly kind: 'object'; readonly what: string; readonly fields: Readonly<Record<string, { readonly shape: Shape; readonly optional?: boolean }>> };

export interface ShapeIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const str = (what: string): Shape => ({ kind: 'string', what });
const oneOf = (what: string, ...values: (string | number)[]): Shape => ({ kind: 'enum', what, values });
const list = (what: string, of: Shape): Shape => ({ kind: 'list', what, of });
const req = (shape: Shape) => ({ shape });
const opt = (shape: Shape) => ({ shape, optional: true });

/** One case of an access assertion. */
const ACCESS_CASE: Shape = {
  kind: 'object',
  what: 'an access case with "action" and "topic"',
  fields: { action: req(oneOf('action', 'publish', 'subscribe')), topic: req(str('a topic')) },
};

/** The policy file's schema (docs/policy.md). */
export const POLICY_SHAPE: Shape = {
  kind: 'object',
  what: 'a policy with "roles" and "identities"',
  fields: {
    version: opt(oneOf('version', 1)),
    roles: req(
      list('a list of roles', {
        kind: 'object',
        what: 'a role with "name" and "rules"',
        fields: {
          name: req(str('a role name')),
          description: opt(str('a description')),
          rules: req(
            list('a list of rules', {
              kind: 'object',
              what: 'a rule with "action" and "topics"',
              fields: {
                effect: opt(oneOf('effect', 'allow', 'deny')),
                action: req(oneOf('action', 'publish', 'subscribe', 'all')),
                topics: req(list('a list of topic filters', str('a topic filter'))),
              },
            }),
          ),
        },
      }),
    ),
    identities: req(
      list('a list of identities', {
        kind: 'object',
        what: 'an identity with "name", "kind" and "roles"',
        fields: {
          name: req(str('an identity name')),
          kind: req(oneOf('kind', 'device', 'service', 'operator', 'monitoring')),
          roles: req(list('a list of role names', str('a role name'))),
          members: opt(list('a list of member usernames', str('a username'))),
          description: opt(str('a description')),
        },
      }),
    ),
    exceptions: opt(
      list('a list of exceptions', {
        kind: 'object',
        what: 'an exception with "rule", "role", "topic" and "reason"',
        fields: { rule: req(oneOf('rule', 'ACL-2-broad', 'ACL-2-device-shared', 'ACL-3-sys-read')), role: req(str('a role name')), topic: req(str('a topic filter')), reason: req(str('a reason')) },
      }),
    ),
    assertions: opt(
      list('a list of assertions', {
        kind: 'object',
        what: 'an assertion with "identity" and "allow" or "deny"',
        fields: {
          identity: req(str('an identity name')),
          allow: opt(list('a list of access cases', ACCESS_CASE)),
          deny: opt(list('a list of access cases', ACCESS_CASE)),
        },
      }),
    ),
  },
};

/** A value in words, short: `null`, `a number (3)`, `a string "nope"`, `a list`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `a string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `a ${typeof v} (${String(v)})`;
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks `value` against `shape`. Returns the issues and, when there are none, a frozen copy
 * that holds only the declared fields.
 */
export function checkShape(value: unknown, shape: Shape, path: (string | number)[] = []): { issues: ShapeIssue[]; value?: unknown } {
  const issues: ShapeIssue[] = [];
  const walk = (v: unknown, s: Shape, p: (string | number)[]): unknown => {
    switch (s.kind) {
      case 'string': {
        if (typeof v !== 'string') {
          issues.push({ path: p, message: `must be ${s.what} (a string), got ${describeValue(v)}` });
          return undefined;
        }
        const problem = textProblem(v);
        if (problem) issues.push({ path: p, message: `${s.what} ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)} ${problem}` });
        return v;
      }
      case 'enum':
        if (!s.values.includes(v as string | number)) {
          const got = typeof v === 'string' || typeof v === 'number' ? JSON.stringify(v) : describeValue(v);
          issues.push({ path: p, message: `unknown ${s.what} ${got}; use one of ${s.values.map((x) => JSON.stringify(x)).join(', ')}` });
        }
        return v;
      case 'list': {
        if (!Array.isArray(v)) {
          issues.push({ path: p, message: `must be ${s.what}, got ${describeValue(v)}` });
          return undefined;
        }
        const out: unknown[] = [];
        for (let i = 0; i < v.length; i++) out.push(walk(v[i], s.of, [...p, i]));
        return Object.freeze(out);
      }
      case 'object': {
        if (!isPlainObject(v)) {
          issues.push({ path: p, message: `must be ${s.what}, got ${describeValue(v)}` });
          return undefined;
        }
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(v)) {
          if (!Object.hasOwn(s.fields, key)) {
            issues.push({ path: [...p, key], message: `unknown key ${JSON.stringify(key)}; allowed here: ${Object.keys(s.fields).join(', ')}` });
          }
        }
        for (const [key, f] of Object.entries(s.fields)) {
          const fv = Object.hasOwn(v, key) ? v[key] : undefined;
          if (fv === undefined) {
            if (!f.optional) issues.push({ path: [...p, key], message: `is missing: ${s.what} needs "${key}"` });
            continue;
          }
          out[key] = walk(fv, f.shape, [...p, key]);
        }
        return Object.freeze(out);
      }
    }
  };
  const copy = walk(value, shape, path);
  return issues.length ? { issues } : { issues, value: copy };
}
