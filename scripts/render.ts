/** `npm run render`: every Kubernetes object of the default app as plain YAML, one file per stack. */
import { writeKubernetesYaml } from '../stacks/artifacts.js';
import { isEntry, parseCli, runMain } from './lib/cli.js';
import { summaryLine, synthDefaultApp } from './lib/synth-out.js';

export const RENDER_USAGE = `npm run render -- [--out DIR]

Synthesizes the default stacks into DIR (default cdktf.out, replaced whole) and writes every
Kubernetes object of each stack as plain YAML to DIR/stacks/<stack>/kubernetes.yaml, for external
scanners (kubeconform, kube-score, polaris, checkov).

  --out DIR   output directory (default cdktf.out); must be new, empty or an earlier cdktf output
  -h, --help  print this help and change nothing`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli({ command: 'npm run render --', usage: RENDER_USAGE, options: { out: { type: 'string' } } }, argv);
  const { summary, extra } = await synthDefaultApp(values.out ?? 'cdktf.out', (app, finalOutdir) => writeKubernetesYaml(app, finalOutdir));
  for (const s of summary) console.log(summaryLine(s));
  for (const f of extra ?? []) console.log(`wrote ${f}`);
  return 0;
}

if (isEntry(import.meta.url)) await runMain(main);
