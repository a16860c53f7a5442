/**
 * Loads a policy from YAML (schema: docs/policy.md). Errors point to file, line, column
 * and field.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, visit, type Node as YamlNode } from 'yaml';
import { FortressError } from '../core/errors.js';
import { formatPath, Policy, type PolicySpec } from './model.js';

const TOP_KEYS = new Set(['version', 'roles', 'identities', 'exceptions', 'assertions']);

/** Parses YAML text into a validated Policy. `file` only labels the messages. */
export function policyFromYaml(text: string, file = '<policy>'): Policy {
  const lineCounter = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    // The parser recurses once per level of block nesting: a deep enough file overflows the stack
    // (RangeError) instead of giving an error. Point to the most indented line.
    const lines = text.split(/\r?\n/);
    const indent = lines.map((l) => l.length - l.trimStart().length);
    const line = indent.indexOf(Math.max(...indent)) + 1;
    throw new FortressError('POLICY_YAML', `${file}:${line}:1: the file nests too deeply to be read (${(e as Error).message.split('\n')[0]}); a policy file needs only a few levels`);
  }
  // A "%YAML 1.1" directive would switch the library to YAML 1.1: "<<" merge keys, yes/no/on/off
  // as booleans, timestamps, !!set and !!omap. A policy file is read as YAML 1.2 only.
  if (doc.errors.length === 0 && doc.directives?.yaml.explicit && doc.directives.yaml.version !== '1.2') {
    const pos = lineCounter.linePos(Math.max(0, text.search(/^%YAML/m)));
    throw new FortressError(
      'POLICY_YAML',
      `${file}:${pos.line}:${pos.col}: the file declares %YAML ${doc.directives.yaml.version}; a policy file is YAML 1.2 (no "<<" merge keys, yes/no are strings). Remove the directive`,
    );
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new FortressError('POLICY_YAML', `${file}:${pos.line}:${pos.col}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const where = (path: readonly (string | number)[]): string => {
    let node: unknown = doc.contents;
    let last: unknown = node;
    for (const key of path) {
      if (isMap(node) || isSeq(node)) {
        const next = (node as { get(k: unknown, keepScalar: true): unknown }).get(key, true);
        if (next === undefined) break;
        node = next;
        last = node;
      } else break;
    }
    const range = (last as YamlNode | undefined)?.range;
    if (!range) return `${file}: ${formatPath(path)}`;
    const pos = lineCounter.linePos(range[0]);
    return `${file}:${pos.line}:${pos.col}: ${formatPath(path)}`;
  };
  if (doc.warnings.length > 0) {
    const w = doc.warnings[0]!;
    const pos = lineCounter.linePos(w.pos[0]);
    throw new FortressError('POLICY_YAML', `${file}:${pos.line}:${pos.col}: ${w.message.split('\n')[0]}; a policy file holds plain mappings, lists and strings only`);
  }
  let spec: PolicySpec | null;
  try {
    // Aliases are expanded here; the library refuses more than maxAliasCount expansions
    // (a "billion laughs" document) with a ReferenceError, reported as a policy error.
    spec = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as PolicySpec | null;
  } catch (e) {
    const alias = firstAlias(doc);
    const pos = alias ? lineCounter.linePos(alias) : { line: 1, col: 1 };
    throw new FortressError(
      'POLICY_YAML',
      `${file}:${pos.line}:${pos.col}: the aliases of this file expand too far (${(e as Error).message.split('\n')[0]}); write the lists out or use fewer aliases`,
    );
  }
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new FortressError('POLICY_YAML', `${file}: a policy file must be a mapping with "roles" and "identities"`);
  }
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      const key = String((pair.key as { value?: unknown } | null)?.value ?? pair.key);
      if (TOP_KEYS.has(key)) continue;
      const range = (pair.key as YamlNode | null)?.range;
      const pos = range ? lineCounter.linePos(range[0]) : { line: 0, col: 0 };
      throw new FortressError('POLICY_YAML', `${file}:${pos.line}:${pos.col}: ${key}: unknown key "${key}"; allowed: ${[...TOP_KEYS].join(', ')}`);
    }
  }
  return Policy.from(spec, where);
}

/** Alias expansions a policy file may make; the yaml library's default. */
const MAX_ALIAS_COUNT = 100;

function firstAlias(doc: { contents: unknown }): number | undefined {
  let found: number | undefined;
  visit(doc as Parameters<typeof visit>[0], {
    Alias: (_k, node) => {
      found ??= node.range?.[0];
      return visit.BREAK;
    },
  });
  return found;
}

export function policyFromYamlFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FortressError('POLICY_FILE', `cannot read the policy file ${path}: ${(e as Error).message}`);
  }
  const policy = policyFromYaml(text, path);
  sources.set(policy, resolve(path));
  return policy;
}

const sources = new WeakMap<Policy, string>();

/** The absolute path of the file a policy was loaded from by {@link policyFromYamlFile}, if any (SARIF locations). */
export function policySourceOf(policy: Policy): string | undefined {
  return sources.get(policy);
}
