import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const SKIP = new Set(['node_modules', 'dist', 'cdktf.out', '.git', '.local']);

// This file holds the patterns as test data.
const SELF = /guard[\\/]imports\.test\.(ts|js)$/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    if (SKIP.has(f)) return [];
    if (SELF.test(join(dir, f))) return [];
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|mts|js|mjs|cjs)$/.test(f) ? [p] : [];
  });
}

/** The provider packages' root import costs ~8 s and ~1 GB per process. */
const ROOT_IMPORT = /(from\s+|import\s*\(\s*|require\s*\(\s*|providerModule\s*(<[^>]*>)?\s*\(\s*)['"]@cdktf\/provider-(aws|kubernetes)(\/lib)?\/?['"]/;
/** Library code loads provider classes through providerModule (CommonJS): ESM value imports cost ~70 ms per synth. */
const ESM_VALUE_IMPORT = /^import\s+(?!type\b)[^;]*from\s+['"]@cdktf\/provider-(aws|kubernetes)\//m;
/** Deep imports must name the file (ESM: a bare folder is ERR_UNSUPPORTED_DIR_IMPORT). */
const DIR_IMPORT = /['"]@cdktf\/provider-(aws|kubernetes)\/lib\/[a-z0-9-]+['"]/;

describe('guard: provider imports', () => {
  const all = files(root);
  it('scans the source tree', () => assert.ok(all.length > 20, `only ${all.length} files found under ${root}`));
  it('no root import of @cdktf/provider-aws or @cdktf/provider-kubernetes', () => {
    const bad = all.filter((f) => ROOT_IMPORT.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f));
    assert.deepEqual(bad, [], `root provider imports found (import by deep path, e.g. '@cdktf/provider-aws/lib/vpc/index.js'): ${bad.join(', ')}`);
  });
  it('no folder import of a provider resource', () => {
    const bad = all.filter((f) => DIR_IMPORT.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f));
    assert.deepEqual(bad, [], `folder imports found (add /index.js): ${bad.join(', ')}`);
  });
  it('library code loads provider classes through providerModule, never as ES module values', () => {
    const lib = all.filter((f) => /^(constructs|stacks|scripts)[\\/]/.test(relative(root, f)));
    assert.ok(lib.length > 20);
    const bad = lib.filter((f) => ESM_VALUE_IMPORT.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f));
    assert.deepEqual(bad, [], `use providerModule<typeof import(...)>('...') (constructs/core/provider-module.ts): ${bad.join(', ')}`);
  });
  it('the patterns catch what they should', () => {
    // Sample root imports built at run time, so this file holds no root import a scanner would flag.
    const root = (name: 'aws' | 'kubernetes') => ['@cdktf', `provider-${name}`].join('/');
    assert.match(`const { Vpc } = providerModule<typeof P>('${root('aws')}');`, ROOT_IMPORT);
    assert.match(`import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';`, ESM_VALUE_IMPORT);
    assert.doesNotMatch(`import type { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';`, ESM_VALUE_IMPORT);
    assert.doesNotMatch(`import type * as P_vpc from '@cdktf/provider-aws/lib/vpc/index.js';`, ESM_VALUE_IMPORT);
    assert.match(`import { Vpc } from '${root('aws')}';`, ROOT_IMPORT);
    assert.match(`const k = require("${root('kubernetes')}")`, ROOT_IMPORT);
    assert.match(`await import('${root('aws')}/lib')`, ROOT_IMPORT);
    assert.doesNotMatch(`import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';`, ROOT_IMPORT);
    assert.match(`import { Vpc } from '@cdktf/provider-aws/lib/vpc';`, DIR_IMPORT);
  });
});
