/**
 * Renderer property, the real-peer half (issue 12): the policies of the fixed seed list
 * (test/helpers/hostile-strings.ts) that the model accepts, with quotes, backslashes, `%`, `$`,
 * keywords, astral and invisible characters in their topics, are rendered and read back by the
 * real readers: Mosquitto 2.0 (acl_file and dynamic-security: every probe topic's PUBACK equals
 * Policy.allows), Erlang's file:consult/1 for EMQX's acl.conf (every term equals the model's
 * rule, and EMQX's compile_topic would read each topic as a plain filter), the EMQX init script
 * for the users list and bootstrap CSV, and Mosquitto starting from a mosquitto.conf whose paths
 * hold hostile (accepted) characters. The accepted cases are merged into one policy so each
 * reader starts once.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FortressError } from '../../constructs/core/errors.js';
import { checkEmqxAclMeaning } from '../../constructs/emqx/acl-meaning.js';
import { buildEmqx } from '../../constructs/emqx/objects.js';
import { renderMosquittoFiles } from '../../constructs/mosquitto/files.js';
import { resolveMosquitto } from '../../constructs/mosquitto/resolve.js';
import { Policy, type PolicySpec } from '../../constructs/policy/model.js';
import { renderEmqxAcl } from '../../constructs/policy/render-emqx.js';
import { templatePath } from '../../constructs/templates.js';
import { createLocalBundle } from '../../scripts/local-bundle.js';
import { defaultMosquittoOptions } from '../../stacks/defaults.js';
import { fixOwnership } from '../helpers/auth-script.js';
import { connect, freePort, publishCode, startBroker, startFromBundle, tryConnect } from '../helpers/broker.js';
import { consultClassified } from '../helpers/emqx-authz.js';
import { hostileSpec, probeTopics, RENDER_SEEDS } from '../helpers/hostile-strings.js';
import { missing, missingBroker } from '../helpers/peers.js';
import { rng } from '../helpers/random.js';

const USERS = 12;
/** Seed 1158: invisible characters at the end of a topic, which Mosquitto keeps (it trims ASCII whitespace only). */
const REGRESSION_TOPICS = ['user /tele/$SYS%%\u200b\ufeff', 'svc/\u00a0', 'svc/"q"\\x\\'];

/**
 * The accepted seeds' rules merged into one policy. For Mosquitto, case i's roles go to user
 * u(i mod USERS) (the model decides what the merged user may do). For EMQX, a case must also pass
 * the EMQX build's own meaning check (constructs/emqx/acl-meaning.ts) and keeps a user of its
 * own, so no two cases interact.
 */
function mergedPolicy(target: 'mosquitto' | 'emqx'): { policy: Policy; seeds: number[] } {
  const roles: PolicySpec['roles'][number][] = [];
  const exceptions: NonNullable<PolicySpec['exceptions']>[number][] = [];
  const userRoles: string[][] = target === 'mosquitto' ? Array.from({ length: USERS }, () => []) : [];
  const seeds: number[] = [];
  for (const seed of RENDER_SEEDS) {
    const spec = hostileSpec(rng(seed), String(seed));
    try {
      const single = Policy.from(spec);
      if (target === 'emqx') checkEmqxAclMeaning(single);
    } catch (e) {
      assert.ok(e instanceof FortressError, `seed ${seed}: ${(e as Error).message}`);
      continue;
    }
    const name = `case-${seed}`;
    roles.push({ name, rules: spec.roles[0]!.rules });
    for (const x of spec.exceptions ?? []) exceptions.push({ ...x, role: name });
    if (target === 'mosquitto') userRoles[seeds.length % USERS]!.push(name);
    else userRoles.push([name]);
    seeds.push(seed);
  }
  // Values that failed once, read by the real readers on every run.
  roles.push({ name: 'regressions', rules: [{ action: 'all', topics: REGRESSION_TOPICS }] });
  userRoles[0]!.push('regressions');
  const policy = Policy.from({ roles, identities: userRoles.map((r, i) => ({ name: `u${i}`, kind: 'service', roles: r })), exceptions });
  return { policy, seeds };
}

