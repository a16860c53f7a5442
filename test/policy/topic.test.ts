import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFilter, filterCovers, isBroad, topicMatches } from '../../constructs/policy/topic.js';
import { randomFilter, randomTopic, rng } from '../helpers/random.js';

describe('checkFilter (baseline ACL-3)', () => {
  const valid = ['a', 'a/b', 'a/+/c', 'a/#', '#', '+', '+/+', '$SYS/#', 'devices/{username}/#', 'devices/{clientId}/x', 'a b/c'];
  for (const f of valid) it(`accepts ${JSON.stringify(f)}`, () => assert.deepEqual(checkFilter(f), []));
  const invalid: [string, RegExp][] = [
    ['', /empty/],
    ['a/#/b', /"#" is at level 2 but must be the last level/],
    ['a#', /"#" is mixed into the level "a#"/],
    ['a/b+', /"\+" is mixed into the level "b\+"/],
    ['a/+b/c', /"\+" is mixed/],
    ['/a', /starts with "\/"/],
    ['a/', /ends with "\/"/],
    ['a//b', /level 2 is empty/],
    ['a/\u0000', /NUL/],
    ['x'.repeat(65536), /65536 bytes long/],
    ['a/{user}/b', /not a placeholder/],
    ['a/{username}x', /not a placeholder/],
  ];
  for (const [f, re] of invalid) {
    it(`rejects ${JSON.stringify(f.slice(0, 20))}`, () => {
      const problems = checkFilter(f);
      assert.ok(
        problems.some((p) => re.test(p.problem)),
        `expected ${re} in ${JSON.stringify(problems)}`,
      );
      assert.ok(
        problems.every((p) => p.fix.length > 10),
        'every problem says how to fix it',
      );
    });
  }
  it('counts UTF-8 bytes, not characters', () => {
    assert.deepEqual(checkFilter('é'.repeat(32767)), []); // 65534 bytes
    assert.equal(checkFilter('é'.repeat(32768)).length, 1); // 65536 bytes
  });
});

describe('topicMatches (MQTT 5 §4.7)', () => {
  const cases: [string, string, boolean][] = [
    ['a/b', 'a/b', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['#', 'a/b', true],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['a/+/c', 'a//c', true],
    ['+', '/x', false],
  ];
  for (const [f, t, want] of cases) it(`${f} ~ ${t} = ${want}`, () => assert.equal(topicMatches(f, t), want));
});

describe('filterCovers (Mosquitto sub_matches_acl)', () => {
  const cases: [string, string, boolean][] = [
    ['a/#', 'a/#', true],
    ['a/#', 'a/+/c', true],
    ['a/#', 'a', true],
    ['a/+', 'a/#', false],
    ['a/+', 'a/+', true],
    ['a/b', 'a/+', false],
    ['#', '$SYS/#', false],
    ['$SYS/#', '$SYS/broker/#', true],
  ];
  for (const [acl, sub, want] of cases) it(`${acl} covers ${sub} = ${want}`, () => assert.equal(filterCovers(acl, sub), want));

  it('property: if acl covers sub, every topic sub matches is matched by acl', () => {
    const r = rng(42);
    let covered = 0;
    for (let i = 0; i < 4000; i++) {
      const acl = randomFilter(r);
      const sub = randomFilter(r);
      if (!filterCovers(acl, sub)) continue;
      covered++;
      for (let k = 0; k < 20; k++) {
        const t = randomTopic(r);
        if (topicMatches(sub, t)) assert.ok(topicMatches(acl, t), `${acl} covers ${sub} but misses ${t}`);
      }
    }
    assert.ok(covered > 100, `property exercised only ${covered} times`);
  });
});

describe('isBroad (baseline ACL-2)', () => {
  it('flags first-level wildcards only', () => {
    assert.equal(isBroad('#'), true);
    assert.equal(isBroad('+/#'), true);
    assert.equal(isBroad('+/telemetry'), true);
    assert.equal(isBroad('devices/+/telemetry'), false);
    assert.equal(isBroad('$SYS/#'), false);
  });
});
