import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

describe('the package is importable as a library', () => {
  it('resolves by name through its exports map, with type declarations', async () => {
    const mod = await import('mqtt-fortress');
    for (const name of ['MosquittoBroker', 'Policy', 'policyFromYamlFile', 'Relaxations', 'ValidationError']) assert.ok(name in mod, `${name} is exported`);
    // The public API is the curated list of constructs/index.ts: the kit's internals stay out.
    for (const name of ['renderMosquittoConf', 'show', 'scoped', 'erlString', 'POD_PATHS', 'buildMosquitto', 'evaluate']) assert.ok(!(name in mod), `${name} is internal, not exported`);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    assert.ok(existsSync(join(root, pkg.exports['.'].types)), 'type declarations exist');
    const policy = await import('mqtt-fortress/policy');
    assert.ok('checkFilter' in policy);
    for (const name of ['erlString', 'dynsecMarkers', 'emqxBootstrapEntry']) assert.ok(!(name in policy), `mqtt-fortress/policy: ${name} is internal, not exported`);
  });
  it('pins every dependency exactly; the packages whose classes cross the API are peer ranges, pinned here as dev dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    for (const [n, v] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) assert.match(String(v), /^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/, `${n}@${v} is not an exact version`);
    // A consumer's own cdktf/constructs/provider must be the one the kit uses: two copies of
    // constructs break at compile time (separate private declarations) and at run time.
    const peers = { cdktf: '0.21.0', constructs: '10.4.2', '@cdktf/provider-aws': '20.1.0', '@cdktf/provider-kubernetes': '12.1.1' };
    assert.deepEqual(Object.keys(pkg.peerDependencies).sort(), Object.keys(peers).sort());
    for (const [n, pin] of Object.entries(peers)) {
      assert.equal(pkg.dependencies[n], undefined, `${n} must not be a dependency (a second copy for consumers)`);
      assert.equal(pkg.devDependencies[n], pin, `${n} is pinned exactly as a dev dependency`);
      assert.equal(pkg.peerDependencies[n], `^${pin}`, `${n}: the peer range starts at the tested pin`);
    }
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
    assert.deepEqual(lock.packages[''].peerDependencies, pkg.peerDependencies, 'package-lock.json is in step with package.json');
    for (const [n, pin] of Object.entries(peers)) assert.equal(lock.packages[`node_modules/${n}`].version, pin, `the lock installs ${n}@${pin}`);
  });
  it('every export has a default condition (CommonJS consumers on Node >= 20.19 require() it) and the package builds on pack and git install', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    for (const [k, v] of Object.entries<any>(pkg.exports)) {
      if (typeof v === 'string') continue;
      assert.equal(v.default, v.import, `${k}: default condition equals import`);
      assert.ok(existsSync(join(root, v.types)) && existsSync(join(root, v.default)), `${k}: files exist`);
    }
    assert.equal(pkg.scripts.prepare, 'npm run build', 'prepare builds dist for git installs and npm pack');
    assert.ok(pkg.files.includes('LICENSE') && existsSync(join(root, 'LICENSE')) && existsSync(join(root, 'CHANGELOG.md')));
  });
  it('ships every file the README links to (a reader of node_modules/mqtt-fortress/README.md finds each guide)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const targets = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/i.test(t));
    assert.ok(targets.length > 10, `only ${targets.length} relative links found in README.md`);
    const shipped = (t: string) => (pkg.files as string[]).some((f) => t === f || t.startsWith(`${f}/`));
    assert.deepEqual(
      targets.filter((t) => !shipped(t) || !existsSync(join(root, t))),
      [],
      'README links to files the tarball does not hold',
    );
  });
  it('published type declarations use no Node types (consumers need no @types/node)', () => {
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.d.ts') ? [join(d, e.name)] : []));
    const offenders = walk(join(root, 'dist', 'constructs')).flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      return /\bBuffer\b|\bNodeJS\.|from ["']node:|reference types="node"/.test(text) ? [f.slice(root.length + 1)] : [];
    });
    assert.deepEqual(offenders, []);
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
