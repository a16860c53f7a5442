/**
 * `npm run bench`: synthesizes each app in fresh processes, several runs, and prints the median
 * wall time and peak RSS against the floor app (providers only); then the scale case (device
 * identities, 50 roles): synth time, rendered ACL size, and connect+subscribe latency of a real
 * Mosquitto holding the ACL.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { renderMosquittoAcl } from '../constructs/policy/render-mosquitto.js';
import { runScaleBench } from './bench-scale.js';
import { isEntry, parseCli, runMain, UsageError } from './lib/cli.js';
import { measureLatency } from './lib/latency.js';
import { scalePolicy } from './scale-app.js';

interface Case {
  readonly name: string;
  readonly module: string;
  readonly args?: string[];
}

let RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function sample(c: Case): { ms: number; rssMb: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['scripts/bench-child.mjs', c.module, ...(c.args ?? [])], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} failed:\n${r.stderr}`);
  const { maxRssKb } = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { ms, rssMb: maxRssKb / 1024 };
}

function measure(c: Case, runs = RUNS) {
  sample(c); // warm the file cache
  const s = Array.from({ length: runs }, () => sample(c));
  return { name: c.name, ms: median(s.map((x) => x.ms)), rssMb: median(s.map((x) => x.rssMb)) };
}

export const BENCH_USAGE = `npm run bench -- [--runs N]

Synthesizes the floor app, the default app, the default Kubernetes stack alone and the scale cases
(1k, 10k, 50k devices) in fresh node processes and prints the median time and peak RSS, the
rendered ACL sizes and, when mosquitto is installed, the connect latency of a real broker. Writes
only temporary directories, removed afterwards. Run npm run build first (npm run bench does).

  --runs N    samples per case, 1 to 50 (default 5, or BENCH_RUNS; 3 for 50k devices)
  -h, --help  print this help and change nothing`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli({ command: 'npm run bench --', usage: BENCH_USAGE, options: { runs: { type: 'string' } } }, argv);
  const runs = values.runs ?? process.env.BENCH_RUNS ?? '5';
  if (!/^\d+$/.test(runs) || Number(runs) < 1 || Number(runs) > 50) throw new UsageError(`--runs must be an integer from 1 to 50, got ${JSON.stringify(runs)}.`);
  RUNS = Number(runs);
  const scale = [1000, 10000, 50000];
  const rows = [
    measure({ name: 'floor (providers only)', module: 'dist/scripts/floor-app.js' }),
    measure({ name: 'default app (4 stacks)', module: 'dist/stacks/main.js' }),
    measure({ name: 'default Kubernetes stack', module: 'dist/scripts/k8s-only-app.js' }),
    ...scale.map((n) => measure({ name: `${n / 1000}k devices, 50 roles`, module: 'dist/scripts/scale-app.js', args: [String(n), '50'] }, n > 10000 ? 3 : RUNS)),
  ];
  const floor = rows[0]!;
  const def = rows[1]!;
  console.log(`median of ${RUNS} runs (3 for 50k), each in a fresh node process (${process.version}, ${process.platform}); scale cases are the default app's 4 stacks`);
  console.log('case'.padEnd(26) + 'time ms'.padStart(9) + 'peak RSS MB'.padStart(13) + 'x floor t/m'.padStart(14) + 'x default t/m'.padStart(15));
  for (const r of rows) {
    console.log(
      r.name.padEnd(26) +
        r.ms.toFixed(0).padStart(9) +
        r.rssMb.toFixed(1).padStart(13) +
        `${(r.ms / floor.ms).toFixed(2)}/${(r.rssMb / floor.rssMb).toFixed(2)}`.padStart(14) +
        `${(r.ms / def.ms).toFixed(2)}/${(r.rssMb / def.rssMb).toFixed(2)}`.padStart(15),
    );
  }
  console.log('\nrendered Mosquitto ACL (all identities, per-user blocks)');
  console.log('devices'.padStart(8) + 'lines'.padStart(9) + 'bytes'.padStart(11) + 'gzip bytes'.padStart(12) + 'bytes/device'.padStart(14));
  for (const n of scale) {
    const acl = renderMosquittoAcl(scalePolicy(n, 50), { clientIdIsUsername: true });
    console.log(
      String(n).padStart(8) +
        String(acl.split('\n').length).padStart(9) +
        String(Buffer.byteLength(acl)).padStart(11) +
        String(gzipSync(acl, { level: 9 }).length).padStart(12) +
        (Buffer.byteLength(acl) / n).toFixed(1).padStart(14),
    );
  }

  const k8s = rows[2]!;
  const tenK = rows[4]!;
  const checks: [string, boolean][] = [
    ['default Kubernetes stack within 2x the floor in time and memory', k8s.ms <= 2 * floor.ms && k8s.rssMb <= 2 * floor.rssMb],
    ['default app (4 stacks) within 2x the floor in time and memory', def.ms <= 2 * floor.ms && def.rssMb <= 2 * floor.rssMb],
    ['10k devices within 3x the default app in time', tenK.ms <= 3 * def.ms],
  ];

  const mosq = spawnSync('mosquitto', ['-h'], { encoding: 'utf8' });
  if (mosq.error) {
    console.log('\nmosquitto not installed: connect latency not measured (scripts/setup-peers.sh)');
  } else {
    console.log('\nreal Mosquitto: connect (TLS, MQTT 5, password) + subscribe + disconnect, 200 sequential clients');
    console.log('devices in ACL'.padStart(15) + 'broker start ms'.padStart(17) + 'median ms'.padStart(11) + 'p95 ms'.padStart(9));
    for (const n of [1000, 10000]) {
      const dir = mkdtempSync(join(tmpdir(), 'fortress-bench-mosq-'));
      try {
        const r = await measureLatency(scalePolicy(n, 50), dir, 200);
        console.log(String(n).padStart(15) + r.startMs.toFixed(0).padStart(17) + r.median.toFixed(1).padStart(11) + r.p95.toFixed(1).padStart(9));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  runScaleBench(def.ms);
  console.log('');
  for (const [what, ok] of checks) console.log(`${ok ? 'met   ' : 'MISSED'} ${what}`);
  // A benchmark reports; it does not fail the build (docs/maintainers.md records the numbers).
  return 0;
}

if (isEntry(import.meta.url)) await runMain(main);
