/**
 * MQTT topic names and filters: syntax checks (baseline ACL-3) and matching, as MQTT 3.1.1/5.0
 * define them and as Mosquitto applies them to ACLs.
 */

import { forbiddenCharacter } from '../core/text.js';

/** Placeholders a rule's topic filter may use, each as a whole topic level. */
export const PLACEHOLDERS = ['{username}', '{clientId}'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** MQTT's limit for a topic: a UTF-8 string of at most 65535 bytes. */
export const MAX_TOPIC_BYTES = 65535;

export interface FilterProblem {
  /** What is wrong, in words. */
  readonly problem: string;
  /** How to fix it. */
  readonly fix: string;
}

export interface FilterCheckOptions {
  /** Whether `{username}` / `{clientId}` levels are accepted. @default true */
  readonly allowPlaceholders?: boolean;
  /** Whether empty levels (`a//b`, a leading or trailing `/`) are accepted. @default false */
  readonly allowEmptyLevels?: boolean;
}

/**
 * Checks a topic filter as used in an ACL rule or a SUBSCRIBE. Returns the problems found,
 * an empty array when the filter is valid.
 */
export function checkFilter(filter: string, options: FilterCheckOptions = {}): FilterProblem[] {
  const problems: FilterProblem[] = [];
  if (typeof filter !== 'string' || filter.length === 0) {
    return [{ problem: 'the topic filter is empty', fix: 'give a non-empty filter such as "devices/{username}/#"' }];
  }
  const bad = forbiddenCharacter(filter);
  if (bad) {
    problems.push({ problem: `the filter contains ${bad.codePoint} at position ${bad.index}, ${bad.why}`, fix: 'remove the character' });
  }
  if (/^[ ]|[ ]$/.test(filter)) {
    problems.push({ problem: "the filter starts or ends with a space, which Mosquitto's ACL file trims away", fix: 'remove the leading or trailing space' });
  }
  if (filter.includes('${')) {
    problems.push({ problem: 'the filter contains "${", which EMQX reads as the start of a placeholder', fix: 'use the placeholders {username} and {clientId}, or remove "${"' });
  }
  const bytes = Buffer.byteLength(filter, 'utf8');
  if (bytes > MAX_TOPIC_BYTES) {
    problems.push({ problem: `the filter is ${bytes} bytes long; MQTT allows at most ${MAX_TOPIC_BYTES}`, fix: 'shorten the filter' });
  }
  const levels = filter.split('/');
  levels.forEach((level, i) => {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      problems.push({
        problem: level === '#' ? `"#" is at level ${i + 1} but must be the last level` : `"#" is mixed into the level "${level}"`,
        fix: '"#" may only stand alone as the last level, as in "devices/{username}/#"',
      });
    }
    if (level.includes('+') && level !== '+') {
      problems.push({ problem: `"+" is mixed into the level "${level}"`, fix: '"+" must stand alone in its level, as in "devices/+/telemetry"' });
    }
    if ((level.includes('{') || level.includes('}')) && !(PLACEHOLDERS as readonly string[]).includes(level)) {
      problems.push({
        problem: `the level "${level}" contains "{" or "}" but is not a placeholder`,
        fix: `placeholders are ${PLACEHOLDERS.join(' and ')} and must fill a whole level`,
      });
    }
    if ((PLACEHOLDERS as readonly string[]).includes(level) && options.allowPlaceholders === false) {
      problems.push({ problem: `placeholder ${level} is not allowed here`, fix: 'use a concrete topic level' });
    }
    if (level === '' && !options.allowEmptyLevels) {
      problems.push({
        problem:
          i === 0
            ? 'the filter starts with "/", which creates an empty first level'
            : i === levels.length - 1
              ? 'the filter ends with "/", which creates an empty last level'
              : `level ${i + 1} is empty ("//")`,
        fix: 'remove the extra "/": empty levels are legal MQTT but almost always a mistake, and they make ACLs miss',
      });
    }
  });
  return problems;
}

/** True when the topic contains a wildcard level. */
export function hasWildcard(filter: string): boolean {
  return filter.split('/').some((l) => l === '+' || l === '#');
}

/**
 * Does `filter` match the concrete topic name `topic`? MQTT semantics: `+` one level, `#` any
 * number of levels including the parent, and wildcards in the first level do not match topics
 * starting with `$`.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') !== filter.startsWith('$')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const fl = f[i]!;
    if (fl === '#') return true;
    if (i >= t.length) return false;
    if (fl !== '+' && fl !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Does the ACL filter `acl` cover the subscription filter `sub`, that is: may a client holding
 * `acl` subscribe to `sub`? This is Mosquitto's `mosquitto_sub_matches_acl`: a `+` in the
 * subscription needs `+` or `#` in the ACL, a `#` needs `#`.
 */
export function filterCovers(acl: string, sub: string): boolean {
  if (sub.startsWith('$') && !acl.startsWith('$')) return false;
  const a = acl.split('/');
  const s = sub.split('/');
  for (let i = 0; i < s.length; i++) {
    if (i >= a.length) return false;
    const al = a[i]!;
    const sl = s[i]!;
    if (al === '#') return true;
    if (sl === '#') return false;
    if (sl === '+') {
      if (al !== '+') return false;
      continue;
    }
    if (al !== '+' && al !== sl) return false;
  }
  if (a.length === s.length) return true;
  return a.length === s.length + 1 && a[a.length - 1] === '#';
}

/** Replaces whole-level placeholders by the identity's values. */
export function substitute(filter: string, values: { username: string; clientId?: string | undefined }): string {
  return filter
    .split('/')
    .map((l) => (l === '{username}' ? values.username : l === '{clientId}' ? (values.clientId ?? l) : l))
    .join('/');
}

/**
 * Is this filter "broad" (baseline ACL-2): does its first level hold a wildcard, so that it
 * reaches into every tenant's or device's subtree (`#`, `+/#`, `+/telemetry`)?
 */
export function isBroad(filter: string): boolean {
  const first = filter.split('/')[0];
  return first === '#' || first === '+';
}

/** Does the filter reach into any `$`-topic (`$SYS`, `$CONTROL`, ...)? */
export function isDollarTopic(filter: string): boolean {
  return filter.startsWith('$');
}

/**
 * Does the filter start with a shared-subscription prefix (`$share/` of MQTT 5, or EMQX's
 * `$queue/`)? Such a filter names a subscription group, not a topic, and Mosquitto's acl_file,
 * its dynamic-security plugin and EMQX each authorize it differently, so a policy rule may not
 * use one.
 */
export function isSharedSubscription(filter: string): boolean {
  const first = filter.split('/')[0];
  return first === '$share' || first === '$queue';
}

/**
 * Is there a topic name that both filters match ({@link topicMatches})? Used to prove that a
 * rendered deny line cannot take away anything an identity's own allow rules give it.
 */
export function filtersIntersect(a: string, b: string): boolean {
  if (a.startsWith('$') !== b.startsWith('$')) return false;
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; ; i++) {
    const xl = x[i];
    const yl = y[i];
    if (xl === '#' || yl === '#') return true;
    if (xl === undefined || yl === undefined) return xl === yl;
    if (xl !== '+' && yl !== '+' && xl !== yl) return false;
  }
}
