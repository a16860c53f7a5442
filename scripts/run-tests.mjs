#!/usr/bin/env node
// Runs the compiled tests with node's test runner. Unit tests first (fast), then the
// integration tests that start real peers (*.int.test.js). `--fast` runs only the unit tests.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const fast = process.argv.includes('--fast');
const walk = (d) => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.test.js') ? [join(d, f)] : []));
const all = walk('dist/test').sort();
const unit = all.filter((f) => !f.endsWith('.int.test.js'));
const integ = all.filter((f) => f.endsWith('.int.test.js'));
const files = fast ? unit : [...unit, ...integ];
if (files.length === 0) {
  console.error('no test files found under dist/test: did the build run?');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
