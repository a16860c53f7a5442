/**
 * `npm run report`: synthesizes the default app and writes, per stack, security-report.md,
 * security-report.sarif and the audit result next to cdk.tf.json.
 * `npm run report -- --diff BEFORE AFTER [--json] [--fail-on widen]`: compares two synthesized
 * outputs (cdktf.out dirs) and prints what changed in exposure, widening changes first.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffExposure, type ExposureDiff, renderExposureDiff, stackDiff } from '../constructs/audit/diff.js';
import type { AuditResult } from '../constructs/audit/engine.js';
import { exposureOf } from '../constructs/audit/exposure.js';
import { FortressError } from '../constructs/core/errors.js';
import { accessWidening, concatAccess, diffAccess } from '../constructs/review/access-diff.js';
import { accessOf } from '../constructs/review/access-model.js';
import { assertReadableConfigMaps } from '../constructs/review/mosquitto-strict.js';
import { compareReachability, type Reachability, reachabilityOf, reachabilityWidening, renderReachability } from '../constructs/review/reachability.js';
import { unmodelledChanges } from '../constructs/review/unmodelled.js';
import { AUDIT_FILE, writeReports } from '../stacks/artifacts.js';
import { isEntry, parseCli, runMain, UsageError } from './lib/cli.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const REPORT_USAGE = `npm run report -- [--out DIR]
npm run report -- --diff BEFORE AFTER [--json] [--fail-on widen]

Without --diff: synthesizes the default stacks into DIR (default cdktf.out, replaced whole) and
writes next to each stack's cdk.tf.json: security-report.md, security-report.sarif and
mqtt-fortress-audit.json; and in DIR reachability.json (who reaches which broker listener from
where: [{source, port, target, layers}]) and reachability.md (the same, with contradictions).

--diff BEFORE AFTER: compares two synthesized outputs (directories holding stacks/<stack>/cdk.tf.json,
e.g. cdktf.out of the base branch and of the pull request) and prints what changed, widening
first: what each identity may publish and receive (by the rules' meaning, per broker), who
can reach which listener (across stacks), and exposure (endpoints, source ranges, listeners, TLS, findings, suppressions). See docs/review.md.
  --json            print the result as JSON (version 2: before, after, widening, stacks[] with
                    stack, status, widening, changes[] of {widens, area, text}; access with
                    gained[] and lost[] of {stack, broker, identity, action, topic, extent,
                    example?}, brokenAssertions[] and unread[]; reachability with gained[]
                    and lost[] of {source, port, target, layers}, and contradictions[])
  --fail-on widen   exit 2 when any change widens exposure, 0 when none does

Exit codes: 0 done; 1 bad input or error (one line on stderr); 2 widening found with --fail-on widen.
  -h, --help        print this help and change nothing`;

interface LoadedStack {
  // biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON has no type
  readonly json: any;
  readonly audit: AuditResult | undefined;
}

/** Reads every stack of a synthesized output; one clear error for a missing dir or broken JSON. */
export function loadOutput(label: string, dir: string): Map<string, LoadedStack> {
  if (!existsSync(dir)) throw new FortressError('DIFF_INPUT', `${label} directory ${dir} does not exist; pass a synthesized output such as cdktf.out.`);
  if (!statSync(dir).isDirectory()) throw new FortressError('DIFF_INPUT', `${label} ${dir} is not a directory; pass a synthesized output such as cdktf.out.`);
  const stacksDir = join(dir, 'stacks');
  const names = existsSync(stacksDir)
    ? readdirSync(stacksDir)
        .filter((n) => existsSync(join(stacksDir, n, 'cdk.tf.json')))
        .sort()
    : [];
  if (!names.length)
    throw new FortressError('DIFF_INPUT', `${label} directory ${dir} holds no synthesized stack (no ${join(dir, 'stacks', '<stack>', 'cdk.tf.json')}); run npm run synth -- --out ${dir} first.`);
  const out = new Map<string, LoadedStack>();
  const parse = (file: string) => {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      if (e instanceof SyntaxError) throw new FortressError('DIFF_INPUT', `${label}: ${file} is not valid JSON (${e.message.split('\n')[0]}); synthesize that output again.`);
      throw e;
    }
  };
  for (const n of names) {
    // Terraform also reads every other *.tf / *.tf.json file of the folder (an *_override.tf.json
    // rewrites cdk.tf.json's resources); the diff reads cdk.tf.json only, so it refuses to guess.
    const extra = readdirSync(join(stacksDir, n)).filter((f) => f !== 'cdk.tf.json' && /\.tf(\.json)?$/.test(f));
    if (extra.length)
      throw new FortressError(
        'DIFF_INPUT',
        `${label}: stack ${n} holds Terraform files besides cdk.tf.json (${extra.sort().join(', ')}); Terraform applies them too and the diff does not read them. Remove them from the synthesized output, or review them by hand.`,
      );
    const auditFile = join(stacksDir, n, AUDIT_FILE);
    const json = parse(join(stacksDir, n, 'cdk.tf.json'));
    assertReadableConfigMaps(label, n, json);
    out.set(n, { json, audit: existsSync(auditFile) ? (parse(auditFile) as AuditResult) : undefined });
  }
  return out;
}