const { policy, seeds } = mergedPolicy('mosquitto');
const emqxCases = mergedPolicy('emqx');
const plugin = ['/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/mosquitto_dynamic_security.so'].find((p) =>
  existsSync(p),
);

async function mosquittoAgrees(mode: 'acl-file' | 'dynamic-security'): Promise<{ allowed: number; refused: number }> {
  const b = await startBroker({ broker: { ...defaultMosquittoOptions(), policy, aclMode: mode } });
  let allowed = 0;
  let refused = 0;
  try {
    for (const u of b.bundle.users) {
      const p = policy.principal(u.username)!;
      const probes = [
        ...new Set(
          p.rules.flatMap((r) =>
            probeTopics(
              r.topic
                .split('/')
                .map((l) => (l === '{clientId}' ? u.username : l))
                .join('/'),
            ),
          ),
        ),
      ];
      const c = await connect(b.bundle, u);
      try {
        for (const t of probes) {
          const want = policy.allows(u.username, 'publish', t);
          want ? allowed++ : refused++;
          assert.equal(await publishCode(c, t, 'p'), want ? 0 : 135, `${mode}: ${u.username} publish ${JSON.stringify(t)}; rules ${JSON.stringify(p.rules.map((r) => [r.effect, r.action, r.topic]))}`);
        }
      } finally {
        await c.endAsync();
      }
    }
  } finally {
    await b.stop();
  }
  return { allowed, refused };
}

