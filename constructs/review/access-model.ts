/**
 * What each identity may do on each broker of a synthesized stack, recovered from the files that
 * will be deployed: Mosquitto's ACL file or dynamic-security JSON (whichever mosquitto.conf
 * loads) and EMQX's acl.conf, read from the ConfigMaps in cdk.tf.json. Each broker dialect is
 * turned into ordered "first match wins" lists per action, in that broker's own evaluation order:
 * - Mosquitto acl_file: a client's own lines first, then the `pattern` lines; in each, `deny`
 *   lines before the others (Mosquitto 2.0 puts them at the front of the list); a deny refuses
 *   publish and subscribe alike; `read` grants subscribe and receive, `write` publish. Pattern
 *   lines apply to every user that can authenticate (the ConfigMap's `users` file and the file's
 *   user blocks) with `%u` substituted (and `%c` when client id = username, else read as `+`,
 *   which can only widen).
 * - dynamic security: each client's ACLs from its roles and groups' roles, highest priority first;
 *   `publishClientSend` for publish, `subscribePattern` for the subscription and
 *   `publishClientReceive` for delivery (both must allow to receive); the default ACL access last.
 *   Clients without a username (when the listener allows anonymous clients) by the
 *   `anonymousGroup`'s roles, then the default ACL access.
 * - `per_listener_settings true` with listeners that differ: each listener read on its own.
 * - EMQX acl.conf: terms in file order, first match wins, for the username and for `all`
 *   (`${username}` substituted), for every user of the ConfigMap's `users` file; what matches
 *   nothing by `authorization.no_match` of the emqx.conf beside it. Any authorization source
 *   other than the kit's file, and a file that cannot be cut into terms with certainty, is unread.
 * Terms the reader does not understand are kept as `unread`, so a diff can fail closed on them.
 */

import { type EmqxAclTerm, readEmqxAclTerms, UNREADABLE } from '../audit/emqx-view.js';
import { expandPattern } from '../audit/mosquitto-view.js';
import { type AuditContext, auditContext } from '../audit/rules.js';
import { configMapFiles, effectiveSetting, type ListenerView } from '../audit/view.js';
import { EMQX_PATHS } from '../emqx/config.js';
import { filterCovers, topicMatches } from '../policy/topic.js';
import { confUnreadable, dynsecUnreadable, envUnreadable, packedUnreadable } from './mosquitto-strict.js';

export type Op = 'publish' | 'subscribe';

/** One rule of a first-match list. */
export interface OrderedRule {
  readonly allow: boolean;
  readonly topic: string;
}

/** One identity on one broker. An action is allowed on a topic when every list's first match allows it. */
export interface IdentityAccess {
  /** `namespace/name` of the broker. */
  readonly broker: string;
  /** The MQTT username; `(anonymous)` for clients without one, `(every client)` for rules that apply to all. */
  readonly identity: string;
  /**
   * The listener's port, when the broker's listeners differ in what they admit (Mosquitto with
   * `per_listener_settings true`); absent when one model stands for every listener.
   */
  readonly listener?: number;
  readonly source: 'acl-file' | 'dynamic-security' | 'emqx-acl' | 'no-authorization';
  readonly publish: readonly (readonly OrderedRule[])[];
  /** The first list decides the SUBSCRIBE; the others (dynamic security's delivery check) apply to each message. */
  readonly subscribe: readonly (readonly OrderedRule[])[];
}

export interface AccessModel {
  readonly identities: readonly IdentityAccess[];
  /** Terms or settings the reader could not turn into rules, per broker. */
  readonly unread: readonly { readonly broker: string; readonly text: string }[];
  /** The listener ports of each broker read as one model (identities without `listener`). */
  readonly listeners?: readonly { readonly broker: string; readonly ports: readonly number[] }[];
}

/** Does the identity's list allow `topic` (a topic name; for subscribe with `asFilter`, a SUBSCRIBE filter)? */
export function listAllows(list: readonly OrderedRule[], topic: string, asFilter = false): boolean {
  const hit = list.find((r) => (asFilter ? filterCovers(r.topic, topic) : topicMatches(r.topic, topic)));
  return hit?.allow === true;
}

