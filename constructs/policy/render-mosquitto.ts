/**
 * Renders a {@link Policy} into Mosquitto 2.0 dialects: the `acl_file` format and the
 * dynamic-security plugin's JSON. Per user, `{username}` is substituted with the literal username.
 * With `classPatterns`, one group of identity classes is rendered once as `pattern` lines with
 * `%u` (constructs/policy/classes.ts says why that is exact for every other user too).
 */
import { FortressError } from '../core/errors.js';
import { assertRenderable } from '../core/text.js';
import { choosePatternGroup, type PatternGroup, shieldsFor } from './classes.js';
import type { Action, Policy, Principal, ResolvedRule } from './model.js';

export interface MosquittoAclOptions {
  /**
   * The broker forces client id = username (`use_username_as_clientid true`), so `{clientId}`
   * can be rendered as the username. Mosquitto 2.0's ACL file has no per-user `%c`.
   * @default false
   */
  readonly clientIdIsUsername?: boolean;
  /** Extra principals that exist only on a loopback listener (never in the policy file). */
  readonly header?: string;
  /**
   * Render the largest group of identity classes that share their rules as `pattern` lines
   * with `%u` (constant size, whatever the number of members). Exact only when every client that
   * can authenticate is a principal of the policy (the kit's password file): Mosquitto applies
   * pattern lines to every authenticated client, so a certificate the client CA signed for a name
   * outside the policy would get the class's rules.
   * @default false
   */
  readonly classPatterns?: boolean;
}

/** The `%u` form of a template topic, or undefined when Mosquitto cannot hold it as a pattern. */
function patternTopic(topic: string, opts: MosquittoAclOptions): string | undefined {
  const levels = topic.split('/');
  // Mosquitto substitutes every "%u" and "%c" of a pattern line and has no escape for them.
  if (levels.some((l) => l.includes('%u') || l.includes('%c'))) return undefined;
  if (levels.includes('{clientId}') && !opts.clientIdIsUsername) return undefined;
  return levels.map((l) => (l === '{username}' || l === '{clientId}' ? '%u' : l)).join('/');
}

/** The pattern group of a policy for Mosquitto's acl_file, when `classPatterns` is on. */
export function mosquittoPatternGroup(policy: Policy, opts: MosquittoAclOptions): PatternGroup | undefined {
  if (!opts.classPatterns) return undefined;
  return choosePatternGroup(policy, {
    renderable: (t) => patternTopic(t, opts) !== undefined,
    expand: (t, u) =>
      patternTopic(t, opts)!
        .split('/')
        .map((l) => (l === '%u' ? u : l))
        .join('/'),
    own: (p, t) => resolveClientId(p, { topic: t, role: '', effect: 'allow', action: 'all' }, opts),
  });
}

const ACCESS: Record<Action, string> = { publish: 'write', subscribe: 'read', all: 'readwrite' };

function resolveClientId(p: Principal, r: ResolvedRule, opts: MosquittoAclOptions): string {
  const levels = r.topic.split('/');
  if (!levels.includes('{clientId}')) return r.topic;
  if (!opts.clientIdIsUsername) {
    throw new FortressError(
      'ACL_CLIENTID_UNSUPPORTED',
      `role "${r.role}" uses {clientId} in ${JSON.stringify(r.topic)} (user "${p.username}"), which Mosquitto 2.0's ACL file cannot scope per user. ` +
        'Use {username}, or bind client ids to usernames (MosquittoBroker prop clientIdIsUsername: true).',
    );
  }
  return levels.map((l) => (l === '{clientId}' ? p.username : l)).join('/');
}

/**
 * The `acl_file` text. Per user: deny lines (Mosquitto checks denials first), then allows.
 * Lines before the first `user` would apply to anonymous clients, so the file starts with one.
 */
