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

/** Relative imports of a source file, as folder names under constructs/ ('core', 'k8s', ...). */
const RELATIVE = /(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(RELATIVE)) {
    const target = relative(join(root, 'constructs'), join(file, '..', m[1]!));
    out.push(target.startsWith('..') ? target : target.split(/[\\/]/).length > 1 ? target.split(/[\\/]/)[0]! : '.');
  }
  return out;
}
/** Which folders of constructs/ each layer may import (besides itself). */
const LAYERS: Record<string, readonly string[]> = {
  // Pure primitives: errors, checks, ports, images, TLS suites, zip, relaxations, text.
  core: [],
  // The Kubernetes object model and generic builders; AWS documents, keys and region checks.
  k8s: ['core'],
  aws: ['core'],
  // The broker contract every feature consumes.
  broker: ['core', 'policy'],
};

describe('guard: layering of constructs/', () => {
  const lib = files(join(root, 'constructs'));
  it('scans constructs/', () => assert.ok(lib.length > 20));
  for (const [layer, allowed] of Object.entries(LAYERS)) {
    it(`constructs/${layer} imports no feature folder (allowed: ${allowed.join(', ') || 'nothing'})`, () => {
      const bad = lib
        .filter((f) => relative(join(root, 'constructs'), f).split(/[\\/]/)[0] === layer)
        .flatMap((f) =>
          importedFolders(f)
            .filter((d) => d !== layer && !allowed.includes(d))
            .map((d) => `${relative(root, f)} -> ${d}`),
        );
      assert.deepEqual(bad, [], `constructs/${layer} must not depend on feature folders: move the shared word down (core, k8s, aws or broker) instead`);
    });
  }
  it('the brokers do not import each other: shared words live in constructs/broker or core', () => {
    const bad = lib.flatMap((f) => {
      const own = relative(join(root, 'constructs'), f).split(/[\\/]/)[0];
      const other = own === 'mosquitto' ? 'emqx' : own === 'emqx' ? 'mosquitto' : undefined;
      return other && importedFolders(f).includes(other) ? [relative(root, f)] : [];
    });
    assert.deepEqual(bad, []);
  });
  it('the broker-independent features reach a broker only through the contract (constructs/broker), never a concrete broker folder', () => {
    const features = ['monitoring', 'credentials', 'tls', 'network', 'audit'];
    const concrete = ['mosquitto', 'emqx'];
    const scanned = lib.filter((f) => features.includes(relative(join(root, 'constructs'), f).split(/[\\/]/)[0]!));
    assert.ok(scanned.length > 20, `only ${scanned.length} feature files found`);
    const bad = scanned.flatMap((f) =>
      importedFolders(f)
        .filter((d) => concrete.includes(d))
        .map((d) => `${relative(root, f)} -> ${d}`),
    );
    assert.deepEqual(bad, [], 'depend on IBroker / IMonitoredBroker (constructs/broker/target.ts) instead; extend the contract if a feature needs more');
  });
  it('the folder reader sees through relative paths', () => {
    const probe = join(root, 'constructs', 'core', 'probe.ts');
    assert.equal(relative(join(root, 'constructs'), join(probe, '..', '../mosquitto/x.js')).split(/[\\/]/)[0], 'mosquitto');
  });
});