/**
 * The model's question ({@link Policy.allows}) asked of deployed rules: publish on a topic name,
 * subscribe on a filter (the SUBSCRIBE check: the first list, with Mosquitto's filter cover).
 */
export function identityAllows(a: IdentityAccess | undefined, op: Op, topic: string): boolean {
  if (!a) return false;
  if (op === 'publish') return a.publish.every((l) => listAllows(l, topic));
  return a.subscribe.length > 0 && listAllows(a.subscribe[0]!, topic, true);
}

/** May the identity receive a message on the topic name (every subscribe list allows it)? */
export function identityReceives(a: IdentityAccess | undefined, topic: string): boolean {
  return a !== undefined && a.subscribe.length > 0 && a.subscribe.every((l) => listAllows(l, topic));
}

export function accessOf(stack: string, json: any): AccessModel {
  const c = auditContext(stack, json);
  return merge([...mosquittoAccess(c), ...emqxAccess(c)]);
}

function merge(parts: readonly AccessModel[]): AccessModel {
  return { identities: parts.flatMap((p) => p.identities), unread: parts.flatMap((p) => p.unread), listeners: parts.flatMap((p) => p.listeners ?? []) };
}

/** The settings of one listener that decide what its clients may do. */
function listenerAuthz(b: AuditContext['brokers'][number], listener: ListenerView) {
  return {
    plugin: effectiveSetting(b.conf, listener, 'plugin'),
    aclFile: effectiveSetting(b.conf, listener, 'acl_file'),
    anonymous: effectiveSetting(b.conf, listener, 'allow_anonymous') === 'true',
    clientIdIsUsername: (listener.settings.get('use_username_as_clientid') ?? b.conf.global.get('use_username_as_clientid'))?.at(-1) === 'true',
  };
}

/**
 * Each Mosquitto broker's access. Without `per_listener_settings` (the kit's setting) the security
 * options are global and one model stands for every listener. With it each listener has its own
 * ACL file, plugin and anonymous setting (src/conf.c, 2.0): when the listeners differ in them,
 * each listener is read and its identities carry its port, so a listener added without an ACL
 * shows as what it admits.
 */
function mosquittoAccess(c: AuditContext): AccessModel[] {
  return c.brokers.flatMap((b) => [strictMosquitto(c, b), ...brokerAccess(b)]);
}

/** What in the broker's mosquitto.conf and pod the diff cannot read as the broker does (mosquitto-strict.ts). */
function strictMosquitto(c: AuditContext, b: AuditContext['brokers'][number]): AccessModel {
  const broker = `${b.namespace}/${b.name}`;
  const pods = c.pods.filter((p) => p.owner.namespace === b.namespace && p.volumes.some((v) => (v.configMap?.name ?? v.config_map?.name) === b.configMap));
  const cm = c.k8s.find((o) => o.path === b.path);
  const texts = [...confUnreadable(b.files['mosquitto.conf'] ?? ''), ...packedUnreadable(cm?.body.data ?? {}, cm?.body.binaryData ?? {}), ...new Set(envUnreadable(pods.flatMap((p) => p.containers)))];
  return { identities: [], unread: texts.map((text) => ({ broker, text })) };
}

function brokerAccess(b: AuditContext['brokers'][number]): AccessModel[] {
  const listeners: ListenerView[] = b.conf.listeners.length ? b.conf.listeners : [{ port: 0, bind: undefined, settings: new Map() }];
  const perListener = b.conf.global.get('per_listener_settings')?.at(-1) === 'true';
  const shapes = listeners.map((l) => JSON.stringify(listenerAuthz(b, l)));
  if (!perListener || shapes.every((x) => x === shapes[0]))
    return [{ ...listenerAccess(b, listeners[0]!, undefined), listeners: [{ broker: `${b.namespace}/${b.name}`, ports: listeners.map((l) => l.port) }] }];
  return listeners.map((l) => listenerAccess(b, l, l.port));
}

