#!/usr/bin/env node
// Runs the compiled tests with node's test runner: the unit tests (*.test.js) and the integration
// tests that start real peers (*.int.test.js). `--fast` runs only the unit tests.
//
// Where node supports it (22.8 and later), the unit tests run in one process per lane
// (--experimental-test-isolation=none): most of a unit file's cost was node starting and
// importing cdktf and the kit again, and one process halved their CPU time (223 s -> 105 s for
// 82 files, measured). The integration tests keep a process per file (they start brokers,
// change directories and environments), two at a time, beside the unit lane.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stripVTControlCharacters } from 'node:util';

const USAGE = `node scripts/run-tests.mjs [--fast]   (npm test / npm run test:fast build first)

Runs the compiled tests in dist/test with node's test runner: unit tests and the integration
tests (*.int.test.js) against real peers. Missing peers make their tests skip with the reason.

  --fast      unit tests only
  -h, --help  print this help and change nothing`;
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const unknown = args.find((a) => a !== '--fast');
if (unknown !== undefined) {
  console.error(`error USAGE: unknown argument ${JSON.stringify(unknown)}. Usage: node scripts/run-tests.mjs [--fast] (--help for details)`);
  process.exit(1);
}
const fast = args.includes('--fast');
const walk = (d) => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.test.js') ? [join(d, f)] : []));
let all;
try {
  all = walk('dist/test').sort();
} catch {
  all = [];
}
const unit = all.filter((f) => !f.endsWith('.int.test.js'));
const integ = all.filter((f) => f.endsWith('.int.test.js'));
if ((fast ? unit : all).length === 0) {
  console.error('error NO_TESTS: no test files found under dist/test: run npm run build first.');
  process.exit(1);
}

const [major, minor] = process.versions.node.split('.').map(Number);
const shared = major > 22 || (major === 22 && minor >= 8); // --experimental-test-isolation (22.8+; 24 also names it --test-isolation)
const test = (extra, files) => [process.execPath, ['--test', '--test-reporter=spec', ...extra, ...files]];
/** Lanes that run at once: [name, command, streamed]. Only one lane streams; the others print when done. */
const lanes = [];
if (!shared) {
  lanes.push(['all', test(['--test-concurrency=2'], fast ? unit : all), true]);
} else if (fast) {
  // Two halves, one process each, on two cores.
  lanes.push([
    'unit 1/2',
    test(
      ['--experimental-test-isolation=none'],
      unit.filter((_, i) => i % 2 === 0),
    ),
    false,
  ]);
  lanes.push([
    'unit 2/2',
    test(
      ['--experimental-test-isolation=none'],
      unit.filter((_, i) => i % 2 === 1),
    ),
    false,
  ]);
} else {
  lanes.push(['integration', test(['--test-concurrency=2'], integ), true]);
  lanes.push(['unit', test(['--experimental-test-isolation=none'], unit), false]);
}

const SUMMARY = /^[ℹ#] (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/;
const totals = {};
let pending = lanes.length;
let worst = 0;
const write = (line) => process.stdout.write(`${line}\n`);
for (const [name, [cmd, argv], streamed] of lanes) {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: process.stdout.isTTY ? { ...process.env, FORCE_COLOR: '1' } : process.env });
  const lines = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const m = SUMMARY.exec(stripVTControlCharacters(line));
    if (m) totals[m[1]] = (totals[m[1]] ?? 0) + Number(m[2]);
    if (streamed) write(line);
    else lines.push(line);
  });
  child.on('close', (code, signal) => {
    const status = code ?? 1;
    if (status !== 0) worst = status;
    // A held lane prints whole, between two lines of the streamed lane (never inside one).
    if (!streamed) for (const line of [`\n== lane ${name} (one process${signal ? `, ended by ${signal}` : ''}, exit ${status})`, ...lines]) write(line);
    if (--pending === 0) {
      if (lanes.length > 1) write(`\n== all lanes: ${['tests', 'pass', 'fail', 'cancelled', 'skipped', 'todo'].map((k) => `${k} ${totals[k] ?? 0}`).join(', ')}`);
      process.exit(worst);
    }
  });
}
