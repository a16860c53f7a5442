/**
 * Issue 12 findings 1 and 9, generically: every field of a policy (derived from POLICY_SHAPE,
 * so a new field is covered without editing this test) given every wrong type, and every string
 * field given every refused character, through Policy.from and the YAML loader alike. The
 * answer is always a POLICY_* error naming the field (and file:line:col for YAML), never a
 * TypeError, and never a policy.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { FortressError } from '../../constructs/core/errors.js';
import { forbiddenCharacter } from '../../constructs/core/text.js';
import { formatPath, Policy, PolicyError, type PolicySpec } from '../../constructs/policy/model.js';
import { renderEmqxAcl } from '../../constructs/policy/render-emqx.js';
import { renderDynsec, renderMosquittoAcl } from '../../constructs/policy/render-mosquitto.js';
import { POLICY_SHAPE, type Shape } from '../../constructs/policy/shape.js';
import { policyFromYaml } from '../../constructs/policy/yaml.js';

/** A valid spec that sets every optional field, so every field of the shape has a value. */
export const fullSpec = (): PolicySpec => ({
  version: 1,
  roles: [
    { name: 'dev', description: 'devices', rules: [{ effect: 'allow', action: 'all', topics: ['devices/{username}/#'] }] },
    {
      name: 'svc',
      description: 'backend',
      rules: [
        { action: 'subscribe', topics: ['#'] },
        { effect: 'deny', action: 'publish', topics: ['devices/+/commands/reboot'] },
      ],
    },
  ],
  identities: [
    { name: 'fleet', kind: 'device', roles: ['dev'], members: ['d1', 'd2'], description: 'sensors' },
    { name: 'svc', kind: 'service', roles: ['svc'], description: 'the backend' },
  ],
  exceptions: [{ rule: 'ACL-2-broad', role: 'svc', topic: '#', reason: 'the archive stores every message' }],
  assertions: [{ identity: 'fleet', allow: [{ action: 'publish', topic: 'devices/{username}/x' }], deny: [{ action: 'subscribe', topic: 'devices/d9/#' }] }],
});

type Path = (string | number)[];

/** Every (path, shape) in `value` that the shape describes. */
function fields(value: unknown, shape: Shape, path: Path = []): [Path, Shape][] {
  const out: [Path, Shape][] = [[path, shape]];
  if (shape.kind === 'list' && Array.isArray(value))
    value.forEach((v, i) => {
      out.push(...fields(v, shape.of, [...path, i]));
    });
  if (shape.kind === 'object' && value && typeof value === 'object') {
    for (const [k, f] of Object.entries(shape.fields)) if (k in value) out.push(...fields((value as Record<string, unknown>)[k], f.shape, [...path, k]));
  }
  return out;
}

function setAt(spec: PolicySpec, path: Path, v: unknown): unknown {
  if (path.length === 0) return v;
  const s = structuredClone(spec) as unknown as Record<string | number, unknown>;
  let o: Record<string | number, unknown> = s;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path[path.length - 1]!] = v;
  return s;
}

const WRONG: [string, unknown][] = [
  ['null', null],
  ['a number', 7],
  ['a boolean', true],
  ['a string', 'nope'],
  ['a list', []],
  ['a list of null', [null]],
  ['a mapping', {}],
  ['a mapping with an unknown key', { zzz: 1 }],
];

function wrongFor(shape: Shape): [string, unknown][] {
  return WRONG.filter(([, v]) => {
    if (shape.kind === 'string') return typeof v !== 'string';
    if (shape.kind === 'enum') return !shape.values.includes(v as never);
    if (shape.kind === 'list') return !Array.isArray(v) || v.length > 0; // [null] is wrong for every list here
    return true; // every WRONG value is wrong for an object (the two mappings lack required keys or add one)
  });
}