function listenerAccess(b: AuditContext['brokers'][number], listener: ListenerView, port: number | undefined): AccessModel {
  const broker = `${b.namespace}/${b.name}`;
  const read = readListener(b, listener, broker);
  if (port === undefined) return read;
  // Read listener by listener, a listener without authorization gives every user that can log in
  // everything too (compared with the same user on the other side's listener, not reported lost).
  const open = read.identities.find((i) => i.source === 'no-authorization');
  const m = open ? { ...read, identities: [...read.identities, ...userList(b.files.users).map((u) => ({ ...open, identity: u }))] } : read;
  return { identities: m.identities.map((i) => ({ ...i, listener: port })), unread: m.unread.map((u) => ({ ...u, text: `listener ${port}: ${u.text}` })) };
}

function readListener(b: AuditContext['brokers'][number], listener: ListenerView, broker: string): AccessModel {
  const { plugin, aclFile, anonymous, clientIdIsUsername } = listenerAuthz(b, listener);
  if (plugin?.includes('dynamic_security')) {
    const raw = b.files['dynamic-security-template.json'];
    if (!raw) return { identities: [], unread: [{ broker, text: `mosquitto.conf loads ${plugin}, but the ConfigMap holds no dynamic-security-template.json` }] };
    try {
      const d = JSON.parse(raw);
      const why = dynsecUnreadable(raw, d);
      if (why !== undefined) return { identities: [], unread: [{ broker, text: why }] };
      return dynsecAccess(broker, d, anonymous);
    } catch (e) {
      return { identities: [], unread: [{ broker, text: `dynamic-security-template.json is not valid JSON (${(e as Error).message.split('\n')[0]})` }] };
    }
  }
  if (plugin) return { identities: [], unread: [{ broker, text: `mosquitto.conf loads the plugin ${plugin}, whose rules the diff cannot read` }] };
  if (!aclFile) {
    const all = [{ allow: true, topic: '#' }];
    return { identities: [{ broker, identity: '(every client)', source: 'no-authorization', publish: [all], subscribe: [all] }], unread: [] };
  }
  const name = aclFile.split('/').at(-1)!;
  const text = b.files[name];
  if (text === undefined) return { identities: [], unread: [{ broker, text: `mosquitto.conf names the ACL file ${aclFile}, which the ConfigMap does not hold` }] };
  return aclFileAccess(broker, text, anonymous, clientIdIsUsername, userList(b.files.users));
}

/** The kit's `users` file of a broker ConfigMap: one username a line (who can authenticate). */
const userList = (text: string | undefined): string[] => (text ?? '').split('\n').filter((u) => u !== '');

const ACL_LINE = /^(user|topic|pattern)(?:\s+(.*))?$/;

/** Mosquitto 2.0's acl_file as src/security_default.c reads it. */
export function aclFileAccess(broker: string, text: string, anonymous: boolean, clientIdIsUsername: boolean, usernames: readonly string[] = []): AccessModel {
  const unread: { broker: string; text: string }[] = [];
  const users = new Map<string, { access: string; topic: string }[]>();
  const anon: { access: string; topic: string }[] = [];
  const patterns: { access: string; topic: string }[] = [];
  let user: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^[ \t]+|[ \t\r\n\v\f]+$/g, '');
    if (!line || line.startsWith('#')) continue;
    const m = ACL_LINE.exec(line);
    if (!m) {
      unread.push({ broker, text: `ACL line ${JSON.stringify(line)}` });
      continue;
    }
    const rest = m[2] ?? '';
    if (m[1] === 'user') {
      user = rest;
      if (!users.has(user)) users.set(user, []);
      continue;
    }
    const [first, ...more] = rest.split(' ');
    // `topic read` (an access word and nothing after it) is readwrite on the topic `read`
    // (security_default.c: without a third token the second is the topic).
    const hasAccess = ['read', 'write', 'readwrite', 'deny'].includes(first!) && more.join(' ').replace(/^[ \t]+|[ \t]+$/g, '') !== '';
    const rule = { access: hasAccess ? first! : 'readwrite', topic: (hasAccess ? more.join(' ') : rest).replace(/^[ \t]+|[ \t]+$/g, '') };
    if (m[1] === 'pattern') patterns.push(rule);
    else (user === undefined ? anon : users.get(user)!).push(rule);
  }
  const lists = (rules: readonly { access: string; topic: string }[], op: Op): OrderedRule[] => {
    const grants = op === 'publish' ? ['write', 'readwrite'] : ['read', 'readwrite'];
    return [
      ...rules.filter((r) => r.access === 'deny').map((r) => ({ allow: false, topic: r.topic })),
      ...rules.filter((r) => grants.includes(r.access)).map((r) => ({ allow: true, topic: r.topic })),
    ];
  };
  // The client's own lines first (denials first), then the pattern lines (denials first).
  const identity = (name: string, own: readonly { access: string; topic: string }[], username: string | undefined): IdentityAccess => {
    const pats = patterns.filter((p) => username !== undefined || !p.topic.includes('%u')).map((p) => ({ ...p, topic: expandPattern(p.topic, username, clientIdIsUsername ? username : undefined) }));
    const list = (op: Op) => [...lists(own, op), ...lists(pats, op)];
    return { broker, identity: name, source: 'acl-file', publish: [list('publish')], subscribe: [list('subscribe')] };
  };
  // Who can authenticate: the broker's user list, and every user block of the file.
  const identities = [...new Set([...usernames, ...users.keys()])].map((u) => identity(u, users.get(u) ?? [], u));
  if (anonymous) identities.push(identity('(anonymous)', anon, undefined));
  return { identities, unread };
}

