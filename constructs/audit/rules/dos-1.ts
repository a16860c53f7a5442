import type { AuditRule } from '../context.js';
import { bad, ok, rowsOr, unmet } from './helpers.js';

export const rule: AuditRule = {
  id: 'DOS-1',
  baseline: ['DOS-1'],
  brokers: ['mosquitto', 'emqx'],
  level: 'error',
  info: 'Limits on connections, packet and message size, in-flight and queued messages, keepalive.',
  explanation: 'Unlimited brokers fall over under floods or a single misbehaving client.',
  fix: 'Set every limit (MosquittoBroker limits).',
  check: (c) =>
    rowsOr(
      c.all.map((b) => {
        const missing = unmet(b.limits);
        if (!missing.length) return ok(b.path, b.kind === 'emqx' ? 'EMQX rate limits, packet size and flapping detection set' : 'all limits set');
        return bad(b.path, `DOS-1[${b.name}:${missing.join(',')}]`, b.kind === 'emqx' ? `EMQX without ${missing.join(', ')}` : `missing ${missing.join(', ')}`);
      }),
      c.stack,
      'no broker in this stack',
    ),
};