function policyError(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PolicyError, `expected a PolicyError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.equal(e.code, 'POLICY_INVALID');
    return e;
  }
  assert.fail('the policy was accepted');
}

describe('policy shape: every field, every wrong type (issue 12 finding 9)', () => {
  const all = fields(fullSpec(), POLICY_SHAPE);
  it('the full spec is valid and reaches every field of the shape', () => {
    Policy.from(fullSpec());
    const declared = new Set<string>();
    const walk = (s: Shape, p: string) => {
      declared.add(p);
      if (s.kind === 'list') walk(s.of, `${p}[]`);
      if (s.kind === 'object') for (const [k, f] of Object.entries(s.fields)) walk(f.shape, `${p}.${k}`);
    };
    walk(POLICY_SHAPE, '');
    const reached = new Set(all.map(([p]) => p.map((k) => (typeof k === 'number' ? '[]' : `.${k}`)).join('')));
    assert.deepEqual(
      [...declared].filter((d) => !reached.has(d)),
      [],
    );
  });
  let cases = 0;
  for (const [path, shape] of all) {
    for (const [name, v] of wrongFor(shape)) {
      cases++;
      it(`${formatPath(path)} = ${name}`, () => {
        const spec = setAt(fullSpec(), path, v) as PolicySpec;
        const e = policyError(() => Policy.from(spec));
        assert.ok(path.length === 0 || e.issues.some((i) => formatPath(i.path).startsWith(formatPath(path))), `an issue at ${formatPath(path)}:\n${e.message}`);
        // The same file through the YAML loader: a POLICY_* error with file:line:col.
        if (path.length > 0) {
          assert.throws(
            () => policyFromYaml(stringify(spec), 'p.yaml'),
            (y: Error) => y instanceof FortressError && /^POLICY_/.test(y.code) && /p\.yaml:\d+:\d+/.test(y.message),
          );
        }
      });
    }
  }
  it('covers many combinations', () => assert.ok(cases > 150, `${cases} cases`));
  it("the issue's three examples", () => {
    policyError(() => Policy.from({ ...fullSpec(), exceptions: 'nope' } as unknown as PolicySpec));
    policyError(() => Policy.from(setAt(fullSpec(), ['roles', 0, 'rules'], [null]) as PolicySpec));
    for (const v of [undefined, null, 'x', 3, [], [[]]]) policyError(() => Policy.from(v as unknown as PolicySpec));
    assert.throws(() => policyFromYaml('exceptions: nope\nroles: []\nidentities: []\n', 'p.yaml'), /POLICY|p\.yaml:1:13: exceptions: must be a list of exceptions, got a string "nope"/);
    assert.throws(
      () => policyFromYaml('roles:\n  - name: a\n    rules: [null]\nidentities: []\n', 'p.yaml'),
      /p\.yaml:3:13: roles\[0\]\.rules\[0\]: must be a rule with "action" and "topics", got null/,
    );
  });
  it('a typo in a nested key is refused, not ignored (member: instead of members:)', () => {
    const spec = setAt(fullSpec(), ['identities', 0, 'member'], ['d3']) as PolicySpec;
    const e = policyError(() => Policy.from(spec));
    assert.match(e.message, /identities\[0\]\.member: unknown key "member"; allowed here: name, kind, roles, members, description/);
  });
});

describe('YAML alias bomb (issue 12 finding 9)', () => {
  it('a billion-laughs document gives POLICY_YAML with a position, quickly', () => {
    const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      );
    lines.push('roles: *a9', 'identities: []');
    const t = Date.now();
    assert.throws(
      () => policyFromYaml(`${lines.join('\n')}\n`, 'bomb.yaml'),
      (e: Error) => e instanceof FortressError && e.code === 'POLICY_YAML' && /bomb\.yaml:2:\d+: the aliases of this file expand too far/.test(e.message),
    );
    assert.ok(Date.now() - t < 2000, `took ${Date.now() - t} ms`);
  });
  it('a few aliases in an ordinary file still work', () => {
    const p = policyFromYaml(
      'roles:\n  - name: dev\n    rules:\n      - action: all\n        topics: &t ["devices/{username}/#"]\nidentities:\n  - {name: d1, kind: device, roles: [dev]}\n  - {name: d2, kind: device, roles: [dev]}\n',
      'p.yaml',
    );
    assert.equal(p.principals.length, 2);
  });
  it('YAML tags this kit does not read are refused with a position', () => {
    assert.throws(
      () => policyFromYaml('roles: !!binary aGVsbG8=\nidentities: []\n', 'p.yaml'),
      (e: Error) => e instanceof FortressError && /^POLICY_/.test((e as FortressError).code) && /p\.yaml:1:\d+/.test(e.message),
    );
  });
});

/** Every code point a policy string must refuse, and a sample of ones it must keep. */
const REFUSED: number[] = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
  0x2028,
  0x2029,
  0xd800,
  0xdbff,
  0xdc00,
  0xdfff,
  0xfdd0,
  0xfdef,
  0xfffe,
  0xffff,
  0x1fffe,
  0x10ffff,
  0x202a,
  0x202e,
  0x2066,
  0x2069,
];
const KEPT = [0x20, 0x7e, 0xa0, 0xe9, 0x4e2d, 0x1f600, 0xfeff, 0x200b];
const ch = (cp: number) => (cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp));

describe('refused characters in every policy string (issue 12 finding 1)', () => {
  it('the text rule refuses each listed code point and keeps ordinary Unicode', () => {
    for (const cp of REFUSED) assert.ok(forbiddenCharacter(`a${ch(cp)}b`), `U+${cp.toString(16)}`);
    for (const cp of KEPT) assert.equal(forbiddenCharacter(`a${ch(cp)}b`), undefined, `U+${cp.toString(16)}`);
    assert.equal(forbiddenCharacter('\ud83d\ude00'), undefined, 'a surrogate pair is one astral character');
  });
  const strings = fields(fullSpec(), POLICY_SHAPE).filter(([, s]) => s.kind === 'string');
  it('covers every string field', () => assert.ok(strings.length >= 12, `${strings.length} string fields`));
  for (const [path] of strings) {
    it(`${formatPath(path)}: every refused character, through Policy.from and YAML`, () => {
      const original = path.reduce<any>((o, k) => o[k], fullSpec()) as string;
      for (const cp of REFUSED) {
        const spec = setAt(fullSpec(), path, original.slice(0, 1) + ch(cp) + original.slice(1)) as PolicySpec;
        const e = policyError(() => Policy.from(spec));
        assert.ok(
          e.issues.some((i) => formatPath(i.path) === formatPath(path)),
          `U+${cp.toString(16)} at ${formatPath(path)}:\n${e.message}`,
        );
        // YAML (slower): every character for topics, a sample of line breaks and controls elsewhere.
        if ((cp < 0xd800 || cp > 0xdfff) && (path.includes('topics') || [0, 0x0a, 0x0d, 0x1b, 0x7f, 0x85, 0x2028, 0x202e].includes(cp))) {
          assert.throws(
            () => policyFromYaml(stringify(spec), 'p.yaml'),
            (y: Error) => y instanceof PolicyError && new RegExp(`p\\.yaml:\\d+:\\d+: ${formatPath(path).replace(/[[\].]/g, '\\$&')}: `).test(y.message),
            `YAML, U+${cp.toString(16)}`,
          );
        }
      }
    });
  }
  it('the reported injection is refused: a line break in a topic cannot add ACL lines', () => {
    for (const br of ['\n', '\r', '\r\n', '\u2028', '\u0085', '\v', '\f']) {
      const spec = setAt(fullSpec(), ['roles', 0, 'rules', 0, 'topics', 0], `devices/{username}/commands/x${br}topic readwrite devices/#`) as PolicySpec;
      policyError(() => Policy.from(spec));
    }
  });
  it('names refuse "+", "#", "/", spaces and non-ASCII letters (pattern lines with %u stay safe)', () => {
    for (const bad of ['a+b', 'a#', 'a/b', 'a b', ' a', 'a ', 'é', '%u', 'a:b']) {
      for (const path of [
        ['identities', 1, 'name'],
        ['identities', 0, 'members', 0],
        ['roles', 0, 'name'],
      ] as Path[]) {
        let spec = setAt(fullSpec(), path, bad) as PolicySpec;
        if (path[0] === 'roles') spec = setAt(spec, ['identities', 0, 'roles', 0], bad) as PolicySpec;
        const e = policyError(() => Policy.from(spec));
        assert.ok(
          e.issues.some((i) => formatPath(i.path) === formatPath(path)),
          `${JSON.stringify(bad)} at ${formatPath(path)}:\n${e.message}`,
        );
      }
    }
  });
  it('topic filters refuse a leading or trailing space (Mosquitto trims it) and "${" (EMQX placeholder)', () => {
    for (const bad of [' devices/{username}', 'devices/{username}/x ', 'devices/{username}/${clientid}']) {
      policyError(() => Policy.from(setAt(fullSpec(), ['roles', 0, 'rules', 0, 'topics', 0], bad) as PolicySpec));
    }
  });
});

