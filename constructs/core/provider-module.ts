/**
 * Loads a provider resource module through CommonJS `require`.
 *
 * The generated provider packages are CommonJS. Imported from ES modules, every one of them
 * goes through Node's CommonJS export lexer and ESM format detection: for the 38 modules the
 * default app uses that costs about 125 ms per process against 54 ms through `require`
 * (measured on node 20, 2 cores). Types still come from `import type`, so nothing is lost.
 * Deep paths only: the root import costs seconds and a gigabyte.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export function providerModule<T>(id: `@cdktf/provider-${'aws' | 'kubernetes'}/lib/${string}/index.js`): T {
  return load(id) as T;
}
