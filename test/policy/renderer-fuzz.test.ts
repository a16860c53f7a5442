/**
 * Renderer property, the fast half (issue 12): policies with hostile strings in every
 * user-controlled field. For each: the model refuses with a PolicyError (never another error), or
 * every renderer writes it so that its reader gets the model's values back: the Mosquitto ACL
 * read line by line as Mosquitto does (space-split keyword, access, the rest trimmed), the
 * dynamic-security JSON through JSON.parse, EMQX's acl.conf tokens, the EMQX users list and
 * emqx.conf (HOCON in JSON syntax) through JSON.parse and the schema. The real parsers read the
 * accepted cases in test/integration/renderer-property.int.test.ts.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FortressError } from '../../constructs/core/errors.js';
import { buildEmqx } from '../../constructs/emqx/objects.js';
import { Policy, PolicyError } from '../../constructs/policy/model.js';
import { erlString, renderEmqxAcl } from '../../constructs/policy/render-emqx.js';
import { renderDynsec, renderMosquittoAcl } from '../../constructs/policy/render-mosquitto.js';
import { hostileSpec, hostileString, RENDER_SEEDS } from '../helpers/hostile-strings.js';
import { rng } from '../helpers/random.js';

const FUZZ_SEEDS = RENDER_SEEDS;

/** Mosquitto 2.0's acl_file reading (src/security_default.c): comment lines, `user`, `topic <access> <rest, trimmed>`. */
export function readLikeMosquitto(text: string): Map<string, string[]> {
  // C isspace() in the C locale: ASCII whitespace only (JavaScript's trim() would also drop U+FEFF).
  const trim = (x: string) => x.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
  const users = new Map<string, string[]>();
  let user: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[ \t\n\v\f\r]+$/, '').replace(/^[ \t]+/, '');
    if (!line || line.startsWith('#')) continue;
    const [kw, ...rest] = line.split(' ');
    if (kw === 'user') {
      user = trim(rest.join(' '));
      users.set(user, users.get(user) ?? []);
    } else if (kw === 'topic') users.get(user!)!.push(`${rest[0]} ${trim(rest.slice(1).join(' '))}`);
    else throw new Error(`unexpected line ${JSON.stringify(line)}`);
  }
  return users;
}

/** `{clientId}` levels as the renderer writes them (Mosquitto: the username; EMQX: `${clientid}`). */
const level = (topic: string, clientId: string) =>
  topic
    .split('/')
    .map((l) => (l === '{clientId}' ? clientId : l))
    .join('/');

function tryPolicy(spec: unknown): Policy | undefined {
  try {
    return Policy.from(spec as never);
  } catch (e) {
    assert.ok(e instanceof PolicyError, `expected PolicyError, got ${(e as Error).constructor.name}: ${(e as Error).message}`);
    return undefined;
  }
}

