/**
 * EMQX in the audit's normalised view: the rendered acl.conf read into the same per-identity
 * (access, topic) rules as Mosquitto's ACL file, so ACL-2 and ACL-3 judge both brokers with one
 * check; EMQX's listeners (and its dashboard/REST API) in the report's listener table; EMQX's
 * monitoring (MON-1..3) from its own configuration. Pure: it reads the synthesized JSON's view.
 */
import type { AuditContext, EmqxView, RuleRow } from './context.js';

/** An acl.conf action in Mosquitto's words: publish = write, subscribe = read. */
const ACCESS: Record<string, string> = { publish: 'write', subscribe: 'read', all: 'readwrite' };

export interface EmqxAclView {
  /** Rules per username; `*` holds rules for every client (`{allow, all, ...}`). */
  readonly users: Map<string, { access: string; topic: string }[]>;
  /** Terms this reader does not understand (regular expressions, IP ranges, rich actions ...). */
  readonly unparsed: string[];
}

/**
 * The contents of an Erlang string literal as Erlang reads it, for the two escapes the kit's
 * renderer writes (`\\\\` and `\\"`, render-emqx.ts erlString); scanEmqxAcl refuses every other escape.
 */
const erlText = (s: string): string => s.replace(/\\([\\"])/g, '$1');

const erlStrings = (s: string): string[] | undefined => {
  const out: string[] = [];
  const re = /\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  while (re.lastIndex < s.length) {
    const m = re.exec(s);
    if (!m) break;
    out.push(erlText(m[1]!));
  }
  return re.lastIndex === s.length || s.trim() === '' ? out : undefined;
};

/** Outside strings the kit's terms hold only atoms, braces, brackets, commas, blanks and the final dot. */
const PLAIN = /[A-Za-z0-9_{}[\],\t\n\r ]/;

/**
 * acl.conf cut into its terms as Erlang's scanner (file:consult, which EMQX's file authorizer
 * calls) cuts it, or why it cannot be read with certainty. The texts are the terms without their
 * final dot, comments replaced by a blank. Read with certainty only: strings whose escapes are
 * `\\\\` and `\\"` (Erlang decodes `\\x{23}`, `\\043`, `\\^C` ... into other characters, and some of
 * them swallow a quote), outside strings only the characters of the kit's terms (no quoted atom,
 * `$` character literal, number or operator), no encoding comment (`coding:` changes how Erlang
 * decodes the bytes), every string closed and every term ended by a dot.
 */
export function scanEmqxAcl(text: string): { terms: string[] } | { unreadable: string } {
  const terms: string[] = [];
  let cur = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') {
          if (text[j + 1] !== '\\' && text[j + 1] !== '"')
            return { unreadable: `the escape ${JSON.stringify(text.slice(j, j + 6))} in a string (Erlang may decode it into another character; the kit writes only \\\\ and \\")` };
          j++;
        }
        j++;
      }
      if (j >= text.length) return { unreadable: 'a string that is never closed' };
      const str = text.slice(i, j + 1);
      if (/\p{Cs}/u.test(str)) return { unreadable: 'a string that is not valid Unicode' };
      cur += str;
      i = j + 1;
    } else if (ch === '%') {
      const end = text.indexOf('\n', i);
      const comment = text.slice(i, end === -1 ? text.length : end);
      if (/coding\s*[:=]/i.test(comment)) return { unreadable: `an encoding comment ${JSON.stringify(comment.slice(0, 60))} (it changes how Erlang decodes the file)` };
      cur += ' ';
      i = end === -1 ? text.length : end;
    } else if (ch === '.') {
      const next = text[i + 1];
      if (next !== undefined && !/[\t\n\r %]/.test(next)) return { unreadable: `a dot inside a term (${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))})` };
      terms.push(cur.trim());
      cur = '';
      i++;
    } else if (PLAIN.test(ch)) {
      cur += ch;
      i++;
    } else return { unreadable: `the character ${JSON.stringify(ch)} outside a string (${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))}), which the kit's terms do not hold` };
  }
  if (cur.trim() !== '') return { unreadable: `text after the last term's dot (${JSON.stringify(cur.trim().slice(0, 60))})` };
  return { terms: terms.filter((t) => t !== '') };
}

