#!/usr/bin/env node
// Runs the compiled tests with node's test runner. Unit tests first (fast), then the
// integration tests that start real peers (*.int.test.js). `--fast` runs only the unit tests.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const USAGE = `node scripts/run-tests.mjs [--fast]   (npm test / npm run test:fast build first)

Runs the compiled tests in dist/test with node's test runner: unit tests, then the integration
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
const all = walk('dist/test').sort();
const unit = all.filter((f) => !f.endsWith('.int.test.js'));
const integ = all.filter((f) => f.endsWith('.int.test.js'));
const files = fast ? unit : [...unit, ...integ];
if (files.length === 0) {
  console.error('error NO_TESTS: no test files found under dist/test: run npm run build first.');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