/**
 * The dynamic-security plugin's JSON (the kit's template; the init container only fills in hashes),
 * as plugins/dynamic-security/acl.c (2.0) checks it: a client with a username the plugin knows
 * by its roles, then its groups' roles; a client without a username by the `anonymousGroup`'s
 * roles (when the listener admits anonymous clients); then, for both, `defaultACLAccess`. A
 * username the plugin does not know gets nothing (the plugin defers, and no other check allows).
 */
export function dynsecAccess(broker: string, d: any, anonymous = false): AccessModel {
  const roles = new Map<string, any[]>((d.roles ?? []).map((r: any) => [String(r.rolename), Array.isArray(r.acls) ? r.acls : []]));
  const groups = new Map<string, any[]>((d.groups ?? []).map((g: any) => [String(g.groupname), Array.isArray(g.roles) ? g.roles : []]));
  const def = d.defaultACLAccess ?? {};
  // The client's roles by role priority, then each group's (groups by priority) roles by role
  // priority; inside a role its ACLs by ACL priority; the first matching ACL decides. A global
  // sort by ACL priority would let an added high-priority role's allow hide behind another role's deny.
  const byPriority = <T>(xs: readonly T[]): T[] =>
    xs
      .map((x, i) => ({ x, i }))
      .sort((a, b) => Number((b.x as any)?.priority ?? -1) - Number((a.x as any)?.priority ?? -1) || a.i - b.i)
      .map((e) => e.x);
  const access = (identity: string, roleRefs: readonly any[]): IdentityAccess => {
    const acls = roleRefs.map((r: any) => String(r.rolename)).flatMap((r) => byPriority(roles.get(r) ?? []));
    const list = (types: readonly string[], defaultAllow: boolean): OrderedRule[] => [
      ...acls.filter((a) => types.includes(a.acltype)).map((a) => ({ allow: a.allow === true, topic: String(a.topic) })),
      ...(defaultAllow ? [{ allow: true, topic: '#' }] : []),
    ];
    return {
      broker,
      identity,
      source: 'dynamic-security',
      publish: [list(['publishClientSend'], def.publishClientSend === true)],
      subscribe: [list(['subscribePattern', 'subscribeLiteral'], def.subscribe === true), list(['publishClientReceive'], def.publishClientReceive !== false)],
    };
  };
  const identities = (d.clients ?? []).map(
    (cl: any): IdentityAccess => access(String(cl.username), [...byPriority(cl.roles ?? []), ...byPriority(cl.groups ?? []).flatMap((g: any) => byPriority(groups.get(String(g.groupname)) ?? []))]),
  );
  if (anonymous) {
    const group = typeof d.anonymousGroup === 'string' ? d.anonymousGroup : undefined;
    identities.push(access('(anonymous)', group === undefined ? [] : byPriority(groups.get(group) ?? [])));
  }
  return { identities, unread: [] };
}

/**
 * EMQX 5.8's file authorizer: terms in order, the first that matches decides; no match:
 * `authorization.no_match` (deny unless `noMatchAllow`: then every identity may do everything
 * no term denies, and clients the user list does not name, `(every client)`, too).
 */
