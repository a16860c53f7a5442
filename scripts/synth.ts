/**
 * `npm run synth`: synthesizes the default stacks into cdktf.out (or --out DIR), replacing the
 * previous output whole, and prints one line per stack: resources and open findings.
 */
import { isEntry, parseCli, runMain } from './lib/cli.js';
import { summaryLine, synthDefaultApp } from './lib/synth-out.js';

export const SYNTH_USAGE = `npm run synth -- [--out DIR]

Synthesizes the default stacks (see docs/default-stacks.md) into DIR (default cdktf.out) and
prints one line per stack: its resources and open audit findings. DIR is replaced whole, so it
holds only this synth's stacks; a failed synth leaves it as it was. Terraform's working files of a
stack that still exists (.terraform/, .terraform.lock.hcl) are kept.

  --out DIR   output directory (default cdktf.out); must be new, empty or an earlier cdktf output
  -h, --help  print this help and change nothing`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli({ command: 'npm run synth --', usage: SYNTH_USAGE, options: { out: { type: 'string' } } }, argv);
  const out = values.out ?? 'cdktf.out';
  const { summary } = await synthDefaultApp(out);
  for (const s of summary) console.log(summaryLine(s));
  console.log(`${summary.length} stack${summary.length === 1 ? '' : 's'} written to ${out}/stacks`);
  return 0;
}

if (isEntry(import.meta.url)) await runMain(main);
