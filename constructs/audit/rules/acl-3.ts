import { type AuditRule, aclUsers } from '../context.js';
import { bad, ok, rowsOr } from './helpers.js';

const grants = (access: string, what: 'read' | 'write') => access === 'readwrite' || access === what;

export const rule: AuditRule = {
  id: 'ACL-3',
  baseline: ['ACL-3'],
  brokers: ['mosquitto', 'emqx'],
  level: 'error',
  info: 'Nobody may publish to "$" topics ($SYS, $CONTROL).',
  explanation: 'Writing $SYS fakes broker statistics; writing $CONTROL administers dynamic security.',
  fix: 'Remove publish rights on "$" topics; monitoring identities read $SYS only.',
  check: (c) =>
    rowsOr(
      aclUsers(c).map(({ broker: b, username: u, rules }) => {
        const w = rules.filter((r) => grants(r.access, 'write') && r.topic.startsWith('$'));
        return w.length ? bad(b.path, `ACL-3[${u}:${w.map((r) => r.topic).join(',')}]`, `${u} may write ${w.map((r) => r.topic).join(', ')}`) : ok(b.path, `${u}: no write to "$" topics`);
      }),
      c.stack,
      'no broker in this stack',
    ),
};