export function emqxAclAccess(broker: string, text: string, usernames?: readonly string[], noMatchAllow = false): AccessModel {
  const unread: { broker: string; text: string }[] = [];
  const terms: EmqxAclTerm[] = [];
  for (const t of readEmqxAclTerms(text)) {
    if (typeof t !== 'string' && !t.topics.some((x) => x.startsWith('eq '))) terms.push(t);
    else unread.push({ broker, text: typeof t === 'string' && t.startsWith(UNREADABLE) ? `acl.conf: ${t}` : `acl.conf term ${typeof t === 'string' ? t : t.text}` });
  }
  // A file that cannot be read at all stands for nothing: its broker's identities are unread, not modelled.
  if (unread.some((u) => u.text.startsWith(`acl.conf: ${UNREADABLE}`))) return { identities: [], unread };
  const names = [...new Set([...(usernames ?? []), ...terms.flatMap((t) => (t.who === undefined ? [] : [t.who]))])];
  const identity = (name: string, username: string | undefined): IdentityAccess => {
    const list = (op: Op): OrderedRule[] => [
      ...terms
        .filter((t) => (t.who === undefined || t.who === username) && (t.action === 'all' || t.action === op))
        .flatMap((t) => t.topics.map((topic) => ({ allow: t.allow, topic: topic.replace(/\$\{username\}/g, username ?? '\u0000').replace(/\$\{clientid\}/g, '\u0000') })))
        .map((r) => ({
          ...r,
          topic: r.topic
            .split('/')
            .map((l) => (l.includes('\u0000') ? '+' : l))
            .join('/'),
        })),
      ...(noMatchAllow ? [{ allow: true, topic: '#' }] : []),
    ];
    return { broker, identity: name, source: 'emqx-acl', publish: [list('publish')], subscribe: [list('subscribe')] };
  };
  const identities = names.map((n) => identity(n, n));
  // Without a user list, `all` rules also reach clients the file does not name; with no_match allow, everything not denied does.
  if (noMatchAllow || (usernames === undefined && terms.some((t) => t.who === undefined && t.allow && t.topics.length))) identities.push(identity('(every client)', undefined));
  return { identities, unread };
}

/** Where the kit's emqx.conf has EMQX read acl.conf: its one authorization source (constructs/emqx/config.ts). */
export const EMQX_ACL_PATH = `${EMQX_PATHS.fortress}/acl.conf`;

/**
 * EMQX's `authorization` settings as they bear on the acl.conf model, from the emqx.conf of the
 * same ConfigMap. Read with certainty only the kit's settings: exactly one source, the file
 * source, on, at {@link EMQX_ACL_PATH} (rules from another source, inline `rules`, another file or
 * the file switched off are outside what the diff reads) and the cache off (with it on, a
 * connected client keeps an allow up to the cache TTL after the rules narrow). Each other value
 * is one unread entry with its reason. `no_match` allow (EMQX's default when absent) is read:
 * every identity gains everything acl.conf does not deny.
 */
export function emqxAuthorization(config: any): { unread: string[]; noMatchAllow: boolean } {
  if (!config || typeof config !== 'object' || config.unparsable) return { unread: ['emqx.conf cannot be read as JSON, so its authorization settings are unknown'], noMatchAllow: false };
  const a = config.authorization;
  if (!a || typeof a !== 'object' || Array.isArray(a))
    return { unread: ["emqx.conf has no authorization block: EMQX's defaults (no_match allow, cache on, no source) admit every client to every topic"], noMatchAllow: true };
  const unread: string[] = [];
  const src = a.sources;
  const kit = (x: any) => x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).sort().join() === 'enable,path,type' && x.type === 'file' && x.enable === true && x.path === EMQX_ACL_PATH;
  if (!Array.isArray(src) || src.length !== 1 || !kit(src[0]))
    unread.push(
      `emqx.conf authorization.sources is ${JSON.stringify(src ?? null).slice(0, 300)}, not exactly the kit's one file source (type file, enable true, path ${EMQX_ACL_PATH}): rules from another source, another file or inline rules are outside what the diff reads`,
    );
  const noMatch = a.no_match ?? 'allow';
  if (noMatch !== 'allow' && noMatch !== 'deny') unread.push(`emqx.conf authorization.no_match is ${JSON.stringify(noMatch)}, neither allow nor deny`);
  if (a.cache?.enable !== false)
    unread.push(`emqx.conf authorization.cache is ${JSON.stringify(a.cache ?? null)}, not off (enable false): a connected client keeps a cached allow up to the cache TTL after the rules narrow`);
  return { unread, noMatchAllow: noMatch === 'allow' };
}

