/**
 * A model of EMQX 5.8's file authorizer, written from its source (emqx/emqx at v5.8.9), for
 * evaluating the rendered acl.conf where no EMQX node can run. Each function names the source
 * function it follows; test/helpers/emqx-authz.test.ts ties each clause to a case.
 *
 * - Parsing: Erlang's own `file:consult/1` (emqx_authz_file.erl `validate/1` calls it), through a
 *   real `erl`; the terms come back as JSON.
 * - emqx_authz_rule.erl: `compile/1` (`{Permission, all}` = every client, action and topic;
 *   `{username, U}` / `{clientid, C}` = equality; a topic "eq T" or `{eq, T}` = exact words; a topic
 *   with `${username}` / `${clientid}` = a pattern rendered per client, skipped when the value is
 *   missing), `matches/4` (first matching rule wins), `match_action/2` (`all` matches publish and
 *   subscribe), `match_topic/2`.
 * - emqx_topic.erl: `words/1` (split at "/"), `match/2` (`+` one word, `#` the rest including the
 *   parent, a wildcard in the first word does not match a name starting with `$`; wildcards in
 *   the client's filter are compared as words, so a client filter `+` is covered only by `+` or `#`).
 * - emqx_access_control.erl `do_authorize/3`: no rule matched -> `authorization.no_match`.
 * - emqx_channel.erl: `set_peercert_infos/3`, `set_username/2`, `maybe_username_as_clientid/2`,
 *   `maybe_assign_clientid/2` (the client info the rules see); SUBSCRIBE is authorized on the
 *   filter, PUBLISH on the topic name; nothing is authorized at delivery.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Term = string | number | { atom: string } | Term[] | { tuple: Term[] };

/** Parses an acl.conf with Erlang's file:consult/1 and returns the terms (strings as JSON strings). */
export function consultTerms(text: string): Term[] {
  const [r] = consultMany([text]);
  if (!Array.isArray(r)) throw new Error(`file:consult refused acl.conf: ${r!.error}`);
  return r;
}

/**
 * Several acl.conf texts through file:consult/1 in one Erlang VM (a VM start costs ~1.5 s here):
 * each text's terms, or `{error}` with Erlang's reason when file:consult refuses it.
 */
