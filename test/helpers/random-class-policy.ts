/**
 * Random policies with identity classes (issue 16): two classes ("fleet", "crew") and two
 * individuals over a small topic universe whose words collide with usernames ("a" is a fleet
 * member, "b" a crew member, "c" an individual), so that a pattern expanded for one identity can
 * land on another's topics.
 */
import type { PolicySpec, RuleSpec } from '../../constructs/policy/model.js';
import { pick, type Rng } from './random.js';

const WORDS = ['a', 'b', 'c'];
const FLEET = ['a', 'm1', 'm2'];
const CREW = ['b', 'k1'];
const SOLO = ['u0', 'c'];

function filter(r: Rng): string {
  const levels = [pick(r, WORDS)];
  const n = Math.floor(r() * 3);
  for (let i = 0; i < n; i++) levels.push(r() < 0.2 ? '+' : r() < 0.45 ? '{username}' : pick(r, WORDS));
  if (r() < 0.3) levels.push('#');
  return levels.join('/');
}

/**
 * Deny rules are for every action: Mosquitto's acl_file has no per-action deny, so a
 * publish-only deny next to a subscribe allow of the same topics is rendered wider than the
 * model (a limit of the per-user rendering too, not of the patterns).
 */
const rules = (r: Rng): RuleSpec[] =>
  Array.from({ length: 1 + Math.floor(r() * 3) }, () =>
    r() < 0.2 ? { effect: 'deny', action: 'all', topics: [filter(r)] } : { action: pick(r, ['publish', 'subscribe', 'all'] as const), topics: [filter(r)] },
  );

export function randomClassPolicy(r: Rng): PolicySpec {
  return {
    roles: [{ name: 'fleet', rules: rules(r) }, { name: 'crew', rules: rules(r) }, ...SOLO.map((u) => ({ name: `solo-${u}`, rules: rules(r) }))],
    identities: [
      { name: 'fleet', kind: 'service', roles: ['fleet'], members: FLEET },
      { name: 'crew', kind: 'service', roles: ['crew'], members: CREW },
      ...SOLO.map((u) => ({ name: u, kind: 'service' as const, roles: [`solo-${u}`] })),
    ],
  };
}

/** Topic words and usernames: what random topic names are made of. */
export const CLASS_WORDS = [...WORDS, ...FLEET, ...CREW, ...SOLO];
