/** Random policies for property tests: identities with random allow/deny rules on a small topic universe. */
import type { PolicySpec, RuleSpec } from '../../constructs/policy/model.js';
import { pick, type Rng } from './random.js';

export const WORDS = ['a', 'b', 'c'];

export function randomTopicName(r: Rng): string {
  const n = 1 + Math.floor(r() * 3);
  return Array.from({ length: n }, () => pick(r, WORDS)).join('/');
}

function randomRuleFilter(r: Rng): string {
  const levels = [pick(r, WORDS)];
  const n = Math.floor(r() * 3);
  for (let i = 0; i < n; i++) levels.push(r() < 0.3 ? '+' : r() < 0.15 ? '{username}' : pick(r, WORDS));
  if (r() < 0.3) levels.push('#');
  return levels.join('/');
}

/** `users` service identities with random roles, plus a `writer` that may publish everywhere. */
export function randomPolicy(r: Rng, users = 3): PolicySpec {
  const roles = Array.from({ length: users }, (_, i) => ({
    name: `role${i}`,
    rules: Array.from(
      { length: 1 + Math.floor(r() * 4) },
      (): RuleSpec => ({
        effect: r() < 0.25 ? 'deny' : 'allow',
        action: pick(r, ['publish', 'subscribe', 'all'] as const),
        topics: [randomRuleFilter(r)],
      }),
    ),
  }));
  return {
    roles: [...roles, { name: 'writer', rules: [{ action: 'publish', topics: WORDS.map((w) => `${w}/#`) }] }],
    identities: [
      ...Array.from({ length: users }, (_, i) => ({ name: `u${i}`, kind: 'service' as const, roles: [`role${i}`, ...(r() < 0.3 ? [`role${(i + 1) % users}`] : [])] })),
      { name: 'writer', kind: 'service' as const, roles: ['writer'] },
    ],
  };
}