export function renderMosquittoAcl(policy: Policy, opts: MosquittoAclOptions = {}): string {
  const out: string[] = ['# Rendered by mqtt-fortress from the access policy. Do not edit: change the policy.', '# Default deny: a topic not listed for a user is refused (baseline ACL-1).'];
  if (opts.header) {
    for (const l of opts.header.split('\n')) {
      if (l.trim()) assertRenderable('the Mosquitto ACL file', 'a header line', l.trim());
      out.push(`# ${l}`);
    }
  }
  const group = mosquittoPatternGroup(policy, opts);
  const expand = (t: string, u: string) =>
    patternTopic(t, opts)!
      .split('/')
      .map((l) => (l === '%u' ? u : l))
      .join('/');
  for (const p of policy.principals) {
    if (group?.members.has(p.username)) continue;
    assertRenderable('the Mosquitto ACL file', 'the username', p.username);
    out.push('', `user ${p.username}`);
    const rules = [...p.rules.filter((r) => r.effect === 'deny'), ...p.rules.filter((r) => r.effect === 'allow')];
    const seen = new Set<string>();
    const push = (line: string) => {
      if (!seen.has(line)) out.push(line);
      seen.add(line);
    };
    for (const r of rules) {
      const topic = resolveClientId(p, r, opts);
      assertRenderable('the Mosquitto ACL file', `the topic of user ${p.username}`, topic);
      push(`topic ${r.effect === 'deny' ? 'deny' : ACCESS[r.action]} ${topic}`);
    }
    // The class patterns below apply to this user too: deny what they would give it (none of
    // these filters meets one of its own allows; choosePatternGroup checked that).
    for (const topic of group ? shieldsFor(group, p.username, expand) : []) {
      assertRenderable('the Mosquitto ACL file', `the topic of user ${p.username}`, topic);
      push(`topic deny ${topic}`);
    }
  }
  if (group) {
    // Pattern lines, after every user block (a "pattern" line does not end a user block in the
    // parser, but it applies to all users wherever it stands). Mosquitto checks a client's own
    // lines first, then the patterns, deny patterns first (src/security_default.c).
    out.push('', `# Identity classes ${group.classes.join(', ')}: one rule set, "%u" is the member's username.`);
    const rules = [...group.rules.filter((r) => r.effect === 'deny'), ...group.rules.filter((r) => r.effect === 'allow')];
    const seen = new Set<string>();
    for (const r of rules) {
      const topic = patternTopic(r.topic, opts)!;
      assertRenderable('the Mosquitto ACL file', `the pattern of class ${group.classes[0]}`, topic);
      const line = `pattern ${r.effect === 'deny' ? 'deny' : ACCESS[r.action]} ${topic}`;
      if (!seen.has(line)) out.push(line);
      seen.add(line);
    }
  }
  return `${out.join('\n')}\n`;
}

/** One client entry of the dynamic-security file, with its password hash. */
export interface DynsecCredential {
  readonly username: string;
  /** base64 PBKDF2-SHA512 hash (64 bytes). */
  readonly password: string;
  /** base64 salt. */
  readonly salt: string;
  readonly iterations: number;
}

/** Markers the init container replaces with each user's hash and salt (see fortress-auth.sh). */
export const dynsecMarkers = (username: string) => ({ password: `@FORTRESS-HASH:${username}@`, salt: `@FORTRESS-SALT:${username}@` });

/**
 * The dynamic-security plugin's JSON: one role per principal holding its exact rules, default
 * access denied for everything but unsubscribe. Credentials are merged in where the hashes are
 * made (the init container), never in synthesized output: with `credentials: 'markers'` each
 * client carries markers that the init container replaces.
 */
export function renderDynsec(policy: Policy, credentials: readonly DynsecCredential[] | 'markers' = [], opts: MosquittoAclOptions = {}): object {
  if (credentials === 'markers') {
    return renderDynsec(
      policy,
      policy.principals.map((p) => ({ username: p.username, ...dynsecMarkers(p.username), iterations: 101 })),
      opts,
    );
  }
  const creds = new Map(credentials.map((c) => [c.username, c]));
  const acl = (p: Principal, r: ResolvedRule, priority: number) => {
    const topic = resolveClientId(p, r, opts);
    assertRenderable('the dynamic-security JSON', `the topic of user ${p.username}`, topic);
    const types =
      r.action === 'publish' ? ['publishClientSend'] : r.action === 'subscribe' ? ['subscribePattern', 'publishClientReceive'] : ['publishClientSend', 'subscribePattern', 'publishClientReceive'];
    return types.map((acltype) => ({ acltype, topic, priority, allow: r.effect === 'allow' }));
  };
  return {
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true },
    clients: policy.principals.map((p) => {
      assertRenderable('the dynamic-security JSON', 'the username', p.username);
      const c = creds.get(p.username);
      return {
        username: p.username,
        textdescription: `${p.kind} identity ${p.identity}`,
        roles: [{ rolename: `fortress-${p.username}` }],
        ...(c ? { password: c.password, salt: c.salt, iterations: c.iterations } : {}),
      };
    }),
    groups: [],
    roles: policy.principals.map((p) => {
      // The plugin keeps one ACL per (type, topic): when a role both allows and denies the same
      // filter, only the deny may be rendered (deny wins in the model). Found by the property test.
      const byKey = new Map<string, ReturnType<typeof acl>[number]>();
      for (const a of p.rules.flatMap((r) => acl(p, r, r.effect === 'deny' ? 100 : 0))) {
        const key = `${a.acltype}\u0000${a.topic}`;
        const prev = byKey.get(key);
        if (!prev || (!a.allow && prev.allow)) byKey.set(key, a);
      }
      return { rolename: `fortress-${p.username}`, textdescription: `rules of ${p.roles.join(', ')}`, acls: [...byKey.values()] };
    }),
  };
}
