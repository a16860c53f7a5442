/**
 * Mosquitto's own files as the broker reads them: mosquitto.conf (listeners, the settings each
 * one applies) and the ACL file (anonymous, pattern and per-user lines). Pure text parsers.
 */
export interface ListenerView {
  readonly port: number;
  readonly bind: string | undefined;
  readonly settings: Map<string, string[]>;
}

export interface MosquittoConfView {
  readonly global: Map<string, string[]>;
  readonly listeners: ListenerView[];
  /** Setting names before the first listener, in order (per_listener_settings must come first). */
  readonly order: string[];
  /** Directories named by include_dir: Mosquitto reads every .conf file in them, the audit does not. */
  readonly includes: string[];
}

export function parseMosquittoConf(text: string): MosquittoConfView {
  const global = new Map<string, string[]>();
  const listeners: ListenerView[] = [];
  const order: string[] = [];
  const includes: string[] = [];
  const defaults: number[] = [];
  let cur: Map<string, string[]> = global;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [k, ...rest] = line.split(/\s+/);
    const v = rest.join(' ');
    if (k === 'listener') {
      const [port, bind] = rest;
      const l = { port: Number(port), bind, settings: new Map<string, string[]>() };
      listeners.push(l);
      cur = l.settings;
      continue;
    }
    if (k === 'include_dir') {
      includes.push(v);
      continue;
    }
    if (k === 'port') {
      // The deprecated `port` still opens Mosquitto's default listener (2.0.21, on every address
      // unless bind_address says otherwise); the settings outside listener blocks are its own.
      defaults.push(Number(rest[0]));
      continue;
    }
    if (cur === global) order.push(k!);
    cur.set(k!, [...(cur.get(k!) ?? []), v]);
  }
  if (defaults.length) listeners.unshift({ port: defaults.at(-1)!, bind: global.get('bind_address')?.at(-1), settings: global });
  return { global, listeners, order, includes };
}

/**
 * Mosquitto options that follow `per_listener_settings`: with `true` each listener has its own,
 * with `false` (the default) a value anywhere in the file is global and the last one wins
 * (src/conf.c, conf__set_cur_security_options, 2.0.21).
 */
export const SECURITY_OPTIONS = new Set(['allow_anonymous', 'password_file', 'acl_file', 'plugin', 'auth_plugin', 'psk_file', 'auto_id_prefix', 'allow_zero_length_clientid']);

/** The value of `key` that Mosquitto applies to listener `l`. */
export function effectiveSetting(conf: MosquittoConfView, l: ListenerView, key: string): string | undefined {
  if (!SECURITY_OPTIONS.has(key) || conf.global.get('per_listener_settings')?.at(-1) === 'true') return l.settings.get(key)?.at(-1);
  const all = [...(conf.global.get(key) ?? []), ...conf.listeners.flatMap((x) => x.settings.get(key) ?? [])];
  return all.at(-1);
}

export interface AclView {
  /** Lines before the first `user` line apply to anonymous clients. */
  readonly anonymous: string[];
  readonly patterns: { access: string; topic: string }[];
  readonly users: Map<string, { access: string; topic: string }[]>;
}

export function parseMosquittoAcl(text: string): AclView {
  const anonymous: string[] = [];
  const patterns: { access: string; topic: string }[] = [];
  const users = new Map<string, { access: string; topic: string }[]>();
  let user: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || raw.startsWith('#')) continue;
    const m = /^(user|topic|pattern)\s+(?:(read|write|readwrite|deny)\s+)?(.*)$/.exec(line);
    if (!m) {
      if (!user) anonymous.push(line);
      continue;
    }
    if (m[1] === 'user') {
      user = m[3]!;
      if (!users.has(user)) users.set(user, []);
    } else if (m[1] === 'pattern') patterns.push({ access: m[2] ?? 'readwrite', topic: m[3]! });
    else if (user) users.get(user)!.push({ access: m[2] ?? 'readwrite', topic: m[3]! });
    else anonymous.push(line);
  }
  return { anonymous, patterns, users };
}

/**
 * A `pattern` line's topic as Mosquitto applies it to one client: `%u` is its username, `%c` its
 * client id. A level holding a substitution that is unknown (undefined: an anonymous client, or a
 * client id not bound to the username) reads as `+`, which can only widen.
 */
export function expandPattern(topic: string, username: string | undefined, clientId: string | undefined): string {
  return topic
    .split('/')
    .map((l) => l.replace(/%u/g, username ?? '\u0000').replace(/%c/g, clientId ?? '\u0000'))
    .map((l) => (l.includes('\u0000') ? '+' : l))
    .join('/');
}

/**
 * The ACL as each user of the ConfigMap's `users` file meets it: Mosquitto applies every `pattern`
 * line to every authenticated client, so an identity class rendered once as patterns (`%u`) shows
 * per member, as it would per-user. `%c` is the client id, which the kit binds to the username
 * (use_username_as_clientid on every listener, audit AUTH-5).
 */
export function withPatternUsers(acl: AclView, usersFile: string | undefined): AclView {
  if (!acl.patterns.length || usersFile === undefined) return acl;
  const users = new Map(acl.users);
  for (const name of usersFile
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)) {
    users.set(name, [...(users.get(name) ?? []), ...acl.patterns.map((p) => ({ access: p.access, topic: expandPattern(p.topic, name, name) }))]);
  }
  return { ...acl, users };
}
