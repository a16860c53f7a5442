/**
 * Set algebra on MQTT topic filters, read as the sets of topic names they match (MQTT semantics
 * as in {@link topicMatches}: `+` one level, `#` any number of levels including none, and a
 * wildcard in the first level does not match a topic starting with `$`).
 *
 * {@link findTopic} decides any question of the form "is there a topic name that these filters
 * match (or do not match) in this combination?" exactly, and returns such a topic as a witness.
 * It walks the topic level by level: at each level only the literal levels the filters name there
 * can be told apart, every other value behaves like one fresh value (and, in the first level, one
 * fresh value starting with `$`). The state is the position of each filter; equal states have
 * equal futures, so each is visited once. Inclusion ({@link filterSubset}), intersection
 * ({@link meetFilters}) and the access diff are built on it.
 */
import { topicMatches } from '../policy/topic.js';

/** A filter's position: a level index, or matched by `#` (everything below), or no match. */
const ALL = -2;
const DEAD = -1;

const split = (f: string) => f.split('/');

/**
 * A topic name (levels joined by `/`) for which `pred` holds, given for each filter whether it
 * matches that topic; `undefined` when no topic name has that combination.
 */
export function findTopic(filters: readonly string[], pred: (matches: readonly boolean[]) => boolean): string | undefined {
  const levels = filters.map(split);
  const literals = new Set(levels.flat());
  const freshFrom = (base: string) => {
    let v = base;
    for (let i = 1; literals.has(v); i++) v = `${base}${i}`;
    return v;
  };
  const fresh = freshFrom('x');
  const freshDollar = freshFrom('$x');
  const seen = new Set<string>();
  const endMatch = (s: number, l: readonly string[]) => s === ALL || (s >= 0 && (s === l.length || l[s] === '#'));
  const step = (s: number, l: readonly string[], v: string, first: boolean): number => {
    if (s < 0 || s === l.length) return s === ALL ? ALL : DEAD;
    const level = l[s]!;
    const dollar = first && v.startsWith('$');
    if (level === '#') return dollar ? DEAD : ALL;
    if (level === '+') return dollar ? DEAD : s + 1;
    return level === v ? s + 1 : DEAD;
  };
  const walk = (states: readonly number[], prefix: readonly string[]): string | undefined => {
    const first = prefix.length === 0;
    if (!first && pred(states.map((s, i) => endMatch(s, levels[i]!)))) return prefix.join('/');
    // Only ALL and DEAD left: every longer topic has the same matches as this one.
    if (!first && states.every((s) => s < 0)) return undefined;
    const key = `${first ? '^' : ''}${states.join(',')}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    const values = new Set<string>();
    states.forEach((s, i) => {
      const l = levels[i]!;
      if (s >= 0 && s < l.length && l[s] !== '+' && l[s] !== '#') values.add(l[s]!);
    });
    values.add(fresh);
    if (first) values.add(freshDollar);
    for (const v of values) {
      const found = walk(
        states.map((s, i) => step(s, levels[i]!, v, first)),
        [...prefix, v],
      );
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const found = walk(
    filters.map(() => 0),
    [],
  );
  // The walk and topicMatches must agree on the witness; a disagreement is a bug, not a result.
  if (found !== undefined && !pred(filters.map((f) => topicMatches(f, found)))) throw new Error(`filter algebra: witness ${JSON.stringify(found)} does not hold`);
  return found;
}

/** Does every topic name that one of `a` matches also match one of `b`? */
export function filterSubset(a: readonly string[], b: readonly string[]): boolean {
  const n = a.length;
  return findTopic([...a, ...b], (m) => m.slice(0, n).some(Boolean) && !m.slice(n).some(Boolean)) === undefined;
}

/**
 * The filter matching exactly the topic names both filters match, or `undefined` when they
 * share none (the intersection of two filters is always one filter or empty).
 */
export function meetFilters(a: string, b: string): string | undefined {
  const x = split(a);
  const y = split(b);
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined && q === undefined) break;
    if (p === '#' || q === '#') {
      const rest = (p === '#' ? y : x).slice(i);
      const other = p === '#' ? q : p;
      if (i === 0 && other !== undefined && other !== '#' && other !== '+' && other.startsWith('$')) return undefined;
      out.push(...(rest.length ? rest : []));
      if (!rest.length) break;
      return out.join('/');
    }
    if (p === undefined || q === undefined) return undefined;
    if (p === '+' || q === '+') {
      const v = p === '+' ? q : p;
      if (i === 0 && v !== '+' && v.startsWith('$')) return undefined;
      out.push(v);
      continue;
    }
    if (p !== q) return undefined;
    out.push(p);
  }
  return out.join('/');
}
