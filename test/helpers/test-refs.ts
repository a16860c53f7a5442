/** Checks a test named by the hardening tables (constructs/hardening/test-ref.ts) still exists. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestRef } from '../../constructs/hardening/test-ref.js';
import { REPO_ROOT } from '../../scripts/hardening-docs.js';

/** Problems of a named test: not a test file of this repository, or the file no longer holds the title. */
export function testRefProblem(t: TestRef): string | undefined {
  const path = join(REPO_ROOT, t.file);
  if (!/^test\/[\w./-]+\.test\.ts$/.test(t.file) || t.file.includes('..') || !existsSync(path)) return `${t.file} is not a test file of this repository`;
  return readFileSync(path, 'utf8').includes(t.title) ? undefined : `${t.file} has no test titled "${t.title}"`;
}
