/** Concrete examples of what a principal may do: topics to publish, filters to subscribe. */
import type { Policy } from './model.js';
import { substitute } from './topic.js';

function concretize(filter: string): string {
  return filter
    .split('/')
    .map((l) => (l === '+' ? 'x1' : l === '#' ? 'example' : l))
    .join('/');
}

/** Topics and filters the policy allows for `username` (client id = username). */
export function examplesFor(policy: Policy, username: string): { publish: string[]; subscribe: string[] } {
  const p = policy.principal(username);
  if (!p) return { publish: [], subscribe: [] };
  const publish = new Set<string>();
  const subscribe = new Set<string>();
  for (const r of p.rules) {
    if (r.effect !== 'allow') continue;
    const f = substitute(r.topic, { username, clientId: username });
    if (r.action !== 'subscribe') {
      const t = concretize(f);
      if (policy.allows(username, 'publish', t)) publish.add(t);
    }
    if (r.action !== 'publish' && policy.allows(username, 'subscribe', f)) subscribe.add(f);
  }
  return { publish: [...publish], subscribe: [...subscribe] };
}
