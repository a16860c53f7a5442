/**
 * The credentials script hashes only what changed (issue 16): a reload with nothing new reads no
 * password; a changed password rehashes that identity alone (every other line of the password
 * file stays byte for byte, salt included), an added identity is hashed, a removed one leaves;
 * without the digests of the last build (a fresh scratch volume) everything is hashed again.
 * Real templates/mosquitto/fortress-auth.sh and mosquitto_passwd, Secret laid out as the kubelet does.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateLocalPassword, verifyPasswordLine } from '../../constructs/mosquitto/passwd.js';
import { type AuthDirs, fixOwnership, runAuthScript } from '../helpers/auth-script.js';
import { missing } from '../helpers/peers.js';
import { KubeletVolume } from '../helpers/pod.js';

const lines = (d: AuthDirs) =>
  new Map(
    readFileSync(join(d.out, 'passwd'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf(':')), l]),
  );

describe('incremental hashing in the credentials script', { skip: missing.mosquittoPasswd }, () => {
  it('rehashes only the changed, added identities; removes the removed; everything after losing the digests', () => {
    const root = mkdtempSync(join(tmpdir(), 'fortress-incr-'));
    try {
      const users = Array.from({ length: 200 }, (_, i) => `dev-${String(i).padStart(3, '0')}`);
      const pw = new Map(users.map((u) => [u, generateLocalPassword()]));
      const d: AuthDirs = { plain: join(root, 'plain'), scratch: join(root, 'scratch'), out: join(root, 'auth'), users: join(root, 'users'), acls: join(root, 'acl') };
      mkdirSync(d.scratch);
      mkdirSync(d.out);
      writeFileSync(d.acls, 'user dev-000\ntopic read a\n');
      writeFileSync(d.users, `${users.join('\n')}\n`);
      const vol = KubeletVolume.create(d.plain, Object.fromEntries(pw));
      fixOwnership(root);
      const run = (mode: 'build' | 'once') => {
        const r = runAuthScript(mode, d, undefined, { timeoutMs: 60_000 });
        assert.equal(r.status, 0, r.stderr);
        return r;
      };
      run('build');
      const first = lines(d);
      assert.equal(first.size, 200);

      // Nothing changed: the passwd file is not rewritten.
      const r0 = run('once');
      assert.doesNotMatch(r0.stderr, /rebuilt/);
      assert.deepEqual(lines(d), first);

      // One password changes, one identity is added, one removed.
      pw.set('dev-007', generateLocalPassword());
      pw.delete('dev-199');
      pw.set('dev-200', generateLocalPassword());
      writeFileSync(d.users, `${[...pw.keys()].join('\n')}\n`);
      vol.swap(Object.fromEntries(pw));
      fixOwnership(root);
      assert.match(run('once').stderr, /rebuilt/);
      const second = lines(d);
      assert.equal(second.size, 200);
      assert.ok(!second.has('dev-199'));
      for (const [u, l] of second) assert.ok(verifyPasswordLine(l, pw.get(u)!), u);
      const rehashed = [...second].filter(([u, l]) => first.get(u) !== l).map(([u]) => u);
      assert.deepEqual(rehashed.sort(), ['dev-007', 'dev-200']);

      // The digests gone (a new scratch volume): the next change rehashes every identity.
      rmSync(join(d.scratch, 'digests-passwd'));
      pw.set('dev-008', generateLocalPassword());
      vol.swap(Object.fromEntries(pw));
      fixOwnership(root);
      run('once');
      const third = lines(d);
      assert.equal([...third].filter(([u, l]) => second.get(u) === l).length, 0);
      for (const [u, l] of third) assert.ok(verifyPasswordLine(l, pw.get(u)!), u);
      assert.ok(existsSync(join(d.scratch, 'digests-passwd')));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