describe('a validated policy cannot be changed afterwards (renderers see what was validated)', () => {
  it("mutating the caller's spec after Policy.from changes nothing, restrictTo included", () => {
    const spec = fullSpec() as any;
    const policy = Policy.from(spec);
    const before = renderMosquittoAcl(policy.restrictTo(['d1', 'd2', 'svc']));
    spec.roles[0].rules[0].topics[0] = 'devices/{username}/x\ntopic readwrite #';
    spec.identities[0].members.push('intruder');
    assert.equal(renderMosquittoAcl(policy.restrictTo(['d1', 'd2', 'svc', 'intruder'])), before);
    assert.throws(() => (policy.spec.roles[0]!.rules as any).push({ action: 'all', topics: ['#'] }), TypeError);
  });
  it('each renderer refuses an unsafe value on its own (defence in depth)', () => {
    const policy = Policy.from(fullSpec());
    // Forge a principal past the model, as a caller bypassing Policy.from could.
    const forged = Object.create(policy, { principals: { value: [{ ...policy.principals[0]!, rules: [{ effect: 'allow', action: 'all', topic: 'a\ntopic readwrite #', role: 'dev' }] }] } });
    for (const render of [() => renderMosquittoAcl(forged), () => renderDynsec(forged, 'markers'), () => renderEmqxAcl(forged)]) {
      assert.throws(render, (e: Error) => e instanceof FortressError && (e as FortressError).code === 'RENDER_UNSAFE');
    }
  });
});
