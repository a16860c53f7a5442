/**
 * Renders a {@link Policy} into EMQX 5.8 dialects: the file authorizer's `acl.conf` (Erlang
 * terms, first match wins, so denials come first and the file ends with `{deny, all}.`) and the
 * built-in database bootstrap (hashed credentials, pbkdf2-sha256).
 */
import { pbkdf2Sync } from 'node:crypto';
import { FortressError } from '../core/errors.js';
import { assertRenderable } from '../core/text.js';
import { choosePatternGroup, type PatternGroup, shieldsFor } from './classes.js';
import type { Action, Policy } from './model.js';

const EMQX_ACTION: Record<Action, string> = { publish: 'publish', subscribe: 'subscribe', all: 'all' };

/** An Erlang string literal. */
export function erlString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Placeholders in EMQX syntax; `{username}` is already substituted per principal. */
function emqxTopic(topic: string): string {
  return topic
    .split('/')
    .map((l) => (l === '{clientId}' ? '${clientid}' : l))
    .join('/');
}

export interface EmqxAclOptions {
  /**
   * Render the largest group of identity classes that share their rules once, for `all`
   * clients, with `${username}` (constant size). Every principal outside the group gets, after
   * its own rules, a deny of each class template expanded with its username. Exact only when
   * every client that can authenticate is a principal of the policy (the kit's built-in
   * database): EMQX applies an `all` rule to every client, so a certificate or token for a name
   * outside the policy would get the class's rules.
   * @default false
   */
  readonly classPatterns?: boolean;
}

/** `{username}` as EMQX's placeholder; undefined when the topic already holds "${" (refused by the model anyway). */
const templateTopic = (topic: string): string =>
  topic
    .split('/')
    .map((l) => (l === '{username}' ? '${username}' : l === '{clientId}' ? '${clientid}' : l))
    .join('/');

/** The pattern group of a policy for EMQX's acl.conf, when `classPatterns` is on. */
export function emqxPatternGroup(policy: Policy, opts: EmqxAclOptions): PatternGroup | undefined {
  if (!opts.classPatterns) return undefined;
  return choosePatternGroup(policy, {
    renderable: (t) => !t.includes('${'),
    expand: (t, u) =>
      emqxTopic(
        t
          .split('/')
          .map((l) => (l === '{username}' ? u : l))
          .join('/'),
      ),
    own: (_p, t) => t,
    shieldsAfterOwnRules: true,
  });
}

/**
 * EMQX 5.8's `compile_topic/1` (emqx_authz_rule.erl) reads a topic string that starts with "eq "
 * as an exact-match directive for the rest: `"eq a/#"` would match only the literal filter `a/#`,
 * and a deny of it would stop denying `a/x`. No escape keeps such a topic a filter, so it is refused.
 */
function assertEmqxTopic(what: string, topic: string): void {
  if (topic.startsWith('eq ')) {
    throw new FortressError(
      'EMQX_ACL_EQ',
      `cannot write ${what} ${JSON.stringify(topic.slice(0, 80))} into the EMQX acl.conf: EMQX reads a topic starting with "eq " as an exact-match directive for the rest (emqx_authz_rule.erl compile_topic/1), so the rule would mean something else on EMQX. Rename the topic's first level (for example "eq-${topic.slice(3, 40)}" or without the "eq " prefix).`,
    );
  }
}

/**
 * The policy as EMQX 5.8's acl.conf. Throws FortressError `EMQX_ACL_EQ` for a topic starting with
 * "eq " (EMQX would read it as an exact-match directive) and `RENDER_UNSAFE` for text the file
 * cannot carry.
 */
export function renderEmqxAcl(policy: Policy, opts: EmqxAclOptions = {}): string {
  const out: string[] = [
    '%% Rendered by mqtt-fortress from the access policy. Do not edit: change the policy.',
    '%% Evaluated top to bottom, first match wins: denials first, allows, then deny all (ACL-1).',
    '',
  ];
  const group = emqxPatternGroup(policy, opts);
  const expand = (t: string, u: string) =>
    emqxTopic(
      t
        .split('/')
        .map((l) => (l === '{username}' ? u : l))
        .join('/'),
    );
  for (const p of policy.principals) {
    if (group?.members.has(p.username)) continue;
    assertRenderable('the EMQX acl.conf', 'the username', p.username);
    const who = `{username, ${erlString(p.username)}}`;
    const rules = [...p.rules.filter((r) => r.effect === 'deny'), ...p.rules.filter((r) => r.effect === 'allow')];
    for (const r of rules) assertRenderable('the EMQX acl.conf', `the topic of user ${p.username}`, r.topic);
    for (const r of rules) assertEmqxTopic(`the topic of user ${p.username} (role ${r.role})`, emqxTopic(r.topic));
    for (const r of rules) out.push(`{${r.effect}, ${who}, ${EMQX_ACTION[r.action]}, [${erlString(emqxTopic(r.topic))}]}.`);
    // The class templates below match every client: after this user's own rules (first match
    // wins), deny what they would give it.
    for (const t of group ? shieldsFor(group, p.username, expand) : []) {
      assertRenderable('the EMQX acl.conf', `the topic of user ${p.username}`, t);
      assertEmqxTopic(`the topic of user ${p.username}`, t);
      out.push(`{deny, ${who}, all, [${erlString(t)}]}.`);
    }
  }
  if (group) {
    out.push('', `%% Identity classes ${group.classes.join(', ')}: one rule set, \${username} is the member's username.`);
    const rules = [...group.rules.filter((r) => r.effect === 'deny'), ...group.rules.filter((r) => r.effect === 'allow')];
    for (const r of rules) {
      const t = templateTopic(r.topic);
      assertRenderable('the EMQX acl.conf', `the template of class ${group.classes[0]}`, t);
      assertEmqxTopic(`the template of class ${group.classes[0]}`, t);
      out.push(`{${r.effect}, all, ${EMQX_ACTION[r.action]}, [${erlString(t)}]}.`);
    }
  }
  out.push('', '{deny, all}.');
  return `${out.join('\n')}\n`;
}

export const EMQX_PBKDF2 = { name: 'pbkdf2', mac_fun: 'sha256', iterations: 4096, dk_length: 32 } as const;

/**
 * One entry of the built-in database bootstrap file (`bootstrap_type = hash`, JSON). EMQX's
 * pbkdf2 stores the hex of the derived key and takes the salt as given.
 */
export function emqxBootstrapEntry(username: string, password: string, salt: string): { user_id: string; password_hash: string; salt: string; is_superuser: false } {
  // The bootstrap is CSV (user_id,password_hash,salt,is_superuser): a comma, quote or line
  // break in the username would shift or add columns.
  assertRenderable('the EMQX bootstrap file', 'the username', username);
  if (/[",]/.test(username)) throw new FortressError('RENDER_UNSAFE', `cannot write the username ${JSON.stringify(username)} into the EMQX bootstrap file: it contains a comma or a quote.`);
  const dk = pbkdf2Sync(password, salt, EMQX_PBKDF2.iterations, EMQX_PBKDF2.dk_length, EMQX_PBKDF2.mac_fun);
  return { user_id: username, password_hash: dk.toString('hex'), salt, is_superuser: false };
}
