/**
 * Escaping for everything the audit writes for people to read: the Markdown report and diff
 * (rendered by GitHub, GitLab and other CommonMark viewers, with raw HTML allowed), the HTML
 * inside it, and SARIF message text. Names, topics, reasons and paths come from users' props,
 * policies and escape hatches, so none may change the structure of what is rendered: close a code
 * span, end a table cell, open an HTML comment, make a link or a heading, or hide characters.
 */

/**
 * Characters that are invisible, reorder text or break lines: C0/C1 controls, DEL, soft hyphen,
 * zero-width and bidirectional controls, line and paragraph separators, BOM, interlinear
 * annotations. Shown as `U+XXXX` so a reviewer sees them.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's purpose
// biome-ignore lint/suspicious/noMisleadingCharacterClass: lone combining and joiner code points are what it looks for
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]/gu;

const HAS_HIDDEN = new RegExp(HIDDEN.source, 'u');

/** The string with every hidden character spelled out as ⟦U+XXXX⟧. */
export function visible(s: unknown): string {
  const v = String(s);
  if (!HAS_HIDDEN.test(v)) return v;
  return v.replace(HIDDEN, (c) => `⟦U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟧`);
}

const MD_SPECIAL = /[\\`*_[\]<>|&~#$@!]/;

/**
 * Inline Markdown text, never at the start of a line (every line the audit writes starts with its
 * own prefix): the characters that open inline syntax are backslash-escaped: code (`), emphasis
 * (* _), strikethrough (~), links and images ([ ] !), raw HTML and autolinks (< >), entities (&),
 * table cells (|), closing heading sequences (#), GitHub math ($) and mentions (@).
 */
export function mdText(s: unknown): string {
  const v = visible(s);
  return MD_SPECIAL.test(v) ? v.replace(/[\\`*_[\]<>|&~#$@!]/g, (c) => `\\${c}`) : v;
}

/**
 * A code span that shows `s` literally: the fence is one backtick longer than the longest run of
 * backticks inside, and the content is padded with a space when it starts or ends with a backtick
 * or a space (CommonMark strips one space from each side). For a table cell use {@link mdCodeCell}.
 */
export function mdCode(s: unknown): string {
  return fenced(visible(s));
}

/**
 * A code span inside a GFM table cell: the table splits cells at unescaped pipes before it parses
 * code spans and turns `\|` back into `|`, so pipes are escaped first.
 */
export function mdCodeCell(s: unknown): string {
  return fenced(visible(s).replace(/\|/g, '\\|'));
}

function fenced(v: string): string {
  if (v === '') return '` `';
  if (!v.includes('`')) return v[0] === ' ' || v.at(-1) === ' ' ? `\` ${v} \`` : `\`${v}\``;
  const longest = Math.max(0, ...[...v.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(v) ? ' ' : '';
  return `${fence}${pad}${v}${pad}${fence}`;
}

/** Text inside raw HTML (the report's `<summary>`): entities for `& < > " '`. */
export function htmlText(s: unknown): string {
  return visible(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * SARIF plain-text messages: viewers turn `[text](target)` into a link (SARIF 2.1.0 §3.11.6),
 * so brackets are escaped the way the format defines (`\[`, `\]`), and backslashes with them.
 */
export function sarifText(s: unknown): string {
  return visible(s).replace(/[\\[\]]/g, (c) => `\\${c}`);
}
