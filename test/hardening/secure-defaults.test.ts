/**
 * The secure-defaults table (constructs/hardening/secure-defaults.ts): docs/secure-defaults.md is
 * what the code renders from the kit's rendered defaults, every EMQX vendor default the table
 * states is the shipped EMQX 5.8 schema's default, and every test it names exists.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SECURE_DEFAULTS, type SecureDefault } from '../../constructs/hardening/secure-defaults.js';
import { hardeningDocs, REPO_ROOT, renderedDefaults } from '../../scripts/hardening-docs.js';
import { testRefProblem } from '../helpers/test-refs.js';

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'templates', 'emqx', 'emqx-5.8-config-schema.json'), 'utf8'));

/** The schema node at a dotted path; `*` steps into a map's values. */
function schemaNode(path: string): any {
  let n: any = schema.root;
  for (const k of path.split('.')) {
    const cands = [n, ...(n?.oneOf ?? [])];
    n = k === '*' ? (cands.find((c) => c?.oneOf || c?.fields) ?? n) : cands.map((c) => c?.fields?.[k]).find(Boolean);
    if (n === undefined) return undefined;
  }
  return n;
}
const schemaProblem = (d: SecureDefault) => {
  if (!d.schemaPath) return undefined;
  const got = schemaNode(d.schemaPath)?.default;
  return got === d.vendorSchemaDefault
    ? undefined
    : `${d.setting}: the EMQX 5.8 schema's default at ${d.schemaPath} is ${JSON.stringify(got)}, the table says ${JSON.stringify(d.vendorSchemaDefault)}`;
};

describe('secure defaults table', () => {
  it('covers both brokers with the defaults a hardening guide changes', () => {
    const m = SECURE_DEFAULTS.filter((d) => d.broker === 'Mosquitto 2.0').map((d) => d.setting);
    const e = SECURE_DEFAULTS.filter((d) => d.broker === 'EMQX 5.8').map((d) => d.setting);
    for (const s of ['allow_anonymous', 'listeners', 'acl_file', 'max_packet_size / message_size_limit', 'log_type / log_timestamp_format']) assert.ok(m.includes(s), s);
    for (const s of ['authentication', 'dashboard.default_password', 'node.cookie', 'authorization.cache.enable', 'authorization.no_match', 'cluster.proto_dist / rpc.protocol'])
      assert.ok(e.includes(s), s);
  });
  it("every EMQX vendor default stated from the schema is the shipped schema's default", () => {
    assert.deepEqual(SECURE_DEFAULTS.map(schemaProblem).filter(Boolean), []);
    assert.ok(SECURE_DEFAULTS.filter((d) => d.schemaPath).length >= 8);
    const wrong = { ...SECURE_DEFAULTS.find((d) => d.schemaPath === 'authorization.no_match')!, vendorSchemaDefault: 'deny' };
    assert.match(String(schemaProblem(wrong)), /schema's default at authorization\.no_match is "allow"/, 'a wrong vendor default is caught');
  });
  it('every test named as proof exists', () => {
    assert.deepEqual(SECURE_DEFAULTS.map((d) => testRefProblem(d.proof)).filter(Boolean), []);
  });
  it("the kit's values are read from the rendered configuration, not typed in the table", () => {
    const r = renderedDefaults();
    const kit = (s: string) => SECURE_DEFAULTS.find((d) => d.setting === s)!.kit(r);
    assert.equal(kit('allow_anonymous'), 'false');
    assert.equal(kit('authorization.no_match'), 'deny');
    const opened = {
      ...r,
      mosquittoConf: r.mosquittoConf.replace('allow_anonymous false', 'allow_anonymous true'),
      emqx: { ...r.emqx, authorization: { ...(r.emqx.authorization as object), no_match: 'allow' } },
    };
    assert.equal(SECURE_DEFAULTS.find((d) => d.setting === 'allow_anonymous')!.kit(opened), 'true');
    assert.equal(SECURE_DEFAULTS.find((d) => d.setting === 'authorization.no_match')!.kit(opened), 'allow');
  });
  it('docs/secure-defaults.md is what the code renders (npm run docs:hardening)', () => {
    assert.equal(readFileSync(join(REPO_ROOT, 'docs/secure-defaults.md'), 'utf8'), hardeningDocs()['docs/secure-defaults.md'], 'docs/secure-defaults.md is stale: run npm run docs:hardening');
  });
});