/** The reachability of a whole output: every stack's layers, and the peers its brokers declare. */
export function reachOf(out: ReadonlyMap<string, LoadedStack>): Reachability {
  return reachabilityOf(
    new Map([...out].map(([n, x]) => [n, x.json])),
    [...out.values()].flatMap((x) => x.audit?.declaredPeers ?? []),
  );
}

/** Writes reachability.json (the entries) and reachability.md next to `stacks/` of a synthesized output. */
export function writeReachability(dir: string, finalDir: string): string[] {
  const r = reachOf(loadOutput('output', dir));
  writeFileSync(join(dir, 'reachability.json'), `${JSON.stringify(r.entries, null, 2)}\n`);
  writeFileSync(join(dir, 'reachability.md'), `${renderReachability(r)}`);
  return [join(finalDir, 'reachability.json'), join(finalDir, 'reachability.md')];
}

/** The exposure diff between two synthesized outputs. */
export function diffResult(before: string, after: string): ExposureDiff {
  const b = loadOutput('BEFORE', before);
  const a = loadOutput('AFTER', after);
  const names = [...new Set([...b.keys(), ...a.keys()])].sort();
  const accessByStack = names.map((n) => {
    const [x, y] = [b.get(n), a.get(n)];
    const d = diffAccess(n, x && accessOf(n, x.json), y && accessOf(n, y.json), x?.audit?.assertions);
    // Pod templates, configuration and script keys, Terraform meta-arguments: not modelled, so a change is unread (a widening).
    return { ...d, unread: [...d.unread, ...unmodelledChanges(n, x?.json, y?.json)] };
  });
  const stacks = names.map((n, i) => {
    const [x, y] = [b.get(n), a.get(n)];
    const changes = diffExposure(x && exposureOf(n, x.json), y && exposureOf(n, y.json), x?.audit, y?.audit);
    const acc = accessByStack[i]!;
    return stackDiff(n, changes, { before: Boolean(x), after: Boolean(y) }, { widening: accessWidening(acc), changed: acc.gained.length + acc.lost.length + acc.brokenAssertions.length > 0 });
  });
  const reachability = compareReachability(reachOf(b), reachOf(a));
  return { version: 2, before, after, widening: stacks.reduce((n, s) => n + s.widening, 0) + reachabilityWidening(reachability), stacks, access: concatAccess(accessByStack), reachability };
}

export function diffOutputs(before: string, after: string): { markdown: string; widening: number; result: ExposureDiff } {
  const result = diffResult(before, after);
  return { markdown: renderExposureDiff(result), widening: result.widening, result };
}

const SPEC = {
  command: 'npm run report --',
  usage: REPORT_USAGE,
  positionals: true,
  options: { diff: { type: 'boolean' }, json: { type: 'boolean' }, 'fail-on': { type: 'string' }, out: { type: 'string' } },
} as const;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(SPEC, argv);
  if (values.diff) {
    if (positionals.length !== 2)
      throw new UsageError(`--diff needs two directories, BEFORE and AFTER; got ${positionals.length}. Usage: npm run report -- --diff BEFORE AFTER [--json] [--fail-on widen]`);
    if (values.out) throw new UsageError('--out applies to the report, not to --diff (which only reads).');
    const failOn = values['fail-on'];
    if (failOn !== undefined && failOn !== 'widen') throw new UsageError(`--fail-on accepts only "widen", got ${JSON.stringify(failOn)}.`);
    const { markdown, result } = diffOutputs(positionals[0]!, positionals[1]!);
    process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : markdown);
    console.error(`${result.widening} change(s) widen exposure or access`);
    return failOn === 'widen' && result.widening > 0 ? 2 : 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}; directories are given only with --diff BEFORE AFTER.`);
  if (values.json || values['fail-on'] !== undefined) throw new UsageError('--json and --fail-on apply only to --diff BEFORE AFTER.');
  const out = values.out ?? 'cdktf.out';
  // Loaded only here: the diff mode reads JSON and needs none of the stacks.
  const { summaryLine, synthDefaultApp } = await import('./lib/synth-out.js');
  const { summary, extra } = await synthDefaultApp(out, (app, finalOutdir) => [
    ...writeReports(app, version, process.cwd(), finalOutdir, { roots: ['stacks'] }),
    ...writeReachability(app.outdir, finalOutdir),
  ]);
  for (const s of summary) console.log(summaryLine(s));
  for (const f of extra ?? []) console.log(`wrote ${f}`);
  return 0;
}

if (isEntry(import.meta.url)) await runMain(main);
