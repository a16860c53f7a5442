#!/usr/bin/env node
// `npm run docs:api`: regenerates the API reference (docs/api, Markdown) from the doc comments of
// the package's two entry points with TypeDoc and typedoc-plugin-markdown. TypeDoc 0.28 reads the
// sources through the TypeScript 5/6 compiler API, which TypeScript 7 (the repository's compiler)
// does not offer, so TypeDoc and TypeScript 6.0 live in the workspace tools/api-docs (installed by
// npm ci). test/guard/api-docs.int.test.ts fails when docs/api differs from a fresh generation.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE = `npm run docs:api -- [--out DIR]

Regenerates the API reference from the doc comments of constructs/index.ts (mqtt-fortress) and
constructs/policy/index.ts (mqtt-fortress/policy) into DIR (default docs/api), replacing it whole.

  --out DIR   output directory (default docs/api)
  -h, --help  print this help and change nothing`;

const root = join(fileURLToPath(import.meta.url), '..', '..');
export const TYPEDOC = join(root, 'tools', 'api-docs', 'node_modules', 'typedoc', 'bin', 'typedoc');
export const TYPEDOC_OPTIONS = join(root, 'tools', 'api-docs', 'typedoc.json');

/** Generates the reference into `out`; returns TypeDoc's exit status and output. */
export function generateApiDocs(out, logLevel = 'Warn') {
  if (!existsSync(TYPEDOC)) return { status: 1, output: `TypeDoc is not installed (${TYPEDOC} is missing): run npm ci at the repository root, which installs the workspace tools/api-docs.` };
  const r = spawnSync(process.execPath, [TYPEDOC, '--options', TYPEDOC_OPTIONS, '--out', out, '--logLevel', logLevel], { cwd: root, encoding: 'utf8' });
  return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}`.trim() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  let out = join(root, 'docs', 'api');
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out' && args[i + 1] !== undefined) out = args[++i];
    else {
      console.error(`error USAGE: unknown argument ${JSON.stringify(args[i])}. Usage: npm run docs:api -- [--out DIR] (--help for details)`);
      process.exit(1);
    }
  }
  const r = generateApiDocs(out);
  if (r.status !== 0) {
    console.error(`error API_DOCS: TypeDoc failed: ${r.output.split('\n').find((l) => /error/i.test(l)) ?? r.output.split('\n')[0]}`);
    process.exit(1);
  }
  if (r.output !== '') console.log(r.output);
  console.log(`API reference written to ${out}`);
}
