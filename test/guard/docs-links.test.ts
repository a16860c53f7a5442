/**
 * Every relative link of the user documentation (README.md and docs/**\/*.md) points at a file
 * that exists, and every #anchor at a heading (or an explicit `<a id>`/`<a name>`) of its target,
 * with GitHub's anchor rules. No document mentions a file users do not have.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

function markdownFiles(): string[] {
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.md') ? [join(d, e.name)] : []));
  return [join(root, 'README.md'), ...walk(join(root, 'docs'))];
}

/** The text outside fenced code blocks and inline code, where links are links. */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchor: lower case, formatting and punctuation dropped, spaces to hyphens, duplicates numbered. */
export function anchorsOf(text: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  const body = text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const m of body.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const plain = (m[1] as string)
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .toLowerCase();
    const base = plain
      .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, '')
      .trim()
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:id|name)=["']([^"']+)["']/g)) out.add(m[1] as string);
  return out;
}

/**
 * Links to documents another change is adding, by `file: (link)`. Each entry must still be broken:
 * once the target exists, the test fails until the entry is removed here.
 */
const PENDING = new Set<string>([]);

interface Broken {
  readonly file: string;
  readonly link: string;
  readonly problem: string;
}

function brokenLinks(): Broken[] {
  const broken: Broken[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchors = (f: string): Set<string> => {
    let a = anchorCache.get(f);
    if (a === undefined) {
      a = anchorsOf(readFileSync(f, 'utf8'));
      anchorCache.set(f, a);
    }
    return a;
  };
  for (const file of markdownFiles()) {
    const text = prose(readFileSync(file, 'utf8'));
    const rel = relative(root, file);
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const link = m[1] as string;
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:
      const [pathPart, anchor] = link.split('#', 2) as [string, string | undefined];
      const target = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
      if (!target.startsWith(root)) {
        broken.push({ file: rel, link, problem: 'points outside the repository' });
        continue;
      }
      if (!existsSync(target)) {
        broken.push({ file: rel, link, problem: `${relative(root, target)} does not exist` });
        continue;
      }
      if (anchor === undefined || anchor === '') continue;
      if (statSync(target).isDirectory() || !target.endsWith('.md')) {
        broken.push({ file: rel, link, problem: 'an anchor into a file that is not Markdown' });
        continue;
      }
      if (!anchors(target).has(decodeURIComponent(anchor))) broken.push({ file: rel, link, problem: `${relative(root, target)} has no heading with anchor #${anchor}` });
    }
  }
  return broken;
}

describe('documentation links', () => {
  it('computes GitHub anchors as GitHub does', () => {
    const a = anchorsOf(
      '# EmqxCluster (EMQX 5.8, multi-node)\n## Credentials: AWS Secrets Manager to a hashed file\n## `tls.clientAuth`\n## Tests\n## Tests\n```sh\n# not a heading\n```\n<a id="x-y"></a>',
    );
    assert.deepEqual([...a].sort(), ['credentials-aws-secrets-manager-to-a-hashed-file', 'emqxcluster-emqx-58-multi-node', 'tests', 'tests-1', 'tlsclientauth', 'x-y']);
  });
  it('every relative link of README.md and docs/ resolves, anchors included', () => {
    const broken = brokenLinks();
    const found = new Set(broken.map((b) => `${b.file}: (${b.link})`));
    assert.deepEqual(
      [...PENDING].filter((p) => !found.has(p)),
      [],
      'these links now resolve: remove them from PENDING in test/guard/docs-links.test.ts',
    );
    assert.deepEqual(
      broken.filter((b) => !PENDING.has(`${b.file}: (${b.link})`)).map((b) => `${b.file}: (${b.link}) ${b.problem}`),
      [],
      'fix the link or the heading it points at (anchors follow GitHub: lower case, punctuation dropped, spaces to hyphens)',
    );
  });
  it('names no file users do not have (internal notes, sibling checkouts)', () => {
    const offenders = markdownFiles().flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      return new RegExp(['FIELD' + '-NOTES', '\\.\\./shared\\b', '/work/' + 'notes'].join('|')).test(text) ? [relative(root, f)] : [];
    });
    assert.deepEqual(offenders, []);
  });
});
