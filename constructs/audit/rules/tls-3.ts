import type { AuditRule, RuleRow } from '../context.js';
import { bad, hours, ok, rowsOr } from './helpers.js';

export const rule: AuditRule = {
  id: 'TLS-3',
  baseline: ['TLS-3'],
  level: 'error',
  info: 'Certificates from cert-manager: at most one year, renewed before expiry, new key on every renewal, strong keys.',
  explanation: 'Long-lived or never-rotated keys widen the window of a key compromise; RSA below 3072 bits is weak.',
  fix: 'duration <= 8760h, renewBefore set, privateKey.rotationPolicy Always, ECDSA or RSA >= 3072 (BrokerCertificates does this).',
  check: (c) => {
    const rows: RuleRow[] = [];
    for (const o of c.k8s.filter((x) => x.kind === 'Certificate')) {
      const s = o.body.spec ?? {};
      const max = s.isCA ? 87600 : 8760;
      const h = hours(s.duration ?? '2160h');
      const key = s.privateKey ?? {};
      const problems = [
        h > max ? `duration ${s.duration} over ${max}h` : '',
        !s.renewBefore && !s.renewBeforePercentage ? 'no renewBefore' : '',
        !s.isCA && key.rotationPolicy !== 'Always' ? `rotationPolicy ${key.rotationPolicy ?? 'Never (default)'}` : '',
        (key.algorithm ?? 'RSA') === 'RSA' && Number(key.size ?? 2048) < 3072 ? `RSA ${key.size ?? 2048} bits` : '',
      ].filter(Boolean);
      rows.push(
        problems.length
          ? bad(o.path, `TLS-3[${o.name}]`, `Certificate ${o.name}: ${problems.join(', ')}`)
          : ok(o.path, `Certificate ${o.name}: ${s.duration ?? '2160h'}, renews ${s.renewBefore}, ${key.algorithm} ${key.size}`),
      );
    }
    return rowsOr(rows, c.stack, 'no cert-manager Certificate in this stack');
  },
};