describe('renderer property against the real readers (hostile accepted policies)', () => {
  it('the seed list yields enough accepted cases with hostile characters', () => {
    assert.ok(seeds.length >= 60, `${seeds.length} accepted seeds`);
    assert.ok(emqxCases.seeds.length >= 40, `${emqxCases.seeds.length} seeds accepted for EMQX`);
    const topics = policy.principals.flatMap((p) => p.rules.map((r) => r.topic));
    for (const re of [/"/, /\\/, /%/, /\$/, /[\u{10000}-\u{10ffff}]/u, /[\u00a0\u200b\ufeff]/])
      assert.ok(
        topics.some((t) => re.test(t)),
        `some accepted topic matches ${re}`,
      );
  });

  it('Mosquitto acl_file: every probe PUBACK equals Policy.allows', { skip: missingBroker }, async () => {
    const n = await mosquittoAgrees('acl-file');
    assert.ok(n.allowed > 50 && n.refused > 50, JSON.stringify(n));
  });

  it('Mosquitto dynamic-security: every probe PUBACK equals Policy.allows', { skip: missingBroker ?? (plugin ? undefined : 'no dynamic-security plugin') }, async () => {
    const n = await mosquittoAgrees('dynamic-security');
    assert.ok(n.allowed > 50 && n.refused > 50, JSON.stringify(n));
  });

  it('EMQX acl.conf: file:consult reads every term back, and every topic is a plain filter for compile_topic', { skip: missing.erl }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortress-erl-prop-'));
    try {
      const f = join(dir, 'acl.conf');
      writeFileSync(f, renderEmqxAcl(emqxCases.policy));
      // As emqx_authz_rule:compile_topic/1 (EMQX 5.8.9) classifies each topic (test/helpers/emqx-authz.ts).
      const got = consultClassified(f);
      const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex').toUpperCase();
      const want: string[] = [];
      for (const p of emqxCases.policy.principals) {
        for (const r of [...p.rules.filter((x) => x.effect === 'deny'), ...p.rules.filter((x) => x.effect === 'allow')]) {
          const levels = r.topic.split('/');
          const t = levels.map((l) => (l === '{clientId}' ? '${clientid}' : l)).join('/');
          want.push(`${r.effect}|${hex(p.username)}|${r.action}|${hex(t)}|${levels.includes('{clientId}') ? 'pattern' : 'plain'}`);
        }
      }
      assert.deepEqual(got, [...want, 'deny|all']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('EMQX users list and bootstrap CSV: the init script writes one row per username, unchanged', { skip: missing.erl }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortress-emqx-prop-'));
    try {
      const b = buildEmqx({
        policy: emqxCases.policy,
        credentialsSecretName: 'c',
        adminSecretName: 'a',
        tls: { secretName: 't', nodeSecretName: 'n' },
        image: { digest: `sha256:${'78'.repeat(32)}` },
        allowFrom: [{ namespace: 'iot' }],
      });
      const plain = join(dir, 'plain');
      const out = join(dir, 'out');
      mkdirSync(plain);
      mkdirSync(out);
      for (const p of emqxCases.policy.principals) writeFileSync(join(plain, p.username), `pw-${p.username}`.padEnd(40, 'x'));
      writeFileSync(join(dir, 'users'), b.files.users);
      const r = spawnSync('sh', [templatePath('emqx/hash-credentials.sh')], {
        env: { PATH: process.env.PATH, FORTRESS_PLAIN: plain, FORTRESS_USERS: join(dir, 'users'), FORTRESS_OUT: out },
        encoding: 'utf8',
        cwd: dir,
      });
      assert.equal(r.status, 0, r.stderr);
      const rows = readFileSync(join(out, 'bootstrap.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','));
      assert.ok(rows.every((x) => x.length === 4));
      assert.deepEqual(
        rows.map((x) => x[0]),
        emqxCases.policy.principals.map((p) => p.username),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mosquitto.conf: paths with quotes, %, $, #, spaces and astral characters are written so Mosquitto reads them', { skip: missingBroker }, async () => {
    // The bundle (and its test PKI) lives in a plain directory; its files are copied under a
    // hostile one and mosquitto.conf is rendered again for those paths.
    const root = mkdtempSync(join(tmpdir(), 'fortress-conf-'));
    const plainDir = join(root, 'plain');
    const hostile = join(root, `q"u'o %u %c $x \${y} #h \\ \u00a0ü😀end`);
    const port = await freePort();
    const bundle = createLocalBundle({ out: plainDir, port });
    cpSync(plainDir, hostile, { recursive: true });
    const opts = { ...defaultMosquittoOptions(), port, metricsListenerPort: port + 1 };
    const files = renderMosquittoFiles(resolveMosquitto(opts), {
      config: join(hostile, 'config'),
      tls: join(hostile, 'tls'),
      auth: join(hostile, 'auth'),
      data: join(hostile, 'data'),
      bindAddress: '127.0.0.1',
    });
    assert.ok(files['mosquitto.conf'].includes(`certfile ${hostile}/tls/tls.crt`));
    writeFileSync(join(hostile, 'config', 'mosquitto.conf'), files['mosquitto.conf'], { mode: 0o640 });
    rmSync(plainDir, { recursive: true, force: true });
    fixOwnership(root);
    const b = await startFromBundle({ ...bundle, config: join(hostile, 'config', 'mosquitto.conf'), caFile: join(hostile, 'tls', 'ca.crt') }, root, { keepDir: true });
    try {
      assert.equal(await tryConnect(b.bundle, bundle.users[0]), 'ok');
      assert.equal(await tryConnect(b.bundle, { username: bundle.users[0]!.username, password: 'wrong-password-wrong-password' }), 'rc135');
      // Persistence writes under the hostile path.
      await b.stop();
      assert.ok(existsSync(join(hostile, 'data', 'mosquitto.db')), 'mosquitto.db under the hostile data path');
    } finally {
      await b.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
  it("mosquitto.conf: a path with a line break (the local bundle's --out, say) is refused, never written", () => {
    for (const bad of ['/tmp/x\nlistener 1883\nallow_anonymous true', '/tmp/x\r', '/tmp/x\u2028y', ' /tmp/x']) {
      assert.throws(
        () => renderMosquittoFiles(resolveMosquitto(defaultMosquittoOptions()), { config: bad, tls: '/t', auth: '/a' }),
        (e: Error) => (e as { code?: string }).code === 'RENDER_UNSAFE',
      );
    }
  });
});
