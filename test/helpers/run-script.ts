/** Runs a repository script as a user would, in a given working directory, and collects the result. */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

export interface ScriptResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `script` is a path relative to the repository root: dist/scripts/x.js, scripts/x.mjs or scripts/x.sh. */
export function runScript(script: string, args: string[], o: { cwd: string; env?: Record<string, string | undefined> }): Promise<ScriptResult> {
  const file = join(ROOT, script);
  const [cmd, argv] = script.endsWith('.sh') ? ['bash', [file, ...args]] : [process.execPath, [file, ...args]];
  return new Promise((resolve) => {
    execFile(cmd, argv, { cwd: o.cwd, env: { ...process.env, ...o.env }, encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const status = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

/** The one-line error contract: exit code, exactly one stderr line `error CODE: ...`, no stack frame. */
export function oneLineError(r: ScriptResult): string | undefined {
  const lines = r.stderr.split('\n').filter(Boolean);
  if (lines.length !== 1) return `expected one stderr line, got ${lines.length}: ${r.stderr}`;
  if (!/^error [A-Z_]+: \S/.test(lines[0]!)) return `not an "error CODE: message" line: ${lines[0]}`;
  if (/^\s+at \S/m.test(r.stderr + r.stdout)) return `a stack trace was printed: ${r.stderr}`;
  return undefined;
}

/** Every entry below dir (relative paths), to prove a command changed nothing. */
export function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}
