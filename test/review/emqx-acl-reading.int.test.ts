/**
 * The diff reads EMQX's acl.conf as Erlang's file:consult/1 (what EMQX's file authorizer calls)
 * reads it, or not at all. Hostile texts, each through a real `erl` (one VM for all: ~2 s): where
 * the reader reads a term, Erlang reads the same permission, username, action and topics; where
 * it cannot be certain (escapes Erlang decodes into other characters, quoted atoms, character
 * literals, an encoding comment), the whole file is unread. The renderer's own escapes (erlString)
 * read back to the original string on both sides.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EmqxAclTerm, readEmqxAclTerms, UNREADABLE } from '../../constructs/audit/emqx-view.js';
import { erlString } from '../../constructs/policy/render-emqx.js';
import { consultMany, type Term } from '../helpers/emqx-authz.js';
import { missing } from '../helpers/peers.js';

/** One Erlang term in the reader's shape; undefined when it is not a shape the reader reads. */
function erlangRule(t: Term): { allow: boolean; who: string | undefined; action: string; topics: readonly string[] } | undefined {
  const tup = (x: Term) => (typeof x === 'object' && x !== null && !Array.isArray(x) && 'tuple' in x ? x.tuple : undefined);
  const atom = (x: Term | undefined) => (typeof x === 'object' && x !== null && !Array.isArray(x) && 'atom' in x ? x.atom : undefined);
  const str = (x: Term | undefined) => (typeof x === 'string' ? x : Array.isArray(x) && x.length === 0 ? '' : undefined);
  const e = tup(t);
  if (!e) return undefined;
  const perm = atom(e[0]);
  if (e.length === 2 && atom(e[1]) === 'all') return { allow: perm === 'allow', who: undefined, action: 'all', topics: ['#'] };
  const whoT = tup(e[1]!);
  const who = atom(e[1]) === 'all' ? undefined : whoT && ['username', 'user'].includes(atom(whoT[0]) ?? '') ? str(whoT[1]) : null;
  const topics = Array.isArray(e[3]) ? e[3].map((x) => str(x)) : undefined;
  if (who === null || !topics || topics.some((x) => x === undefined)) return undefined;
  return { allow: perm === 'allow', who, action: atom(e[2]) ?? '?', topics: topics as string[] };
}

const HOSTILE: readonly [string, string][] = [
  ['hex escape', '{deny, {username, "backend"}, all, ["x{23}"]}.\n{allow, {username, "backend"}, all, ["\\x{23}"]}.\n'],
  ['short hex escape', '{allow, {username, "backend"}, all, ["\\x23"]}.\n'],
  ['octal escape', '{allow, {username, "backend"}, all, ["\\043"]}.\n'],
  ['escape in the username', '{allow, {username, "c\\x{61}rol"}, all, ["#"]}.\n'],
  ['control escape that swallows the quote', '{allow, {username, "a"}, all, ["\\^"]}.\n{allow, all}.\n"]}.\n'],
  ['unknown escape', '{allow, {username, "a"}, all, ["\\#"]}.\n'],
  ['quoted atom', '{\'allow\', {username, "a"}, all, ["#"]}.\n'],
  ['character literal', '{allow, {username, "a"}, all, [[$#]]}.\n'],
  ['encoding comment', '%% coding: latin-1\n{allow, {username, "a"}, all, ["é"]}.\n'],
  ['a line starting with % inside a string', '{deny, {username, "b"}, all, ["x\n%", "#"]}.\n{allow, {username, "b"}, all, ["#"]}.\n'],
  ['a term end inside a string', '{allow, {username, "b"}, publish, ["a}.\n{allow, all}."]}.\n{deny, all}.\n'],
  ['adjacent strings (Erlang joins them)', '{deny, {username, "b"}, all, ["x" "#"]}.\n{allow, {username, "b"}, all, ["#"]}.\n'],
  ['comment after the dot', '{allow, {username, "b"}, publish, ["a"]}. % note\n{deny, all}.\n'],
  ['user instead of username', '{allow, {user, "b"}, subscribe, ["a/#"]}.\n'],
  ['the kit escapes, unicode, tab and CR in strings', '{allow, {username, "q\\"x"}, all, ["a\\\\b", "é/😀", "t\tr\r"]}.\n'],
];

describe('EMQX acl.conf: the diff reads what Erlang reads, or nothing', { skip: missing.erl }, () => {
  // Hostile texts and the renderer's escapes, all through one Erlang VM.
  const strings = ['\\', '"', '\\x{23}', '\\043', '%', '}.\n{allow, all}.', '\\"', 'a\nb', 'é/😀', "'", '$', '\\\\"#'];
  const rendered = strings.map((s) => `{allow, {username, ${erlString(s)}}, publish, [${erlString(s)}, ${erlString(`${s}/x`)}]}.\n`).join('');
  const erl = consultMany([...HOSTILE.map(([, t]) => t), rendered]);

  for (const [i, [name, text]] of HOSTILE.entries()) {
    it(`${name}: unread, or read as Erlang reads it`, () => {
      const mine = readEmqxAclTerms(text);
      const theirs = erl[i]!;
      if (typeof mine[0] === 'string' && mine[0].startsWith(UNREADABLE)) return;
      // Erlang refuses the file: EMQX loads no rule from it (it does not widen).
      if (!Array.isArray(theirs)) return;
      assert.equal(mine.length, theirs.length, `term count: reader ${JSON.stringify(mine)} against Erlang ${JSON.stringify(theirs)}`);
      for (const [k, t] of mine.entries()) {
        if (typeof t === 'string') continue; // unread: counted as widening
        const r = t as EmqxAclTerm;
        assert.deepEqual({ allow: r.allow, who: r.who, action: r.action, topics: r.topics }, erlangRule(theirs[k]!), `${name}, term ${k}`);
      }
    });
  }

  it('escapes Erlang would decode into other characters make the whole file unread (a hex #, octal, in a username)', () => {
    for (const [name, text] of HOSTILE.slice(0, 4)) {
      const mine = readEmqxAclTerms(text);
      assert.equal(mine.length, 1, name);
      assert.ok(String(mine[0]).startsWith(UNREADABLE), `${name}: ${JSON.stringify(mine)}`);
    }
    // What the reader refused is what Erlang decodes: "\x{23}" is "#".
    assert.deepEqual(erlangRule((erl[0] as Term[])[1]!)?.topics, ['#']);
    assert.equal(erlangRule((erl[3] as Term[])[0]!)?.who, 'carol');
  });

  it("the renderer's escapes (erlString: backslash and quote) read back to the original string, by the reader and by Erlang", () => {
    const mine = readEmqxAclTerms(rendered);
    const theirs = erl.at(-1) as Term[];
    assert.equal(mine.length, strings.length);
    for (const [k, s] of strings.entries()) {
      const t = mine[k] as EmqxAclTerm;
      assert.equal(typeof t, 'object', `${JSON.stringify(s)} read: ${JSON.stringify(mine[k])}`);
      assert.deepEqual({ who: t.who, topics: t.topics }, { who: s, topics: [s, `${s}/x`] });
      assert.deepEqual(erlangRule(theirs[k]!), { allow: true, who: s, action: 'publish', topics: [s, `${s}/x`] });
    }
  });
});
