/**
 * docs/api (the API reference) is what TypeDoc generates from the doc comments today. In the full
 * suite, not the fast one: a generation takes about 20 s on 2 cores (TypeDoc builds a TypeScript
 * program of the whole constructs/ tree). When it fails: run `npm run docs:api` and commit docs/api;
 * it also fails on a TypeDoc warning (a referenced type the entry points do not export).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
/** Terminal colour codes TypeDoc writes around its log levels. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function files(dir: string): Map<string, string> {
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  let all: string[] = [];
  try {
    all = walk(dir);
  } catch {
    return new Map();
  }
  return new Map(all.map((f) => [relative(dir, f), readFileSync(f, 'utf8')]));
}

describe('the API reference', () => {
  it('docs/api equals a fresh generation from the doc comments (else: npm run docs:api)', async () => {
    const { generateApiDocs } = (await import(join(root, 'scripts', 'api-docs.mjs'))) as { generateApiDocs: (out: string, logLevel?: string) => { status: number; output: string } };
    const out = mkdtempSync(join(tmpdir(), 'fortress-api-docs-'));
    try {
      const r = generateApiDocs(out, 'Warn');
      assert.equal(r.status, 0, `TypeDoc failed, so docs/api cannot be checked: ${r.output}`);
      // A warning is mostly a type that an exported signature references but constructs/index.ts
      // (or constructs/policy/index.ts) does not export: users could not name it.
      const warnings = r.output
        .split('\n')
        .map((l) => l.replace(ANSI, ''))
        .filter((l) => l.startsWith('[warning]') && !/^\[warning\] Found \d+ errors/.test(l));
      assert.deepEqual(warnings, [], 'TypeDoc warns: export the referenced types from the entry point (or fix the doc comment)');
      const fresh = files(out);
      const committed = files(join(root, 'docs', 'api'));
      assert.ok(fresh.size > 0, 'TypeDoc wrote no file');
      const differ = [
        ...[...fresh.keys()].filter((f) => !committed.has(f)).map((f) => `missing docs/api/${f}`),
        ...[...committed.keys()].filter((f) => !fresh.has(f)).map((f) => `stale docs/api/${f}`),
        ...[...fresh.keys()].filter((f) => committed.has(f) && committed.get(f) !== fresh.get(f)).map((f) => `changed docs/api/${f}`),
      ].sort();
      if (differ.length > 0) {
        assert.fail(
          `docs/api is out of date with the doc comments of the package's exports (${differ.length} file${differ.length === 1 ? '' : 's'}: ${differ.slice(0, 8).join(', ')}${differ.length > 8 ? ', ...' : ''}). Run \`npm run docs:api\` and commit docs/api; never edit docs/api by hand.`,
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
