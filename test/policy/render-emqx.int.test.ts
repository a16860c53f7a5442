/**
 * EMQX acl.conf (baseline ACL-4): the rendering parses with Erlang's file:consult/1, and each
 * parsed term equals the model's rule for that principal, in deny-first order ending in
 * {deny, all}.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Policy } from '../../constructs/policy/model.js';
import { EMQX_PBKDF2, emqxBootstrapEntry, erlString, renderEmqxAcl } from '../../constructs/policy/render-emqx.js';
import { missing } from '../helpers/peers.js';
import { rng } from '../helpers/random.js';
import { randomPolicy } from '../helpers/random-policy.js';
import { examplePolicy } from '../helpers/synth.js';

/** Consults the file in a real Erlang VM and prints one line per term. */
function consult(text: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'fortress-erl-'));
  try {
    const f = join(dir, 'acl.conf');
    writeFileSync(f, text);
    const script = `
      {ok, Terms} = file:consult("${f}"),
      Fmt = fun({E, {username, U}, A, [T]}) -> io:format("~s|~s|~s|~s~n", [E, U, A, T]);
                ({E, all}) -> io:format("~s|all~n", [E]) end,
      lists:foreach(Fmt, Terms), halt().`;
    return execFileSync('erl', ['-noshell', '-eval', script], { encoding: 'utf8', cwd: dir }).trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function expected(policy: Policy): string[] {
  const lines: string[] = [];
  for (const p of policy.principals) {
    const rules = [...p.rules.filter((r) => r.effect === 'deny'), ...p.rules.filter((r) => r.effect === 'allow')];
    for (const r of rules)
      lines.push(
        `${r.effect}|${p.username}|${r.action}|${r.topic
          .split('/')
          .map((l) => (l === '{clientId}' ? '${clientid}' : l))
          .join('/')}`,
      );
  }
  return [...lines, 'deny|all'];
}

describe('EMQX acl.conf through Erlang file:consult/1', { skip: missing.erl }, () => {
  it('the example policy parses and equals the model rule by rule', () => {
    assert.deepEqual(consult(renderEmqxAcl(examplePolicy())), expected(examplePolicy()));
  });
  it('random policies parse and equal the model rule by rule', () => {
    for (const seed of [3, 5, 8, 13]) {
      const p = Policy.from(randomPolicy(rng(seed)));
      assert.deepEqual(consult(renderEmqxAcl(p)), expected(p), `seed ${seed}`);
    }
  });
  it('strings with quotes and backslashes survive', () => {
    assert.equal(erlString('a"b\\c'), '"a\\"b\\\\c"');
    const text = `{allow, {username, ${erlString('u')}}, publish, [${erlString('t/"q"/\\x')}]}.\n`;
    assert.deepEqual(consult(text), ['allow|u|publish|t/"q"/\\x']);
  });
});

describe('EMQX built-in database bootstrap hash', { skip: missing.erl }, () => {
  it('equals Erlang crypto:pbkdf2_hmac(sha256, ..., 4096, 32), hex', () => {
    const e = emqxBootstrapEntry('sensor-0001', 'Pw-with-"quotes"-and-ünïcode', 'c2FsdHNhbHQ');
    const script = `H = crypto:pbkdf2_hmac(sha256, unicode:characters_to_binary("Pw-with-\\"quotes\\"-and-ünïcode"), <<"c2FsdHNhbHQ">>, ${EMQX_PBKDF2.iterations}, ${EMQX_PBKDF2.dk_length}), io:format("~s", [string:lowercase(binary:encode_hex(H))]), halt().`;
    const erl = execFileSync('erl', ['-noshell', '+pc', 'unicode', '-eval', script], { encoding: 'utf8', cwd: tmpdir() }).trim();
    assert.equal(e.password_hash, erl);
    assert.equal(e.is_superuser, false);
  });
});
