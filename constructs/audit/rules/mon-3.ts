import type { AuditRule } from '../context.js';
import { bad, ok, rowsOr, unmet } from './helpers.js';

export const rule: AuditRule = {
  id: 'MON-3',
  baseline: ['MON-3'],
  brokers: ['mosquitto', 'emqx'],
  level: 'error',
  info: 'Connection, authentication and subscription events logged to stdout/stderr with timestamps.',
  explanation: 'Log-based alerts and incident timelines need these lines.',
  fix: 'log_dest stderr, log_timestamp true, connection_messages true, log_type subscribe.',
  check: (c) =>
    rowsOr(
      c.all.map((b) => {
        const missing = unmet(b.logging);
        if (b.kind === 'emqx')
          return missing.length
            ? bad(b.path, `MON-3[${b.name}:emqx]`, `EMQX logs no ${missing.join(', no ')} (EMQX 5.8 writes no line per connection below debug level)`)
            : ok(b.path, 'EMQX: connections, authentication failures and denials logged to stdout by a console rule');
        return missing.length ? bad(b.path, `MON-3[${b.name}]`, `missing ${missing.join(', ')}`) : ok(b.path, 'connections, refusals and subscriptions logged with timestamps');
      }),
      c.stack,
      'no broker in this stack',
    ),
};
