/** Locates files under templates/, from source (tsx) or compiled (dist/) code alike. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = [join(here, '..'), join(here, '..', '..')].find((d) => existsSync(join(d, 'templates')));

export function templatePath(rel: string): string {
  if (!root) throw new Error(`templates/ not found near ${here}`);
  return join(root, 'templates', rel);
}
