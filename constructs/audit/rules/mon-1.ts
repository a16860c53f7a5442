import type { AuditRule } from '../context.js';
import { bad, ok, rowsOr, unmet } from './helpers.js';

export const rule: AuditRule = {
  id: 'MON-1',
  baseline: ['MON-1'],
  brokers: ['mosquitto', 'emqx'],
  level: 'warning',
  info: 'Broker metrics reach Prometheus (exporter and scrape configuration).',
  explanation: 'Without metrics, floods, drops and outages are noticed by users first.',
  fix: 'metricsExporter with its image digest, and BrokerMonitoring (PodMonitor).',
  check: (c) =>
    rowsOr(
      c.all.map((b) => {
        const missing = unmet(b.metrics);
        if (b.kind === 'emqx')
          return missing.length ? bad(b.path, `MON-1[${b.name}:emqx]`, 'EMQX: no PodMonitor scrapes /api/v5/prometheus/stats') : ok(b.path, 'EMQX: PodMonitor on /api/v5/prometheus/stats');
        return missing.length ? bad(b.path, `MON-1[${b.name}]`, missing.map((m) => `no ${m}`).join('; ')) : ok(b.path, 'exporter and PodMonitor');
      }),
      c.stack,
      'no broker in this stack',
    ),
};
