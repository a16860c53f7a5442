import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

describe('the package is importable as a library', () => {
  it('resolves by name through its exports map, with type declarations', async () => {
    const mod = await import('mqtt-fortress');
    for (const name of ['MosquittoBroker', 'Policy', 'policyFromYamlFile', 'renderMosquittoConf', 'ValidationError']) assert.ok(name in mod, `${name} is exported`);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    assert.ok(existsSync(join(root, pkg.exports['.'].types)), 'type declarations exist');
    const policy = await import('mqtt-fortress/policy');
    assert.ok('checkFilter' in policy);
  });
  it('pins every dependency exactly', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    for (const [n, v] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) assert.match(String(v), /^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/, `${n}@${v} is not an exact version`);
    assert.equal(pkg.dependencies.cdktf, '0.21.0');
    assert.equal(pkg.dependencies['@cdktf/provider-aws'], '20.1.0');
    assert.equal(pkg.dependencies['@cdktf/provider-kubernetes'], '12.1.1');
  });
  it('the README example is the compiled example, verbatim, and it synthesizes', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const example = readFileSync(join(root, 'examples', 'compose-own-stack.ts'), 'utf8').trim();
    assert.ok(readme.includes(example), 'README.md must quote examples/compose-own-stack.ts verbatim');
    const { synthExample } = await import('../../examples/compose-own-stack.js');
    const out = mkdtempSync(join(tmpdir(), 'fortress-example-'));
    try {
      synthExample(out).synth();
      const tf = JSON.parse(readFileSync(join(out, 'stacks', 'plant-telemetry', 'cdk.tf.json'), 'utf8'));
      const acl = Object.values<any>(tf.resource.kubernetes_config_map_v1)[0].data.acl as string;
      assert.match(acl, /user press-02\ntopic write plant\/press-02\/metrics/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
