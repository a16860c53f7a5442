/**
 * The filter algebra against brute force: every answer of findTopic / filterSubset / meetFilters
 * is checked against topicMatches over every topic name of a small universe (levels from the
 * filters' words plus a fresh word and a `$` word, up to one level longer than any filter).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topicMatches } from '../../constructs/policy/topic.js';
import { filterSubset, findTopic, meetFilters } from '../../constructs/review/filter-algebra.js';
import { pick, type Rng, rng } from '../helpers/random.js';

const WORDS = ['a', 'b', '$s'];

function filter(r: Rng): string {
  const n = 1 + Math.floor(r() * 3);
  const levels = Array.from({ length: n }, (_, i) => (r() < 0.3 ? '+' : pick(r, i === 0 ? WORDS : WORDS.slice(0, 2))));
  if (r() < 0.3) levels.push('#');
  return levels.join('/');
}

/** Every topic name of 1..5 levels over a, b, a fresh word and a `$` word. */
const UNIVERSE: string[] = (() => {
  const words = ['a', 'b', 'z', '$s', '$q'];
  let layer = words.map((w) => [w]);
  const out: string[][] = [...layer];
  for (let n = 2; n <= 5; n++) {
    layer = layer.flatMap((t) => ['a', 'b', 'z', '$s'].map((w) => [...t, w]));
    out.push(...layer);
  }
  return out.map((t) => t.join('/'));
})();

describe('filter algebra = brute force over topic names', () => {
  it('findTopic finds a topic exactly when one exists (300 random filter sets and predicates)', () => {
    const r = rng(7);
    let found = 0;
    for (let i = 0; i < 300; i++) {
      const fs = Array.from({ length: 2 + Math.floor(r() * 3) }, () => filter(r));
      const want = Array.from({ length: fs.length }, () => (r() < 0.5 ? true : r() < 0.5 ? false : undefined));
      const pred = (m: readonly boolean[]) => m.every((x, k) => want[k] === undefined || want[k] === x);
      const brute = UNIVERSE.find((t) => pred(fs.map((f) => topicMatches(f, t))));
      const got = findTopic(fs, pred);
      assert.equal(got !== undefined, brute !== undefined, `${JSON.stringify(fs)} ${JSON.stringify(want)}: got ${got}, brute ${brute}`);
      if (got !== undefined) {
        found++;
        assert.ok(pred(fs.map((f) => topicMatches(f, got))), got);
      }
    }
    assert.ok(found > 50 && found < 290, `${found} satisfiable: both outcomes occur`);
  });
  it('meetFilters matches exactly the topics both filters match', () => {
    const r = rng(11);
    let empty = 0;
    for (let i = 0; i < 400; i++) {
      const [x, y] = [filter(r), filter(r)];
      const m = meetFilters(x, y);
      if (m === undefined) empty++;
      for (const t of UNIVERSE) assert.equal(m !== undefined && topicMatches(m, t), topicMatches(x, t) && topicMatches(y, t), `${x} ∧ ${y} = ${m} on ${t}`);
    }
    assert.ok(empty > 20 && empty < 380, `${empty} empty meets`);
  });
  it('filterSubset = inclusion of the matched topic sets', () => {
    const r = rng(13);
    let yes = 0;
    for (let i = 0; i < 400; i++) {
      const a = [filter(r)];
      const b = Array.from({ length: 1 + Math.floor(r() * 2) }, () => filter(r));
      const brute = UNIVERSE.every((t) => !topicMatches(a[0]!, t) || b.some((f) => topicMatches(f, t)));
      assert.equal(filterSubset(a, b), brute, `${a} ⊆ ${b}`);
      if (brute) yes++;
    }
    assert.ok(yes > 20 && yes < 380, `${yes} inclusions`);
  });
  it('the first-level wildcard rule: # and + do not reach $ topics', () => {
    assert.equal(filterSubset(['$SYS/#'], ['#']), false);
    assert.equal(filterSubset(['$SYS/x'], ['+/x']), false);
    assert.equal(filterSubset(['a/$x'], ['a/+']), true);
    assert.equal(meetFilters('#', '$SYS/#'), undefined);
    assert.equal(meetFilters('a/#', 'a'), 'a');
  });
});
