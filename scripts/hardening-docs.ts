/**
 * Writes the hardening tables generated from code: docs/device-defender.md and
 * docs/secure-defaults.md. `npm run docs:hardening`; test/hardening/*.test.ts fail when a
 * committed file differs from what the code renders.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULES } from '../constructs/audit/rules.js';
import { renderDeviceDefenderDoc } from '../constructs/hardening/device-defender.js';
import { renderLimitsDoc } from '../constructs/hardening/limits.js';

/** Repository root (this file runs from dist/scripts). */
export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');

export const ruleInfo = (id: string): string | undefined => RULES.find((r) => r.id === id)?.info;

/** Every generated document: path from the repository root -> content. */
export function hardeningDocs(): Record<string, string> {
  return {
    'docs/device-defender.md': renderDeviceDefenderDoc(ruleInfo),
    'docs/dos-limits.md': renderLimitsDoc(),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [path, text] of Object.entries(hardeningDocs())) {
    writeFileSync(join(REPO_ROOT, path), text);
    console.log(`wrote ${path}`);
  }
}
