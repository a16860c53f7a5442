import type { AuditRule, Broker, RuleRow } from '../context.js';
import { bad, ok, rowsOr } from './helpers.js';

/**
 * Each broker's default-deny settings in its own dialect: Mosquitto's ACL file lines that reach
 * clients without their own block, and dynamic security's default access; EMQX's no_match,
 * deny_action and the acl.conf catch-all.
 */
function brokerRows(b: Broker): RuleRow[] {
  if (b.mosquitto) {
    const m = b.mosquitto;
    // Pattern lines apply to every authenticated client. The kit renders identity classes as
    // patterns scoped by "%u" only where the password file is the only way in (docs/scale.md); a
    // listener that takes the certificate's CN as username would let any CN the CA signs use them.
    const certificateNames = [m.conf.global, ...m.conf.listeners.map((l) => l.settings)].some((s) => s.get('use_identity_as_username')?.at(-1) === 'true');
    const unscoped = (acl: { patterns: { topic: string }[] }) => acl.patterns.filter((p) => !p.topic.split('/').includes('%u'));
    return [
      ...m.acls.map(({ file, acl }) =>
        acl.anonymous.length || unscoped(acl).length || (acl.patterns.length && certificateNames)
          ? bad(
              b.path,
              `ACL-1[${file}]`,
              `${file}: ${acl.anonymous.length} anonymous and ${acl.patterns.length} pattern line(s) apply to clients without their own rules${acl.patterns.length && certificateNames ? ' (and a listener takes any certificate CN as username)' : ''}`,
            )
          : ok(b.path, `${file}: per-user rules${acl.patterns.length ? ` and ${acl.patterns.length} pattern line(s) scoped by %u, password logins only` : ' only'} (${acl.users.size} users)`),
      ),
      ...(m.dynsec
        ? [
            Object.entries<boolean>(m.dynsec.defaultACLAccess ?? {}).some(([k, v]) => v && k !== 'unsubscribe')
              ? bad(b.path, `ACL-1[${b.name}:dynsec-default]`, 'dynamic security allows by default')
              : ok(b.path, 'dynamic security denies by default'),
            ...anonymousGroupRows(b.path, b.name, m.dynsec),
          ]
        : []),
    ];
  }
  const acl = b.emqx?.acl ?? '';
  const a = b.emqx?.config?.authorization ?? {};
  const problems = [
    a.no_match !== 'deny' ? `no_match ${a.no_match ?? 'allow (default)'}` : '',
    a.deny_action !== 'disconnect' ? `deny_action ${a.deny_action ?? 'ignore (default)'}` : '',
    !/\{deny,\s*all\}\.\s*$/.test(acl) ? 'acl.conf does not end with {deny, all}.' : '',
    /\{allow,\s*all\}/.test(acl) ? 'acl.conf contains {allow, all}' : '',
  ].filter(Boolean);
  return [problems.length ? bad(b.path, `ACL-1[${b.name}:emqx]`, problems.join(', ')) : ok(b.path, 'EMQX denies by default and disconnects denied clients')];
}

/**
 * Dynamic security's `anonymousGroup`: clients without a username get that group's roles
 * (plugins/dynamic-security/acl.c, 2.0), whatever the listeners' allow_anonymous says today.
 */
function anonymousGroupRows(path: string, name: string, d: any): RuleRow[] {
  if (typeof d.anonymousGroup !== 'string') return [];
  const group = (Array.isArray(d.groups) ? d.groups : []).find((g: { groupname?: unknown }) => g?.groupname === d.anonymousGroup);
  const roles: string[] = (Array.isArray(group?.roles) ? group.roles : []).map((r: { rolename?: unknown }) => String(r?.rolename));
  return roles.length ? [bad(path, `ACL-1[${name}:dynsec-anonymous]`, `dynamic security gives clients without a username the roles of group ${d.anonymousGroup}: ${roles.join(', ')}`)] : [];
}

export const rule: AuditRule = {
  id: 'ACL-1',
  baseline: ['ACL-1'],
  brokers: ['mosquitto', 'emqx'],
  level: 'error',
  info: 'Default deny: no rule for anonymous clients or for every user; dynamic security and EMQX deny by default.',
  explanation:
    "Lines before the first user in a Mosquitto ACL apply to anonymous clients; pattern lines apply to every user; dynamic security's anonymousGroup gives its roles to clients without a username. EMQX 5.8 ships no_match = allow and an acl.conf ending with {allow, all}.",
  fix: 'Render the ACL from the policy (per-user blocks only); for EMQX authorization { no_match = deny, deny_action = disconnect } (EmqxCluster does this).',
  // EMQX rows first, as they always have been (the report lists rows in this order).
  check: (c) => rowsOr([...c.all.filter((b) => b.kind === 'emqx'), ...c.all.filter((b) => b.kind !== 'emqx')].flatMap(brokerRows), c.stack, 'no broker in this stack'),
};