describe('renderer property: hostile strings in every field (fast half)', () => {
  let accepted = 0;
  let refused = 0;
  const acceptedHostile: string[] = [];
  it(`${FUZZ_SEEDS.length} seeds: refused with PolicyError, or every renderer round-trips`, () => {
    for (const seed of FUZZ_SEEDS) {
      const policy = tryPolicy(hostileSpec(rng(seed), String(seed)));
      if (!policy) {
        refused++;
        continue;
      }
      accepted++;
      const ctx = `seed ${seed}`;
      for (const p of policy.principals) for (const r of p.rules) if (/[^\x21-\x7e]/.test(r.topic)) acceptedHostile.push(r.topic);
      // Mosquitto acl_file: every user and every (access, topic) read back exactly.
      const acl = renderMosquittoAcl(policy, { clientIdIsUsername: true });
      const read = readLikeMosquitto(acl);
      assert.deepEqual(
        [...read.keys()],
        policy.principals.map((p) => p.username),
        ctx,
      );
      for (const p of policy.principals) {
        const want = [
          ...new Set(
            [...p.rules.filter((r) => r.effect === 'deny'), ...p.rules.filter((r) => r.effect === 'allow')].map(
              (r) => `${r.effect === 'deny' ? 'deny' : { publish: 'write', subscribe: 'read', all: 'readwrite' }[r.action]} ${level(r.topic, p.username)}`,
            ),
          ),
        ];
        assert.deepEqual(read.get(p.username), want, ctx);
      }
      // Dynamic security: JSON round trip keeps every topic.
      const dyn = renderDynsec(policy, 'markers', { clientIdIsUsername: true }) as { roles: { acls: { topic: string }[] }[] };
      const back = JSON.parse(JSON.stringify(dyn)) as typeof dyn;
      assert.deepEqual(back, dyn, ctx);
      const topics = new Set(policy.principals.flatMap((p) => p.rules.map((r) => level(r.topic, p.username))));
      for (const role of back.roles) for (const a of role.acls) assert.ok(topics.has(a.topic), `${ctx}: ${JSON.stringify(a.topic)}`);
      // EMQX acl.conf: a topic starting with "eq " is refused (EMQX would read it as an exact-match
      // directive; seed 1225 has one); otherwise one term per line, each topic an escaped Erlang string.
      if (policy.principals.some((p) => p.rules.some((r) => r.topic.startsWith('eq ')))) {
        assert.throws(
          () => renderEmqxAcl(policy),
          (e: unknown) => e instanceof FortressError && e.code === 'EMQX_ACL_EQ',
          ctx,
        );
        continue;
      }
      const emqx = renderEmqxAcl(policy)
        .split('\n')
        .filter((l) => l.startsWith('{') && l !== '{deny, all}.');
      assert.equal(
        emqx.length,
        policy.principals.reduce((n, p) => n + p.rules.length, 0),
        ctx,
      );
      for (const p of policy.principals)
        for (const r of p.rules) assert.ok(emqx.includes(`{${r.effect}, {username, ${erlString(p.username)}}, ${r.action}, [${erlString(level(r.topic, '${clientid}'))}]}.`), `${ctx}: ${r.topic}`);
    }
  });
  it('both outcomes occur, and accepted policies carry hostile characters into the renderers', () => {
    assert.ok(refused > 100, `${refused} refused`);
    assert.ok(accepted > 50, `${accepted} accepted`);
    assert.ok(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the class is everything outside ASCII
      acceptedHostile.some((t) => /["'\\%$]/.test(t)) && acceptedHostile.some((t) => /[^\x00-\x7f]/.test(t)),
      `accepted topics with quotes, backslashes, % or $ and non-ASCII: ${acceptedHostile.length}`,
    );
  });
  // Cases that failed once, kept by name with their literal values (a seed's value changes
  // whenever the generator changes).
  const one = (topic: string) => ({ roles: [{ name: 'r', rules: [{ action: 'all' as const, topics: [topic] }] }], identities: [{ name: 's', kind: 'service' as const, roles: ['r'] }] });
  it('regression (seed 1012, old code): a topic ending in a space, which Mosquitto trims from the ACL line, is refused', () => {
    assert.equal(tryPolicy(one('svc/$SYSeq $SYSeq ')), undefined);
  });
  it('regression (seed 1158): a topic ending in U+200B U+FEFF renders unchanged (Mosquitto trims only ASCII whitespace; the first renderer guard refused it)', () => {
    const p = tryPolicy(one('user /tele/$SYS%%\u200b\ufeff'));
    assert.ok(p);
    assert.deepEqual(readLikeMosquitto(renderMosquittoAcl(p)).get('s'), ['readwrite user /tele/$SYS%%\u200b\ufeff']);
  });
  it('EMQX names and namespaces: hostile values are refused, never written into emqx.conf', () => {
    const r = rng(77);
    const base = {
      policy: tryPolicy({ roles: [{ name: 'r', rules: [{ action: 'all', topics: ['svc/{username}/#'] }] }], identities: [{ name: 's', kind: 'service', roles: ['r'] }] })!,
      credentialsSecretName: 'c',
      adminSecretName: 'a',
      tls: { secretName: 't', nodeSecretName: 'n' },
      image: { digest: `sha256:${'56'.repeat(32)}` },
      allowFrom: [{ namespace: 'iot' }],
    };
    let refusedNames = 0;
    for (let i = 0; i < 150; i++) {
      const v = hostileString(r);
      for (const field of ['name', 'namespace'] as const) {
        try {
          const b = buildEmqx({ ...base, [field]: v });
          // Accepted: emqx.conf is JSON (a HOCON subset), and the value reads back unchanged.
          const conf = JSON.parse(b.files['emqx.conf'].replace(/^#.*$/m, ''));
          assert.equal(field === 'name' ? conf.cluster.name : conf.cluster.dns.name.split('.')[1], v);
        } catch (e) {
          assert.ok(e instanceof FortressError, `${field} ${JSON.stringify(v)}: ${(e as Error).constructor.name} ${(e as Error).message}`);
          refusedNames++;
        }
      }
    }
    assert.ok(refusedNames > 250);
  });
});
