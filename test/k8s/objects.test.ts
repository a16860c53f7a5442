/** The passed-validation cache: its key, sharing between projects, concurrent writers, CI. */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type K8sObject, registerSchema, VALIDATION_CACHE_FORMAT, ValidationCache, validateK8sObject, validationCacheEnabled } from '../../constructs/k8s/objects.js';

const dir = mkdtempSync(join(tmpdir(), 'fortress-vcache-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cm = (data: Record<string, unknown>): K8sObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data });

describe('validation cache', () => {
  it('the key covers the object, the schema package version and the kind: any change is a miss', () => {
    const salt = 'v1/ConfigMap kubernetes-models/v1/ConfigMap#ConfigMap kubernetes-models@5.1.0';
    const k = ValidationCache.key(salt, cm({ a: 'x' }));
    assert.notEqual(ValidationCache.key(salt, cm({ a: 'y' })), k);
    assert.notEqual(ValidationCache.key(salt.replace('5.1.0', '5.2.0'), cm({ a: 'x' })), k);
    assert.notEqual(ValidationCache.key(salt.replace('v1/ConfigMap', 'v1/Secret'), cm({ a: 'x' })), k);
    assert.equal(ValidationCache.key(salt, cm({ a: 'x' })), k);
    assert.match(VALIDATION_CACHE_FORMAT, /v2$/);
  });
  it('two processes (or projects sharing node_modules) that save in turn keep both sets; a corrupt file counts as empty', () => {
    const file = join(dir, 'shared', 'validated.json');
    const a = new ValidationCache(file);
    const b = new ValidationCache(file);
    assert.equal(a.has('x'), false);
    assert.equal(b.has('y'), false); // both loaded before either saved
    a.add('from-a');
    b.add('from-b');
    a.save();
    b.save();
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')).sort(), ['from-a', 'from-b']);
    writeFileSync(file, '["torn');
    const c = new ValidationCache(file);
    assert.equal(c.has('from-a'), false);
    c.add('from-c');
    c.save();
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), ['from-c']);
  });
  it('off in CI unless asked for, and by FORTRESS_VALIDATION_CACHE=off', () => {
    assert.equal(validationCacheEnabled({}), true);
    assert.equal(validationCacheEnabled({ CI: 'true' }), false);
    assert.equal(validationCacheEnabled({ CI: '1', FORTRESS_VALIDATION_CACHE: 'on' }), true);
    assert.equal(validationCacheEnabled({ FORTRESS_VALIDATION_CACHE: 'off' }), false);
    assert.equal(validationCacheEnabled({ CI: 'false' }), true);
  });
  it('a validator registered with registerSchema() is never answered from the cache', () => {
    let calls = 0;
    registerSchema('test.mqtt-fortress/v1', 'Probe', () => void calls++);
    const obj: K8sObject = { apiVersion: 'test.mqtt-fortress/v1', kind: 'Probe', metadata: { name: 'p' } };
    validateK8sObject(obj);
    validateK8sObject(obj);
    assert.equal(calls, 2);
  });
  it('end to end: a project with a warm cache still rejects an object that became invalid, and CI writes no cache', () => {
    const project = join(dir, 'project');
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    const objects = join(fileURLToPath(import.meta.url), '..', '..', '..', 'constructs', 'k8s', 'objects.js');
    const script = `
      const { validateK8sObject } = await import(${JSON.stringify(objects)});
      const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: process.argv[1] === 'bad' ? 42 : 'x' } };
      try { validateK8sObject(obj); console.log('valid'); } catch (e) { console.log(e.code); }`;
    const run = (arg: string, env: Record<string, string> = {}) =>
      execFileSync(process.execPath, ['--input-type=module', '-e', script, arg], { cwd: project, env: { ...process.env, CI: '', FORTRESS_VALIDATION_CACHE: '', ...env }, encoding: 'utf8' }).trim();
    const file = join(project, 'node_modules', '.cache', 'mqtt-fortress', 'validated-objects-v2.json');
    assert.equal(run('good', { CI: 'true' }), 'valid');
    assert.equal(existsSync(file), false, 'CI wrote a cache');
    assert.equal(run('good'), 'valid');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).length, 1);
    assert.equal(run('bad'), 'K8S_SCHEMA');
    assert.equal(run('good'), 'valid');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).length, 1, 'a failure is not cached');
  });
});
