/**
 * Large fleets: above INLINE_FILE_LIMIT the ACL ships gzipped in the ConfigMap's binaryData; the
 * init container unpacks and validates it (the real script), and a corrupt archive is refused.
 */

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { INLINE_FILE_LIMIT } from '../../constructs/mosquitto/files.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import { renderMosquittoAcl } from '../../constructs/policy/render-mosquitto.js';
import { scalePolicy } from '../../scripts/scale-app.js';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';
import { type AuthDirs, fixOwnership, runAuthScript } from '../helpers/auth-script.js';
import { missing } from '../helpers/peers.js';

// Measured cost of the init script for these 3000 identities (snapshot, hashing, validation):
// 0.5 s user + 1.2 s system CPU, 16 s wall on a 2-core machine at load average 30 (the script
// before the snapshot rewrite: 43 s CPU, 277 s wall there). The timeouts leave that wall time a
// margin of about 5x.
const SCRIPT_TIMEOUT_MS = 90_000;

describe('large fleet: gzipped ACL in the ConfigMap', { skip: missing.mosquittoPasswd, timeout: 3 * SCRIPT_TIMEOUT_MS }, () => {
  const policy = scalePolicy(3000, 50);
  const build = buildMosquitto({ ...defaultMosquittoOptions(), policy });
  const cm = build.objects.find((o) => o.kind === 'ConfigMap') as any;
  const sts = build.objects.find((o) => o.kind === 'StatefulSet') as any;

  it('the ACL is over the inline limit, packed, and mosquitto.conf reads the unpacked copy', () => {
    assert.ok(Buffer.byteLength(renderMosquittoAcl(policy, { clientIdIsUsername: true })) > INLINE_FILE_LIMIT);
    assert.ok(cm.binaryData['acl.gz']);
    assert.equal(cm.data.acl, undefined);
    assert.match(cm.data['mosquitto.conf'], /^acl_file \/run\/fortress\/auth\/acl$/m);
    const env = sts.spec.template.spec.initContainers[0].env;
    assert.ok(env.some((e: any) => e.name === 'FORTRESS_ACL_GZ' && e.value === '/mosquitto/config/acl.gz'));
  });

  it('the init script unpacks it to exactly the rendered ACL, and refuses a corrupt archive', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortress-fleet-'));
    try {
      const conf = join(dir, 'config');
      mkdirSync(conf, { recursive: true });
      const d: AuthDirs = { plain: join(dir, 'plain'), scratch: join(dir, 'scratch'), out: join(dir, 'auth'), users: join(conf, 'users'), acls: '' };
      for (const p of [d.plain, d.scratch, d.out]) mkdirSync(p, { recursive: true });
      for (const f of ['users']) writeFileSync(join(conf, f), cm.data[f]);
      writeFileSync(join(conf, 'acl.gz'), Buffer.from(cm.binaryData['acl.gz'], 'base64'));
      for (const p of policy.principals) writeFileSync(join(d.plain, p.username), `pw-${p.username}-`.padEnd(40, 'x'));
      fixOwnership(dir);
      const r = runAuthScript('build', d, undefined, { aclGz: join(conf, 'acl.gz'), timeoutMs: SCRIPT_TIMEOUT_MS });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(readFileSync(join(d.out, 'acl'), 'utf8'), renderMosquittoAcl(policy, { clientIdIsUsername: true }));
      assert.equal(readFileSync(join(d.out, 'passwd'), 'utf8').trim().split('\n').length, policy.principals.length);
      const good = readFileSync(join(d.out, 'acl'), 'utf8');
      writeFileSync(join(conf, 'acl.gz'), Buffer.from('not gzip at all'));
      fixOwnership(dir);
      const bad = runAuthScript('once', d, undefined, { aclGz: join(conf, 'acl.gz'), timeoutMs: SCRIPT_TIMEOUT_MS });
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /cannot unpack/);
      assert.equal(readFileSync(join(d.out, 'acl'), 'utf8'), good, 'the current ACL stays');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
