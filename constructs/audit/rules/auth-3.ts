import { type AuditRule, forEachLocal, type RuleRow } from '../context.js';
import { bad, hours, ok, rowsOr } from './helpers.js';

export const rule: AuditRule = {
  id: 'AUTH-3',
  baseline: ['AUTH-3'],
  level: 'error',
  info: 'Credentials rotate: passwords at most every 90 days, client certificates at most every 365 days.',
  explanation: 'A credential that never rotates stays valid after it leaks.',
  fix: 'aws_secretsmanager_secret_rotation with automatically_after_days <= 90 for every secret; client Certificates with duration <= 8760h.',
  check: (c) => {
    const rows: RuleRow[] = [];
    const secrets = c.resources.filter((r) => r.type === 'aws_secretsmanager_secret');
    const rotations = c.resources.filter((r) => r.type === 'aws_secretsmanager_secret_rotation');
    for (const s of secrets) {
      const rot = rotations.find((r) => String(r.config.for_each ?? '').includes(s.id) || String(r.config.secret_id ?? '').includes(s.id));
      const days = Number(rot?.config.rotation_rules?.automatically_after_days);
      rows.push(
        !rot
          ? bad(s.path, `AUTH-3[${s.id}:no-rotation]`, 'secret without rotation')
          : days > 90 || Number.isNaN(days)
            ? bad(rot.path, `AUTH-3[${s.id}:${days}d]`, `rotation every ${days} days`)
            : ok(rot.path, `rotated every ${days} days`),
      );
      // for_each over a local whose entries say `rotate: false`: the rotation carries the value
      // forward, so those secrets do not really rotate. Each is a finding of its own.
      for (const [key, v] of Object.entries<any>(forEachLocal(c.json, s.config) ?? {})) {
        if (v?.rotate === false) rows.push(bad(s.path, `AUTH-3[${s.path.split('/').at(-1)}.${key}:not-rotated]`, `${v.secret_name ?? key} keeps its value when the rotation runs`));
      }
    }
    for (const o of c.k8s.filter((x) => x.kind === 'Certificate' && (x.body.spec?.usages ?? []).includes('client auth'))) {
      const h = hours(o.body.spec.duration ?? '2160h');
      rows.push(h > 8760 ? bad(o.path, `AUTH-3[${o.name}]`, `client certificate lives ${h}h`) : ok(o.path, `client certificate ${o.body.spec.duration ?? '2160h'}`));
    }
    return rowsOr(rows, c.stack, 'no credential resources in this stack');
  },
};