/** The EMQX_ variables the kit sets on the EMQX container (constructs/emqx/objects.ts): node name, cookie, dashboard password. */
const EMQX_KIT_ENV = new Set(['EMQX_NODE__NAME', 'EMQX_NODE__COOKIE', 'EMQX_DASHBOARD__DEFAULT_PASSWORD']);

/**
 * What in the pods that run EMQX from this ConfigMap would make EMQX apply something else than the
 * emqx.conf and acl.conf the diff read: an `EMQX_` variable the kit does not set (EMQX reads them
 * over emqx.conf, `EMQX_AUTHORIZATION__NO_MATCH=allow` for one), `envFrom` (it may carry such
 * variables), or acl.conf's path not served by the ConfigMap's directory mount at
 * /opt/emqx/etc/fortress. The EMQX containers: those that mount the ConfigMap's emqx.conf.
 */
export function emqxPodOverrides(c: AuditContext, cmName: string, namespace: string): string[] {
  const out: string[] = [];
  for (const p of c.pods.filter((x) => (x.owner.namespace ?? 'default') === namespace)) {
    const vols = new Map<string, any>((p.volumes ?? []).map((v: any) => [String(v?.name), v]));
    const fromCm = (m: { name: string }) => vols.get(m.name)?.configMap?.name === cmName;
    const raw = [...(p.owner.body.spec?.template?.spec?.containers ?? []), ...(p.owner.body.spec?.template?.spec?.initContainers ?? [])];
    for (const k of p.containers.filter((x) => x.volumeMounts.some((m) => fromCm(m) && m.mountPath === EMQX_PATHS.conf))) {
      const where = `${p.owner.kind} ${p.owner.name}, container ${k.name}`;
      for (const v of k.env) if (/^emqx_/i.test(String(v?.name)) && !EMQX_KIT_ENV.has(v.name)) out.push(`${where} sets ${v.name}, which EMQX reads over emqx.conf`);
      const r = raw.find((x: any) => x?.name === k.name);
      if ([r?.envFrom, r?.env_from].some((x) => x !== undefined && (!Array.isArray(x) || x.length > 0)))
        out.push(`${where} takes variables from envFrom, which may set EMQX_ variables that EMQX reads over emqx.conf`);
      const covering = k.volumeMounts
        .filter((m) => m.mountPath !== undefined && (EMQX_ACL_PATH === m.mountPath || EMQX_ACL_PATH.startsWith(`${m.mountPath.replace(/\/$/, '')}/`)))
        .sort((a, b) => b.mountPath!.length - a.mountPath!.length)[0];
      if (!covering || !fromCm(covering) || covering.mountPath !== EMQX_PATHS.fortress || covering.subPath)
        out.push(
          `${where} does not read ${EMQX_ACL_PATH} from this ConfigMap's directory mount at ${EMQX_PATHS.fortress} (${covering ? `mount ${JSON.stringify(covering)}` : 'nothing mounted there'})`,
        );
    }
  }
  return out;
}

function emqxAccess(c: AuditContext): AccessModel[] {
  return c.emqx.map((e) => {
    const cm = c.k8s.find((o) => o.path === e.path);
    const users = cm ? configMapFiles(cm).users : undefined;
    const broker = `${cm?.namespace ?? 'default'}/${e.name}`;
    const authz = emqxAuthorization(e.config);
    if (cm) authz.unread.push(...emqxPodOverrides(c, cm.name, cm.namespace ?? 'default'));
    const m = emqxAclAccess(broker, e.acl, users === undefined ? undefined : userList(users), authz.noMatchAllow);
    return { ...m, unread: [...authz.unread.map((text) => ({ broker, text })), ...m.unread] };
  });
}
