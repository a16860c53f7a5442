import { type AuditRule, aclUsers } from '../context.js';
import { emqxUnparsedAclRows } from '../emqx-view.js';
import { bad, ok, rowsOr } from './helpers.js';

/** A filter whose first level is a wildcard reaches every subtree. */
const isBroad = (t: string) => /^(#|\+)(\/|$)/.test(t);

export const rule: AuditRule = {
  id: 'ACL-2',
  baseline: ['ACL-2'],
  brokers: ['mosquitto', 'emqx'],
  level: 'error',
  info: 'Least privilege: no rule reaches every subtree ("#", "+/...").',
  explanation: 'A broad rule lets one compromised client read or write the whole fleet.',
  fix: "Scope rules to the identity's subtree; a necessary broad rule needs a policy exception with a reason.",
  check: (c) =>
    rowsOr(
      aclUsers(c).flatMap(({ broker: b, username: u, rules }) => {
        const broad = rules.filter((r) => r.access !== 'deny' && isBroad(r.topic));
        if (!broad.length) return [ok(b.path, `${u}: ${rules.length} scoped rules`)];
        // One finding per (identity, topic): a suppression or policy exception names exactly one.
        return [...new Set(broad.map((r) => r.topic))].map((topic) => {
          const access = [...new Set(broad.filter((r) => r.topic === topic).map((r) => r.access))];
          return { ...bad(b.path, `ACL-2[${u}:${topic}]`, `${u} may ${access.map((a) => `${a} ${topic}`).join(', ')}`), subject: { identity: u, topic, access } };
        });
      }),
      c.stack,
      'no broker in this stack',
    ).concat(emqxUnparsedAclRows(c, 'ACL-2')),
};