/** One acl.conf term of the forms the kit renders, in file order. */
export interface EmqxAclTerm {
  readonly allow: boolean;
  /** The username it names; undefined for `all` (every client). */
  readonly who: string | undefined;
  readonly action: 'publish' | 'subscribe' | 'all';
  /** Topic filters as written (`${username}`, `${clientid}` unsubstituted); `#` for `{allow, all}` / `{deny, all}`. */
  readonly topics: readonly string[];
  /** `{allow, all}` or `{deny, all}`: every action on every topic for every client. */
  readonly everything: boolean;
  /** The term's text, with its closing `}.`. */
  readonly text: string;
}

const TERM = /^\{\s*(allow|deny)\s*,\s*(all|\{\s*(?:username|user)\s*,\s*"((?:[^"\\]|\\.)*)"\s*\})\s*,\s*(publish|subscribe|all)\s*,\s*\[(.*)\]\s*$/s;

/**
 * EMQX 5.8's acl.conf as the audit and the access review read it: its terms in file order, those
 * of the forms the kit renders read, any other (regular expressions, IP ranges, rich actions ...)
 * kept as its text with the closing `}.`.
 */
export function readEmqxAclTerms(text: string): (EmqxAclTerm | string)[] {
  const scan = scanEmqxAcl(text);
  // Nothing of a file that cannot be cut into terms with certainty is read: one unread entry.
  if ('unreadable' in scan) return [`${UNREADABLE}${scan.unreadable}`];
  const terms: (EmqxAclTerm | string)[] = [];
  for (const raw of scan.terms) {
    if (!raw.endsWith('}')) {
      terms.push(`${raw}.`);
      continue;
    }
    const term = raw.slice(0, -1).trim();
    const all = /^\{\s*(allow|deny)\s*,\s*all\s*$/.exec(term);
    if (all) {
      terms.push({ allow: all[1] === 'allow', who: undefined, action: 'all', topics: ['#'], everything: true, text: `${term}}.` });
      continue;
    }
    const m = TERM.exec(term);
    const topics = m ? erlStrings(m[5]!) : undefined;
    if (!m || !topics) {
      terms.push(`${term}}.`);
      continue;
    }
    const who = m[2] === 'all' ? undefined : erlText(m[3]!);
    terms.push({ allow: m[1] === 'allow', who, action: m[4] as EmqxAclTerm['action'], topics, everything: false, text: `${term}}.` });
  }
  return terms;
}

/** The prefix of readEmqxAclTerms' one entry for a file it cannot read at all. */
export const UNREADABLE = 'the whole file is unreadable: it holds ';

/** Reads acl.conf terms of the forms the kit renders; anything else is kept as unparsed. */
export function parseEmqxAcl(text: string): EmqxAclView {
  const users = new Map<string, { access: string; topic: string }[]>();
  const unparsed: string[] = [];
  for (const t of readEmqxAclTerms(text)) {
    if (typeof t === 'string') {
      unparsed.push(t);
      continue;
    }
    if (t.everything) continue; // {allow, all} / {deny, all}: ACL-1 judges these
    const who = t.who ?? '*';
    const list = users.get(who) ?? [];
    for (const topic of t.topics) list.push({ access: t.allow ? ACCESS[t.action]! : 'deny', topic: topic.replace(/\$\{clientid\}|\$\{username\}/g, who === '*' ? '%u' : who) });
    users.set(who, list);
  }
  return { users, unparsed };
}

const namespaceOf = (c: AuditContext, e: EmqxView) => c.k8s.find((o) => o.path === e.path)?.namespace ?? 'default';

/** EMQX identities with their rules, in the shape of aclUsers (file `acl`: the MQTT listeners). */
export function emqxAclUsers(c: AuditContext) {
  return c.emqx.flatMap((e) => {
    const broker = { path: e.path, namespace: namespaceOf(c, e), name: e.name };
    return [...parseEmqxAcl(e.acl).users].map(([username, rules]) => ({ broker, file: 'acl', username, rules }));
  });
}

/** ACL-2 rows for acl.conf terms the audit cannot read: it fails closed. */
export function emqxUnparsedAclRows(c: AuditContext, rule: string): RuleRow[] {
  return c.emqx.flatMap((e) =>
    parseEmqxAcl(e.acl).unparsed.map((t, i) => ({
      status: 'non-compliant' as const,
      path: e.path,
      finding: `${rule}[${e.name}:acl.conf-term-${i}]`,
      detail: `acl.conf holds a term the audit cannot judge: ${t}`,
    })),
  );
}

/** EMQX 5.8's default port of each listener type (emqx_schema.erl). */
const DEFAULT_PORT = { tcp: 1883, ws: 8083, ssl: 8883, wss: 8084 } as const;

const on = (l: any) => l && l !== 'marked_for_deletion' && l.enable !== false && l.enable !== 'false';

/** EMQX's MQTT listeners and its dashboard/REST API, for the report's listener table. */
export function emqxListeners(c: AuditContext) {
  return c.emqx.flatMap((e) => {
    const cfg = e.config ?? {};
    const broker = `${namespaceOf(c, e)}/${e.name}`;
    const authn: any[] = cfg.authentication ?? [];
    const a = cfg.authorization ?? {};
    const authz = `acl.conf, no_match ${a.no_match ?? 'allow (default)'}, deny_action ${a.deny_action ?? 'ignore (default)'}, cache ${a.cache?.enable === false ? 'off' : `on (${a.cache?.ttl ?? '1m'})`}; client id ${cfg.mqtt?.use_username_as_clientid === true ? 'bound to the username' : '**chosen by the client**'}`;
    // Plaintext listeners too (tcp, ws): one turned on is a new listener without TLS. A type the
    // config leaves out gets EMQX 5.8's `default` listener of that type, on its default port.
    const mqtt = (['ssl', 'wss', 'tcp', 'ws'] as const).flatMap((type) =>
      Object.entries<any>(cfg.listeners?.[type] ?? { default: {} })
        .filter(([, l]) => on(l))
        .map(([name, l]) => {
          const s = l.ssl_options ?? {};
          const versions: string[] = s.versions ?? [];
          const certOnly = s.fail_if_no_peer_cert === true && authn.every((x) => x?.enable === false);
          return {
            broker: `${broker} (${type}.${name})`,
            port: Number(
              String(l.bind ?? DEFAULT_PORT[type])
                .split(':')
                .at(-1),
            ),
            bind:
              String(l.bind ?? 'default')
                .split(':')
                .slice(0, -1)
                .join(':') || 'all addresses',
            tlsVersion: versions.includes('tlsv1.2') ? 'tlsv1.2' : versions.includes('tlsv1.3') ? 'tlsv1.3' : undefined,
            clientCertificate: s.fail_if_no_peer_cert === true && s.verify === 'verify_peer',
            certificateIsUsername: cfg.mqtt?.peer_cert_as_username === 'cn',
            ...(s.enable_crl_check === true
              ? {
                  revocation: `revoked certificates refused at the next handshake (CRL fetched over HTTP from the certificate's distribution point, again every ${cfg.crl_cache?.refresh_interval ?? '15m'}; open sessions are not re-checked; a node keeps its last fetched CRL while the CRL server is down, until that CRL expires)`,
                }
              : {}),
            anonymous: l.enable_authn === false || (!certOnly && !authn.some((x) => x?.enable !== false)),
            authorization: authz,
            // No enabled authenticator: EMQX 5.8 admits the client (emqx_authn_chains.erl, empty chain).
            ...(certOnly && cfg.mqtt?.peer_cert_as_username === 'cn' ? { anyCertificateConnects: true } : {}),
          };
        }),
    );
    const dash = cfg.dashboard?.listeners?.http;
    const api = on(dash)
      ? [
          {
            broker: `${broker} (dashboard and REST API: full admin rights, API keys and the dashboard login)`,
            port: Number(
              String(dash.bind ?? '18083')
                .split(':')
                .at(-1),
            ),
            bind: String(dash.bind ?? '18083').includes(':') ? String(dash.bind).split(':').slice(0, -1).join(':') : 'all addresses',
            tlsVersion: undefined,
            clientCertificate: false,
            certificateIsUsername: false,
            anonymous: false,
            authorization: `HTTP; reachable as the NetworkPolicies below admit it; Prometheus stats ${cfg.prometheus?.enable_basic_auth === true ? 'need an API key' : '**need no credentials**'}`,
          },
        ]
      : [];
    return [...mqtt, ...api];
  });
}

const row = (ok: boolean, path: string, finding: string, good: string, badDetail: string): RuleRow =>
  ok ? { status: 'compliant', path, detail: good } : { status: 'non-compliant', path, finding, detail: badDetail };

/** MON-1 for EMQX: a PodMonitor scraping the native endpoint with credentials. */
export function emqxMon1(c: AuditContext): RuleRow[] {
  return c.emqx.map((e) => {
    const ns = namespaceOf(c, e);
    const pm = c.k8s.some((o) => o.kind === 'PodMonitor' && o.namespace === ns && JSON.stringify(o.body.spec ?? {}).includes('/api/v5/prometheus/stats'));
    return row(pm, e.path, `MON-1[${e.name}:emqx]`, 'EMQX: PodMonitor on /api/v5/prometheus/stats', 'EMQX: no PodMonitor scrapes /api/v5/prometheus/stats');
  });
}

/** MON-2 for EMQX: alerts on its own authentication, authorization and cluster counters. */
export function emqxMon2(c: AuditContext): RuleRow[] {
  const needed = ['emqx_authentication_failure', 'emqx_authorization_deny', 'emqx_live_connections_count', 'emqx_cluster_nodes_running'];
  return c.emqx.map((e) => {
    const ns = namespaceOf(c, e);
    const exprs = c.k8s
      .filter((o) => o.kind === 'PrometheusRule' && o.namespace === ns)
      .flatMap((o) => (o.body.spec?.groups ?? []).flatMap((g: any) => (g.rules ?? []).map((r: any) => String(r.expr ?? ''))));
    const missing = needed.filter((m) => !exprs.some((x) => x.includes(m)));
    return row(!missing.length, e.path, `MON-2[${e.name}:emqx]`, 'EMQX: alerts on authentication failures, denials, connections and cluster health', `EMQX: no alert rule on ${missing.join(', ')}`);
  });
}

/** MON-3 for EMQX: console logging on, and a console rule for connection, authentication and authorization events. */
export function emqxMon3(c: AuditContext): RuleRow[] {
  return c.emqx.map((e) => {
    const cfg = e.config ?? {};
    const rules = Object.values<any>(cfg.rule_engine?.rules ?? {}).filter((r) => r?.enable !== false && (r?.actions ?? []).some((a: any) => a === 'console' || a?.function === 'console'));
    const sql = rules.map((r) => String(r.sql ?? '')).join(' ');
    const missing = [
      cfg.log?.console?.enable === true ? '' : 'log.console.enable',
      sql.includes('$events/client_connack') ? '' : 'connection results ($events/client_connack)',
      sql.includes('$events/client_disconnected') ? '' : 'disconnections ($events/client_disconnected)',
      sql.includes('$events/client_check_authz_complete') ? '' : 'authorization results ($events/client_check_authz_complete)',
    ].filter(Boolean);
    return row(
      !missing.length,
      e.path,
      `MON-3[${e.name}:emqx]`,
      'EMQX: connections, authentication failures and denials logged to stdout by a console rule',
      `EMQX logs no ${missing.join(', no ')} (EMQX 5.8 writes no line per connection below debug level)`,
    );
  });
}
