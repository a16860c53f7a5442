/**
 * Hostile strings for the renderer property tests: control characters, every kind of line break,
 * quotes, backslashes, wildcards, `%` and `$` (Mosquitto and EMQX substitutions), the renderers'
 * own keywords, astral characters, unpaired surrogates, noncharacters, bidirectional overrides,
 * invisible characters and huge sizes, mixed with ordinary words so some of them are accepted and
 * reach the real parsers.
 */
import type { PolicySpec, RuleSpec } from '../../constructs/policy/model.js';
import { pick, type Rng } from './random.js';

/** Atoms the model may accept: ordinary words, Unicode, quotes, escapes, substitutions, keywords. */
export const ACCEPTABLE_ATOMS: readonly string[] = [
  // ordinary
  'a',
  'b',
  'dev',
  'x-y',
  'v1.2',
  'ü',
  'é',
  '中文',
  'Ω',
  // astral
  '😀',
  '𝔸',
  '\u{10000}',
  '\u{10fffd}',
  // quotes, escapes, separators of the rendered dialects
  '"',
  "'",
  '\\',
  '\\n',
  '\\"',
  '`',
  ',',
  ';',
  '.',
  '..',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  '%%',
  '~s',
  '=',
  // substitutions: Mosquitto pattern, EMQX placeholders, the model's placeholders
  '%u',
  '%c',
  '%',
  '$',
  '$SYS',
  '${username}',
  '${clientid}',
  '${',
  '{username}',
  '{clientId}',
  // wildcards and levels
  '+',
  '#',
  '/',
  '//',
  // the renderers' own keywords
  'topic ',
  'user ',
  'pattern ',
  'eq ',
  'read',
  'write',
  'readwrite',
  'deny',
  'allow',
  '{deny, all}.',
  '# comment',
  // whitespace and invisible characters
  ' ',
  '  ',
  '\u00a0',
  '\u2003',
  '\ufeff',
  '\u200b',
  '\u200d',
  '\u00ad',
];

/** Atoms the model must refuse wherever they appear: controls, line breaks, separators, surrogates, noncharacters, bidi. */
export const REFUSED_ATOMS: readonly string[] = [
  '\u0000',
  '\n',
  '\r',
  '\r\n',
  '\t',
  '\v',
  '\f',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009f',
  '\u2028',
  '\u2029',
  '\ud800',
  '\udfff',
  '\ufffe',
  '\uffff',
  '\ufdd0',
  '\u{1fffe}',
  '\u202e',
  '\u2066',
];

/**
 * 1 to 6 atoms, with one refused atom at a random place with probability `refusedRate`; now and
 * then repeated to a huge size (up to ~70,000 UTF-16 units).
 */
export function hostileString(r: Rng, refusedRate = 0.3): string {
  const n = 1 + Math.floor(r() * 6);
  const atoms = Array.from({ length: n }, () => pick(r, ACCEPTABLE_ATOMS));
  if (r() < refusedRate) atoms.splice(Math.floor(r() * (n + 1)), 0, pick(r, REFUSED_ATOMS));
  let s = atoms.join('');
  const roll = r();
  if (roll < 0.02) s = s.repeat(Math.ceil((20000 + r() * 50000) / s.length));
  else if (roll < 0.05) s = s.repeat(Math.ceil((200 + r() * 2000) / s.length));
  return s;
}

/** A hostile level: mostly one ordinary word with hostile text around it. */
function hostileLevel(r: Rng): string {
  const roll = r();
  if (roll < 0.35) return pick(r, ['a', 'b', 'dev', 'tele']);
  if (roll < 0.45) return pick(r, ['+', '#', '{username}']);
  const s = hostileString(r, 0.1).replace(/\//g, '');
  // Mostly without braces and wildcards inside the level, which the model refuses anyway.
  return r() < 0.75 ? s.replace(/[{}+#]/g, '') || 'e' : s;
}

/** A topic filter of 1-4 levels built from hostile levels (the first one concrete more often). */
export function hostileFilter(r: Rng): string {
  const n = 1 + Math.floor(r() * 4);
  const levels = [r() < 0.5 ? pick(r, ['svc', 'a', 'dev']) : hostileLevel(r)];
  for (let i = 1; i < n; i++) levels.push(hostileLevel(r));
  return levels.join('/');
}

/**
 * A spec with hostile strings in user-controlled fields: the topics always, and one more field
 * (role name, identity name, a member, a description or an exception reason) per spec. Many are
 * refused; those accepted reach the renderers with quotes, backslashes, `%`, `$` and Unicode.
 */
export function hostileSpec(r: Rng, tag: string): PolicySpec {
  const target = pick(r, ['role', 'identity', 'member', 'description', 'reason', 'none', 'none'] as const);
  const h = (field: typeof target, plain: string) => (target === field ? hostileString(r, 0.5) : plain);
  const role = h('role', `role-${tag}`);
  const rules: RuleSpec[] = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
    const deny = r() < 0.3;
    return { ...(deny ? { effect: 'deny' as const } : r() < 0.5 ? { effect: 'allow' as const } : {}), action: deny ? 'all' : pick(r, ['publish', 'all'] as const), topics: [hostileFilter(r)] };
  });
  const members = target === 'member' || r() < 0.2 ? [h('member', `m1-${tag}`), `m2-${tag}`] : undefined;
  const broad = [...new Set(rules.flatMap((x) => (x.effect === 'deny' ? [] : x.topics.filter((t) => t.startsWith('+') || t.startsWith('#')))))];
  const reason = h('reason', 'a reviewed broad rule for this test');
  return {
    roles: [{ name: role, ...(target === 'description' ? { description: hostileString(r, 0.5) } : {}), rules }],
    identities: [{ name: h('identity', `id-${tag}`), kind: 'service', roles: [role], ...(members ? { members } : {}), ...(target === 'description' ? { description: hostileString(r, 0.5) } : {}) }],
    ...(broad.length ? { exceptions: broad.map((t) => ({ rule: 'ACL-2-broad' as const, role, topic: t, reason })) } : {}),
  };
}

/** Concrete topic names that probe a filter: its instance, a child, near-misses. Only valid MQTT topic names. */
export function probeTopics(filter: string): string[] {
  const inst = filter
    .split('/')
    .map((l) => (l === '+' ? 'x' : l === '#' ? 'h' : l))
    .join('/');
  const parent = filter.endsWith('/#')
    ? filter
        .slice(0, -2)
        .split('/')
        .map((l) => (l === '+' ? 'x' : l))
        .join('/')
    : undefined;
  const out = [inst, `${inst}/z`, inst.slice(0, -1), inst.replace(/[^\x21-\x7e/]/gu, ''), inst.replace(/\u00a0/g, ' '), ...(parent ? [parent] : [])];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what the filter refuses
  return [...new Set(out)].filter((t) => t.length > 0 && !/[+#\u0000]/.test(t) && Buffer.byteLength(t) <= 65535 && !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(t));
}

/**
 * The fixed seed list of the renderer property tests (fast and real-peer halves). A seed that
 * ever fails stays here and gets a named regression case in the tests.
 */
export const RENDER_SEEDS: readonly number[] = Array.from({ length: 400 }, (_, i) => 1000 + i);
