/** `npm run docs:rules`: writes docs/RULES.md and the rules index of docs/SECURITY-BASELINE.md from the rule files. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from '../constructs/audit/rules/index.js';
import { renderRulesDoc, withBaselineIndex } from '../constructs/audit/rules-doc.js';
import { isEntry, parseCli, runMain } from './lib/cli.js';

export const DOCS_RULES_USAGE = `npm run docs:rules -- [--check]

Writes docs/RULES.md (the audit rule catalogue) and the rules index at the end of
docs/SECURITY-BASELINE.md from constructs/audit/rules/*.ts. Run from the repository root.

  --check     change nothing; exit 1 when either file differs from what would be written
  -h, --help  print this help and change nothing`;

/** Writes through a temporary file and a rename: never a half-written document. */
const writeWhole = (path: string, text: string) => {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
};

export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli({ command: 'npm run docs:rules --', usage: DOCS_RULES_USAGE, options: { check: { type: 'boolean' } } }, argv);
  const rulesPath = join('docs', 'RULES.md');
  const baselinePath = join('docs', 'SECURITY-BASELINE.md');
  const baseline = readFileSync(baselinePath, 'utf8');
  const want = { [rulesPath]: renderRulesDoc(RULES), [baselinePath]: withBaselineIndex(RULES, baseline) };
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  };
  const stale = Object.keys(want).filter((p) => read(p) !== want[p]);
  if (values.check) {
    if (stale.length) {
      console.error(`error DOCS_STALE: ${stale.join(' and ')} ${stale.length > 1 ? 'differ' : 'differs'} from the rule files; run npm run docs:rules`);
      return 1;
    }
    console.log('docs/RULES.md and docs/SECURITY-BASELINE.md are up to date');
    return 0;
  }
  for (const p of stale) {
    writeWhole(p, want[p]!);
    console.log(`wrote ${p}`);
  }
  if (!stale.length) console.log('docs/RULES.md and docs/SECURITY-BASELINE.md are up to date');
  return 0;
}

if (isEntry(import.meta.url)) await runMain(main);
