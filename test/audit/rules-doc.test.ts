/**
 * docs/RULES.md and the rules index of docs/SECURITY-BASELINE.md are generated from the rule
 * files (npm run docs:rules): they fail here when a rule changes and the docs were not
 * regenerated, when a baseline ID has no rule and no stated reason, or when a rule names an ID
 * the baseline does not list.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RULES } from '../../constructs/audit/rules/index.js';
import { baselineIds, NOT_AUDITED, renderBaselineIndex, renderRulesDoc, withBaselineIndex } from '../../constructs/audit/rules-doc.js';
import { main } from '../../scripts/docs-rules.js';

const doc = (name: string) => readFileSync(fileURLToPath(new URL(`../../../docs/${name}`, import.meta.url)), 'utf8');

describe('generated rule docs', () => {
  it('docs/RULES.md is what npm run docs:rules writes', () => {
    assert.equal(doc('RULES.md'), renderRulesDoc(RULES), 'docs/RULES.md is stale: run npm run docs:rules');
  });
  it("docs/SECURITY-BASELINE.md's rules index is what npm run docs:rules writes", () => {
    const b = doc('SECURITY-BASELINE.md');
    assert.equal(b, withBaselineIndex(RULES, b), 'docs/SECURITY-BASELINE.md is stale: run npm run docs:rules');
  });
  it('every baseline ID is checked by a rule or has a stated reason, never both', () => {
    const ids = baselineIds(doc('SECURITY-BASELINE.md'));
    assert.ok(ids.length >= 25, `${ids.length} IDs`);
    for (const id of ids) {
      const by = RULES.filter((r) => (r.baseline ?? [r.id]).includes(id));
      assert.ok(by.length > 0 || NOT_AUDITED[id] !== undefined, id);
      assert.ok(!(by.length > 0 && NOT_AUDITED[id] !== undefined), `${id} has a rule and a reason for having none`);
    }
    for (const id of Object.keys(NOT_AUDITED)) assert.ok(ids.includes(id), `${id} is not in the baseline`);
  });
  it('a baseline ID without rule or reason, or a rule naming an unknown ID, is refused', () => {
    const b = doc('SECURITY-BASELINE.md').replace('- **AUTH-1**', '- **AUTH-9** new requirement\n- **AUTH-1**');
    assert.throws(() => renderBaselineIndex(RULES, b), /baseline AUTH-9 has no audit rule and no stated reason/);
    const odd = [{ ...RULES[0]!, baseline: ['TLS-9'] }];
    assert.throws(() => renderBaselineIndex(odd, doc('SECURITY-BASELINE.md')), /TLS-1 names TLS-9/);
  });
  it('every rule has its section, its baseline links and its suppression key in RULES.md', () => {
    const md = doc('RULES.md');
    for (const r of RULES) {
      assert.match(md, new RegExp(`^## ${r.id}$`, 'm'));
      assert.ok(md.includes(`appliesTo: ['${r.id}[...]']`), r.id);
      for (const b of r.baseline ?? [r.id]) assert.ok(md.includes(`(SECURITY-BASELINE.md#${b.toLowerCase()})`), `${r.id} -> ${b}`);
    }
  });
  it('npm run docs:rules -- --check passes on the committed docs', async () => {
    const cwd = process.cwd();
    process.chdir(fileURLToPath(new URL('../../../', import.meta.url)));
    try {
      assert.equal(await main(['--check']), 0);
    } finally {
      process.chdir(cwd);
    }
  });
});
