/**
 * `npm run bench`: synthesizes each app in separate processes, several runs, and prints the
 * median wall time and peak RSS, and their ratio to the floor app (providers only).
 */
import { spawnSync } from 'node:child_process';

interface Case {
  readonly name: string;
  readonly module: string;
  readonly args?: string[];
}

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const cases: Case[] = [
  { name: 'floor (providers only)', module: 'dist/scripts/floor-app.js' },
  { name: 'default app', module: 'dist/stacks/main.js' },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function sample(c: Case): { ms: number; rssMb: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['scripts/bench-child.mjs', c.module, ...(c.args ?? [])], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} failed:\n${r.stderr}`);
  const { maxRssKb } = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { ms, rssMb: maxRssKb / 1024 };
}

const rows = cases.map((c) => {
  sample(c); // warm the file cache
  const s = Array.from({ length: RUNS }, () => sample(c));
  return { name: c.name, ms: median(s.map((x) => x.ms)), rssMb: median(s.map((x) => x.rssMb)) };
});
const floor = rows[0]!;
console.log(`median of ${RUNS} runs, each in a fresh node process (${process.version}, ${process.platform})`);
console.log('case'.padEnd(28) + 'time ms'.padStart(10) + 'peak RSS MB'.padStart(14) + 'time x floor'.padStart(14) + 'RSS x floor'.padStart(13));
for (const r of rows) {
  console.log(r.name.padEnd(28) + r.ms.toFixed(0).padStart(10) + r.rssMb.toFixed(1).padStart(14) + (r.ms / floor.ms).toFixed(2).padStart(14) + (r.rssMb / floor.rssMb).toFixed(2).padStart(13));
}
const def = rows.find((r) => r.name === 'default app')!;
const ok = def.ms <= 2 * floor.ms && def.rssMb <= 2 * floor.rssMb;
console.log(ok ? 'target met: default app within 2x the floor in time and memory' : 'TARGET MISSED: default app exceeds 2x the floor');
process.exitCode = ok ? 0 : 1;
