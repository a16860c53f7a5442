/**
 * Characters no string of the access policy may contain, wherever it ends up: every rendered
 * broker file (Mosquitto's ACL, the dynamic-security JSON, EMQX's acl.conf and bootstrap), the
 * security report and the Kubernetes objects. One rule for topics, names, descriptions and
 * reasons, so a renderer never meets a character it cannot carry.
 *
 * Refused, each with the reason:
 * - U+0000-U+001F, U+007F-U+009F (C0, DEL, C1 controls): line breaks end a line in the ACL file
 *   and the report, so one topic could write extra rules; the MQTT specification says topics
 *   SHOULD NOT contain them (MQTT 5.0 section 1.5.4) and Mosquitto refuses them from clients.
 * - U+2028, U+2029 (line and paragraph separators): line breaks for many editors and viewers.
 * - U+D800-U+DFFF alone (unpaired surrogates): not encodable in UTF-8, so the written file would
 *   carry U+FFFD instead of what the policy says.
 * - U+FDD0-U+FDEF and U+xFFFE, U+xFFFF (noncharacters): Mosquitto refuses them as malformed
 *   UTF-8 in a client's topic, so a rule holding one could never match what the model says.
 * - U+202A-U+202E, U+2066-U+2069 (bidirectional overrides and isolates): a reviewer would read
 *   a different topic than the broker uses ("Trojan Source").
 */

import { FortressError } from './errors.js';

/** Why a code point is refused, or undefined when it is allowed. */
function refusal(cp: number): string | undefined {
  if (cp === 0) return 'NUL, which MQTT forbids in topics';
  if (cp === 0x0a) return 'a line feed, which would start a new line in the rendered ACL file';
  if (cp === 0x0d) return 'a carriage return, which ends a line in the rendered files';
  if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) return 'a control character, which MQTT topics should not contain and rendered files cannot carry';
  if (cp === 0x2028 || cp === 0x2029) return 'a line or paragraph separator, which editors and viewers show as a line break';
  if (cp >= 0xd800 && cp <= 0xdfff) return 'an unpaired surrogate, which is not valid UTF-8';
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return 'a Unicode noncharacter, which Mosquitto refuses as malformed UTF-8';
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return 'a bidirectional override, which makes the text read differently from what the broker uses';
  return undefined;
}

export interface ForbiddenCharacter {
  /** Index in the string (UTF-16 code units, as JavaScript counts). */
  readonly index: number;
  /** `U+000A` */
  readonly codePoint: string;
  readonly why: string;
}

/** The first refused character of `s`, or undefined when every character is allowed. */
export function forbiddenCharacter(s: string): ForbiddenCharacter | undefined {
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        const why = refusal(cp);
        if (why) return { index: i, codePoint: formatCodePoint(cp), why };
        i++;
        continue;
      }
    }
    const why = refusal(cp);
    if (why) return { index: i, codePoint: formatCodePoint(cp), why };
  }
  return undefined;
}

export function formatCodePoint(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The problem with `s` in words (for an error message), or undefined when it is clean. */
export function textProblem(s: string): string | undefined {
  const f = forbiddenCharacter(s);
  return f ? `contains ${f.codePoint} at position ${f.index}: ${f.why}. Remove it` : undefined;
}

/**
 * A renderer's own guard, independent of the model's validation: throws unless `value` can be
 * written into a line-based file as one token that the reader gets back unchanged (no refused
 * character, not empty, no leading or trailing ASCII whitespace, which Mosquitto trims; other
 * Unicode spaces are kept by Mosquitto and allowed here).
 */
export function assertRenderable(file: string, what: string, value: string): void {
  const problem =
    typeof value !== 'string'
      ? 'is not a string'
      : value.length === 0
        ? 'is empty'
        : /^[ \t\n\v\f\r]|[ \t\n\v\f\r]$/.test(value)
          ? 'starts or ends with whitespace that Mosquitto trims'
          : textProblem(value);
  if (problem) {
    throw new FortressError('RENDER_UNSAFE', `cannot write ${what} ${JSON.stringify(String(value).slice(0, 80))} into ${file}: it ${problem}. Validate the policy with Policy.from.`);
  }
}
