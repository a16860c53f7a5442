import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { templatePath } from '../../constructs/templates.js';

/** In-memory Secrets Manager with version stages, as the rotation protocol sees it. */
class FakeSecretsManager {
  versions = new Map<string, { value?: string; stages: string[] }>();
  rotationEnabled = true;
  tags: { Key: string; Value: string }[] = [];
  calls: string[] = [];
  randomShape: 'good' | 'bad' = 'good';
  name = 'mqtt-fortress/emqx/_admin/cookie';
  describeSecret = async (_arn: string) => ({
    Name: this.name,
    RotationEnabled: this.rotationEnabled,
    Tags: this.tags,
    VersionIdsToStages: Object.fromEntries([...this.versions].map(([k, v]) => [k, v.stages])),
  });
  randomPassword = async (n: number) =>
    this.randomShape === 'good'
      ? randomBytes(64)
          .toString('base64')
          .replace(/[^A-Za-z0-9]/g, '')
          .slice(0, n)
      : 'short!';
  getValue = async (_arn: string, id: string | undefined, stage: string) => {
    const v = id ? this.versions.get(id) : [...this.versions.values()].find((x) => x.stages.includes(stage));
    return v?.stages.includes(stage) ? v.value : undefined;
  };
  putPending = async (_arn: string, token: string, value: string) => {
    this.calls.push('put');
    this.versions.set(token, { value, stages: ['AWSPENDING'] });
  };
  finishVersion = async (_arn: string, token: string, current?: string) => {
    this.calls.push('finish');
    if (current) this.versions.get(current)!.stages = ['AWSPREVIOUS'];
    this.versions.get(token)!.stages = ['AWSCURRENT'];
  };
  current() {
    return [...this.versions.values()].find((v) => v.stages.includes('AWSCURRENT'))?.value;
  }
  /** What Secrets Manager does when rotation starts: a new version labelled AWSPENDING. */
  start(token: string) {
    this.versions.set(token, { stages: ['AWSPENDING'] });
  }
}

const mod = (await import(pathToFileURL(templatePath('rotation/index.mjs')).href)) as {
  rotate: (e: object, sm: FakeSecretsManager, log?: (s: string) => void, keep?: Set<string>) => Promise<void>;
  keepList: (env: Record<string, string | undefined>) => Set<string>;
  PASSWORD_LENGTH: number;
};

async function fullRotation(sm: FakeSecretsManager, token: string, logs: string[], keep = new Set<string>()) {
  sm.start(token);
  for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await mod.rotate({ SecretId: 'arn:s', ClientRequestToken: token, Step }, sm, (l) => logs.push(l), keep);
}

describe('rotation function (templates/rotation/index.mjs)', () => {
  it('first rotation (on creation) generates a 48-character password and makes it current', async () => {
    const sm = new FakeSecretsManager();
    const logs: string[] = [];
    await fullRotation(sm, 't1', logs);
    const pw = sm.current()!;
    assert.match(pw, /^[A-Za-z0-9]{48}$/);
    assert.equal(mod.PASSWORD_LENGTH, 48);
    assert.ok(
      logs.every((l) => !l.includes(pw)),
      'no log line contains the password',
    );
  });
  it('a scheduled rotation replaces the password and keeps the old one as AWSPREVIOUS', async () => {
    const sm = new FakeSecretsManager();
    await fullRotation(sm, 't1', []);
    const first = sm.current();
    await fullRotation(sm, 't2', []);
    assert.notEqual(sm.current(), first);
    assert.deepEqual(sm.versions.get('t1')!.stages, ['AWSPREVIOUS']);
  });
  it('steps are idempotent: a retried createSecret keeps the pending value', async () => {
    const sm = new FakeSecretsManager();
    sm.start('t1');
    await mod.rotate({ SecretId: 'arn:s', ClientRequestToken: 't1', Step: 'createSecret' }, sm, () => {});
    const pending = sm.versions.get('t1')!.value;
    await mod.rotate({ SecretId: 'arn:s', ClientRequestToken: 't1', Step: 'createSecret' }, sm, () => {});
    assert.equal(sm.versions.get('t1')!.value, pending);
    assert.deepEqual(sm.calls, ['put']);
  });
  it('refuses when rotation is disabled, the token is unknown, or the password has a bad shape', async () => {
    const sm = new FakeSecretsManager();
    sm.rotationEnabled = false;
    sm.start('t1');
    await assert.rejects(
      mod.rotate({ SecretId: 'arn:s', ClientRequestToken: 't1', Step: 'createSecret' }, sm, () => {}),
      /rotation is not enabled/,
    );
    sm.rotationEnabled = true;
    await assert.rejects(
      mod.rotate({ SecretId: 'arn:s', ClientRequestToken: 'nope', Step: 'createSecret' }, sm, () => {}),
      /has no stage/,
    );
    sm.randomShape = 'bad';
    await assert.rejects(
      mod.rotate({ SecretId: 'arn:s', ClientRequestToken: 't1', Step: 'createSecret' }, sm, () => {}),
      /unexpected shape/,
    );
    sm.versions.set('t1', { value: 'tooshort', stages: ['AWSPENDING'] });
    await assert.rejects(
      mod.rotate({ SecretId: 'arn:s', ClientRequestToken: 't1', Step: 'testSecret' }, sm, () => {}),
      /not a password of at least 32/,
    );
    await assert.rejects(
      mod.rotate({ SecretId: 'arn:s', ClientRequestToken: 't1', Step: 'dance' }, sm, () => {}),
      /unknown step/,
    );
  });
  it('a secret named in the deploy-time keep list gets a first value, then keeps it (the EMQX cookie)', async () => {
    const sm = new FakeSecretsManager();
    const keep = mod.keepList({ MQTT_FORTRESS_KEEP_SECRETS: JSON.stringify([sm.name]) });
    await fullRotation(sm, 't1', [], keep);
    const first = sm.current();
    assert.match(first!, /^[A-Za-z0-9]{48}$/);
    const logs: string[] = [];
    await fullRotation(sm, 't2', logs, keep);
    assert.equal(sm.current(), first);
    assert.ok(logs.some((l) => /carried forward/.test(l)));
  });
  it('a mqtt-fortress:rotate=false tag alone does not freeze rotation (whoever may tag must not stop rotation)', async () => {
    const sm = new FakeSecretsManager();
    sm.tags = [{ Key: 'mqtt-fortress:rotate', Value: 'false' }];
    await fullRotation(sm, 't1', [], new Set());
    const first = sm.current();
    await fullRotation(sm, 't2', [], new Set());
    assert.notEqual(sm.current(), first, 'the tagged secret got a new value');
    assert.throws(() => mod.keepList({ MQTT_FORTRESS_KEEP_SECRETS: '{"a":1}' }), /JSON array of secret names/);
    assert.deepEqual([...mod.keepList({})], []);
  });
  it('a token that is already current is a no-op', async () => {
    const sm = new FakeSecretsManager();
    await fullRotation(sm, 't1', []);
    const calls = sm.calls.length;
    await mod.rotate({ SecretId: 'arn:s', ClientRequestToken: 't1', Step: 'finishSecret' }, sm, () => {});
    assert.equal(sm.calls.length, calls);
  });
});
