/**
 * What every command-line script of this repository shares:
 * - `--help` / `-h` prints the usage on stdout, exits 0 and touches nothing;
 * - bad input exits non-zero with ONE line on stderr (`error CODE: message`), never a stack trace
 *   (`FORTRESS_DEBUG=1` prints the stack of an unexpected error for a bug report);
 * - outputs are built in a temporary directory next to their destination and moved into place
 *   only when complete ({@link writeDirAtomically}), so a failure leaves the old output (or
 *   nothing), never a half-written folder.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

import { FortressError } from '../../constructs/core/errors.js';

/** A command-line mistake: exit code 1 with one line, like every other error. */
export class UsageError extends FortressError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}

/** Exit code chosen by a script; thrown to end main() with that code after printing nothing more. */
export class Exit extends Error {
  constructor(public readonly status: number) {
    super(`exit ${status}`);
  }
}

export interface CliSpec<O extends Options> {
  /** The command as a user types it, e.g. `npm run report --`. */
  readonly command: string;
  /** Usage text printed by --help (the first line is also quoted in usage errors). */
  readonly usage: string;
  readonly options: O;
  /** Positional arguments allowed. @default false */
  readonly positionals?: boolean;
}

/** Parses argv strictly; `--help` prints the usage and exits 0 before anything else happens. */
export function parseCli<O extends Options>(spec: CliSpec<O>, argv: string[]): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${spec.usage.trimEnd()}\n`);
    throw new Exit(0);
  }
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: true }) as never;
  } catch (e) {
    // node:util's messages are one line; drop its advice about "--" and name our usage instead.
    const msg = (e as Error).message
      .split('\n')[0]!
      .replace(/\. To specify a positional argument.*$/, '')
      .replace(/\.$/, '');
    throw new UsageError(`${msg}. Usage: ${spec.usage.trim().split('\n')[0]} (--help for details)`);
  }
  if (!spec.positionals && parsed.positionals.length)
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}. Usage: ${spec.usage.trim().split('\n')[0]} (--help for details)`);
  return parsed;
}

const oneLine = (m: string) =>
  m
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');

/** The one line printed for an error (no stack): FortressError code, or the system error code. */
export function errorLine(e: unknown): string {
  if (e instanceof FortressError) return `error ${e.code}: ${oneLine(e.message)}`;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.message === 'string') return `error ${err.code}: ${oneLine(err.message)}`;
  if (err instanceof SyntaxError) return `error SYNTAX: ${oneLine(err.message)}`;
  return `error INTERNAL: ${err instanceof Error ? oneLine(err.message) : String(e)} (FORTRESS_DEBUG=1 prints the stack trace)`;
}

/** True when this module file is the process's entry script. */
export function isEntry(metaUrl: string): boolean {
  return Boolean(process.argv[1]) && metaUrl === new URL(`file://${resolve(process.argv[1]!)}`).href;
}

/** Runs a script's main: exit code from its return value, one error line on failure. */
export async function runMain(main: (argv: string[]) => number | undefined | Promise<number | undefined>): Promise<void> {
  try {
    const code = await main(process.argv.slice(2));
    process.exitCode = code ?? 0;
  } catch (e) {
    if (e instanceof Exit) {
      process.exitCode = e.status;
      return;
    }
    console.error(errorLine(e));
    if (process.env.FORTRESS_DEBUG && e instanceof Error && !(e instanceof FortressError)) console.error(e.stack);
    process.exitCode = 1;
  }
}

/** What may be replaced at the destination of {@link writeDirAtomically}. */
export interface AtomicDirOptions {
  /**
   * An existing non-empty destination is replaced only when this returns true for it (for
   * example: it holds a bundle.json, so it is an earlier output). Otherwise it is an error, so a
   * mistyped `--out ~` never deletes anything.
   */
  readonly replaceable: (existing: string) => boolean;
  /** What the destination is, for error messages. */
  readonly what: string;
  /** Entries of the old destination carried over into the new one, by relative path, when present. */
  readonly keep?: (existing: string) => string[];
}

/**
 * Builds a directory in a temporary sibling and renames it into place only after `build`
 * succeeded. On failure the temporary directory is removed and the destination is untouched.
 * Checks the destination first, so a bad destination fails before any work.
 */
export async function writeDirAtomically<T>(dest: string, o: AtomicDirOptions, build: (tmp: string) => T | Promise<T>): Promise<T> {
  const target = resolve(dest);
  const parent = dirname(target);
  let existing = false;
  if (existsSync(target)) {
    const st = statSync(target);
    if (!st.isDirectory()) throw new FortressError('OUT_NOT_DIR', `${o.what} ${dest} exists and is not a directory; choose a new path or remove that file.`);
    existing = readdirSync(target).length > 0;
    if (existing && !o.replaceable(target)) throw new FortressError('OUT_NOT_EMPTY', `${o.what} ${dest} is a non-empty directory that is not an earlier output; choose a new or empty path.`);
  }
  ensureDir(parent, o.what, dest);
  const tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
  try {
    const result = await build(tmp);
    for (const rel of existing && o.keep ? o.keep(target) : []) {
      const from = join(target, rel);
      const to = join(tmp, rel);
      if (existsSync(from) && !existsSync(to) && existsSync(dirname(to))) renameSync(from, to);
    }
    if (existsSync(target)) {
      const old = `${tmp}.old`;
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Creates `dir` and its missing ancestors one level at a time (not `recursive: true`, which spins
 * forever under /proc on Node 20), failing with one line when an ancestor is a file.
 */
function ensureDir(dir: string, what: string, dest: string): void {
  const missing: string[] = [];
  let d = dir;
  while (!existsSync(d)) {
    missing.unshift(d);
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  if (existsSync(d) && !statSync(d).isDirectory()) throw new FortressError('OUT_PARENT', `${what} ${dest}: ${d} is a file, not a directory; choose another path.`);
  for (const m of missing) mkdirSync(m);
}

/** Writes one file atomically: a temporary sibling renamed over the destination. */
export function writeFileAtomically(file: string, data: string | Uint8Array, mode?: number): void {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, data, mode === undefined ? {} : { mode });
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