export function consultMany(texts: readonly string[]): (Term[] | { error: string })[] {
  const dir = mkdtempSync(join(tmpdir(), 'fortress-authz-'));
  try {
    const files = texts.map((t, i) => {
      const f = join(dir, `acl-${i}.conf`);
      writeFileSync(f, t);
      return f;
    });
    // Term -> JSON: atoms {"atom":..}, tuples {"tuple":[..]}, printable lists strings, other lists arrays.
    const script = `
      J = fun J(T) when is_atom(T) -> ["{\\"atom\\":\\"", atom_to_list(T), "\\"}"];
              J(T) when is_integer(T) -> integer_to_list(T);
              J(T) when is_tuple(T) -> ["{\\"tuple\\":[", lists:join(",", [J(X) || X <- tuple_to_list(T)]), "]}"];
              J(T) when is_binary(T) -> J(unicode:characters_to_list(T));
              J(T) when is_list(T) ->
                case io_lib:printable_unicode_list(T) andalso T =/= [] of
                  true -> ["\\"", [case C of $" -> "\\\\\\""; $\\\\ -> "\\\\\\\\"; _ when C < 32 -> io_lib:format("\\\\u~4.16.0b", [C]); _ -> [C] end || C <- T], "\\""];
                  false -> ["[", lists:join(",", [J(X) || X <- T]), "]"]
                end
          end,
      R = fun(F) -> case file:consult(F) of
            {ok, Terms} -> ["[", lists:join(",", [J(T) || T <- Terms]), "]"];
            {error, E} -> ["{\\"error\\":\\"", [case C of $" -> "'"; $\\\\ -> "/"; _ when C < 32 -> " "; _ -> [C] end || C <- lists:flatten(io_lib:format("~0p", [E]))], "\\"}"]
          end end,
      io:setopts(standard_io, [{encoding, unicode}]),
      io:put_chars(unicode:characters_to_binary(["[", lists:join(",", [R(F) || F <- ${JSON.stringify(files)}]), "]"])),
      halt().`;
    const r = spawnSync('erl', ['-noshell', '+pc', 'unicode', '-eval', script], { encoding: 'utf8', cwd: dir });
    try {
      return JSON.parse(r.stdout);
    } catch {
      throw new Error(`erl failed: ${r.stderr.trim() || r.stdout.slice(0, 300)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Who = { kind: 'all' } | { kind: 'username' | 'clientid'; value: string };
type TopicCond = { kind: 'all' } | { kind: 'eq'; words: string[] } | { kind: 'filter'; words: string[] } | { kind: 'pattern'; template: string };
export interface Rule {
  readonly permission: 'allow' | 'deny';
  readonly who: Who;
  readonly action: 'publish' | 'subscribe' | 'all';
  readonly topics: TopicCond[];
}

const atom = (t: Term): string | undefined => (typeof t === 'object' && t !== null && !Array.isArray(t) && 'atom' in t ? t.atom : undefined);
const tuple = (t: Term): Term[] | undefined => (typeof t === 'object' && t !== null && !Array.isArray(t) && 'tuple' in t ? t.tuple : undefined);
const str = (t: Term): string => {
  if (typeof t === 'string') return t;
  if (Array.isArray(t) && t.length === 0) return '';
  throw new Error(`expected a string, got ${JSON.stringify(t)}`);
};

/** emqx_topic:words/1: split at "/" (the empty word stays a word). */
export const words = (t: string): string[] => t.split('/');

/** emqx_authz_rule:compile_topic/1. */
function compileTopic(t: Term): TopicCond {
  const tp = tuple(t);
  if (tp && atom(tp[0]!) === 'eq') return { kind: 'eq', words: words(str(tp[1]!)) };
  const s = str(t);
  if (s.startsWith('eq ')) return { kind: 'eq', words: words(s.slice(3)) };
  if (/\$\{[^}]*\}/.test(s)) return { kind: 'pattern', template: s };
  return { kind: 'filter', words: words(s) };
}

/** emqx_authz_rule:compile/1 for the forms acl.conf uses. */
export function compileRule(t: Term): Rule {
  const parts = tuple(t);
  if (!parts) throw new Error(`not a rule tuple: ${JSON.stringify(t)}`);
  const permission = atom(parts[0]!);
  if (permission !== 'allow' && permission !== 'deny') throw new Error(`invalid_authorization_permission ${JSON.stringify(parts[0])}`);
  if (parts.length === 2 && atom(parts[1]!) === 'all') return { permission, who: { kind: 'all' }, action: 'all', topics: [{ kind: 'all' }] };
  if (parts.length !== 4) throw new Error(`invalid_authorization_rule ${JSON.stringify(t)}`);
  let who: Who;
  if (atom(parts[1]!) === 'all') who = { kind: 'all' };
  else {
    const w = tuple(parts[1]!);
    const k = w && atom(w[0]!);
    if (!w || !k || !['username', 'user', 'clientid', 'client'].includes(k) || tuple(w[1]!))
      throw new Error(`invalid_client_match_condition ${JSON.stringify(parts[1])} (only equality on username/clientid is modelled)`);
    who = { kind: k === 'user' || k === 'username' ? 'username' : 'clientid', value: str(w[1]!) };
  }
  const action = atom(parts[2]!);
  if (action !== 'publish' && action !== 'subscribe' && action !== 'all') throw new Error(`invalid_authorization_action ${JSON.stringify(parts[2])} (rich actions are not modelled)`);
  const topics = atom(parts[3]!) === 'all' ? [{ kind: 'all' } as TopicCond] : (parts[3] as Term[]).map(compileTopic);
  return { permission, who, action, topics };
}

export function compileAcl(text: string): Rule[] {
  return consultTerms(text).map(compileRule);
}

const isWild = (w: string | undefined) => w === '+' || w === '#';

/** emqx_topic:match/2 on words: name (or the client's filter) against a rule's filter. */
export function topicMatch(name: string[], filter: string[]): boolean {
  if (name[0]?.startsWith('$') && isWild(filter[0])) return false;
  let i = 0;
  for (; i < filter.length; i++) {
    const f = filter[i]!;
    if (f === '#' && i === filter.length - 1) return true;
    if (i >= name.length) return false;
    if (f === '+' || f === name[i]) continue;
    return false;
  }
  return i === name.length;
}

export interface ClientInfo {
  readonly username: string | undefined;
  readonly clientid: string;
}

/** emqx_auth_utils:render_strict/2 for ${username} and ${clientid}; undefined when a value is missing. */
function render(template: string, c: ClientInfo): string | undefined {
  let missing = false;
  const out = template.replace(/\$\{([^}]*)\}/g, (_, v: string) => {
    const val = v === 'username' ? c.username : v === 'clientid' ? c.clientid : undefined;
    if (val === undefined) missing = true;
    return val ?? '';
  });
  return missing ? undefined : out;
}

function matchTopics(c: ClientInfo, topic: string, conds: TopicCond[]): boolean {
  return conds.some((t) => {
    if (t.kind === 'all') return true;
    if (t.kind === 'eq') return words(topic).join('\u0000') === t.words.join('\u0000');
    if (t.kind === 'filter') return topicMatch(words(topic), t.words);
    const f = render(t.template, c);
    return f !== undefined && topicMatch(words(topic), words(f));
  });
}

const matchWho = (c: ClientInfo, w: Who) => w.kind === 'all' || (w.kind === 'username' ? c.username !== undefined && c.username === w.value : c.clientid === w.value);

/** emqx_authz_rule:matches/4: the first matching rule decides. */
export function matches(rules: readonly Rule[], c: ClientInfo, action: 'publish' | 'subscribe', topic: string): 'allow' | 'deny' | 'nomatch' {
  for (const r of rules) {
    if ((r.action === 'all' || r.action === action) && matchWho(c, r.who) && matchTopics(c, topic, r.topics)) return r.permission;
  }
  return 'nomatch';
}

export interface EmqxAuthzConfig {
  readonly noMatch: 'allow' | 'deny';
  readonly useUsernameAsClientid: boolean;
  readonly peerCertAsUsername?: 'cn' | 'disabled';
  readonly peerCertAsClientid?: 'cn' | 'disabled';
}

/** The client info the rules see after CONNECT (emqx_channel.erl enrich_client pipeline). */
export function clientInfo(cfg: EmqxAuthzConfig, connect: { username?: string; clientId: string; certCn?: string }): ClientInfo {
  let username: string | undefined = cfg.peerCertAsUsername === 'cn' && connect.certCn !== undefined ? connect.certCn : undefined;
  let clientid: string | undefined = cfg.peerCertAsClientid === 'cn' && connect.certCn !== undefined ? connect.certCn : undefined;
  if (username === undefined) username = connect.username;
  if (cfg.useUsernameAsClientid && username !== undefined && username !== '') clientid = username;
  return { username, clientid: clientid ?? connect.clientId };
}

/**
 * emqx_access_control:authorize/3 with the file source only. SUBSCRIBE is checked on the filter;
 * there is no check at delivery, so a message is received when some filter the client may
 * subscribe to matches it: `receive` tries every filter that matches the topic.
 */
export function authorize(rules: readonly Rule[], cfg: EmqxAuthzConfig, c: ClientInfo, op: 'publish' | 'subscribe' | 'receive', topic: string): boolean {
  const decide = (action: 'publish' | 'subscribe', t: string) => {
    const m = matches(rules, c, action, t);
    return (m === 'nomatch' ? cfg.noMatch : m) === 'allow';
  };
  if (op !== 'receive') return decide(op, topic);
  return filtersMatching(topic).some((f) => decide('subscribe', f));
}

/** Every filter that matches the topic name: each level literal or "+", optionally ending in "#". */
export function filtersMatching(topic: string): string[] {
  const w = words(topic);
  const out: string[] = [];
  const walk = (i: number, acc: string[]) => {
    if (!(topic.startsWith('$') && i === 0)) out.push([...acc, '#'].join('/'));
    if (i === w.length) return void out.push(acc.join('/'));
    walk(i + 1, [...acc, w[i]!]);
    if (!(topic.startsWith('$') && i === 0)) walk(i + 1, [...acc, '+']);
  };
  walk(0, []);
  return out;
}

/**
 * Reads one acl.conf with file:consult/1 and prints each term as EMQX 5.8.9's
 * emqx_authz_rule:compile_topic/1 classifies its topic: `E|hex(user)|action|hex(topic)|class`
 * (class `eq` for an "eq " prefix, `pattern` for a "${" template, `plain` otherwise), or `E|all`.
 */
export function consultClassified(file: string): string[] {
  const script = `
        {ok, Terms} = file:consult("${file}"),
        Hex = fun(S) -> binary:encode_hex(unicode:characters_to_binary(S)) end,
        Class = fun("eq " ++ _) -> eq; (T) -> case string:find(T, "\${") of nomatch -> plain; _ -> pattern end end,
        Fmt = fun({E, {username, U}, A, [T]}) -> io:format("~s|~s|~s|~s|~s~n", [E, Hex(U), A, Hex(T), Class(T)]);
                 ({E, all}) -> io:format("~s|all~n", [E]) end,
        lists:foreach(Fmt, Terms), halt().`;
  return execFileSync('erl', ['-noshell', '-eval', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .trim()
    .split('\n');
}
