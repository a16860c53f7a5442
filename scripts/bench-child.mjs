// One benchmark sample: imports an app module, synthesizes it into a temp dir, prints the
// process's peak RSS. Run in a fresh process per sample so module loading is counted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [mod, ...args] = process.argv.slice(2);
const out = mkdtempSync(join(tmpdir(), 'fortress-bench-'));
const m = await import(pathToFileURL(resolve(mod)).href);
const app = await m.buildApp(out, ...args);
app.synth();
rmSync(out, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}\n`);
