import type { AuditRule, RuleRow } from '../context.js';
import { bad, ok, rowsOr, unmet } from './helpers.js';

export const rule: AuditRule = {
  id: 'MON-2',
  baseline: ['MON-2'],
  brokers: ['mosquitto', 'emqx'],
  scope: 'Mosquitto and EMQX; EKS clusters (authentication-failure alarm)',
  level: 'warning',
  info: 'Alerts on outages, connection limits, drops, certificates and authentication failures.',
  explanation: 'Metrics nobody alerts on are read after the incident.',
  fix: 'BrokerMonitoring (PrometheusRule) in the broker stack; BrokerLogAlarms (authentication failures) next to the cluster.',
  check: (c) => {
    const rows: RuleRow[] = c.all.map((b) => {
      const missing = unmet(b.alerts);
      if (b.kind === 'emqx')
        return missing.length
          ? bad(b.path, `MON-2[${b.name}:emqx]`, `EMQX: no alert rule on ${missing.join(', ')}`)
          : ok(b.path, 'EMQX: alerts on authentication failures, denials, connections and cluster health');
      return missing.length ? bad(b.path, `MON-2[${b.name}:rules]`, 'no PrometheusRule for the broker') : ok(b.path, 'PrometheusRule present');
    });
    for (const e of c.resources.filter((r) => r.type === 'aws_eks_cluster')) {
      const filter = c.resources.some((r) => r.type === 'aws_cloudwatch_log_metric_filter');
      const alarm = c.resources.some((r) => r.type === 'aws_cloudwatch_metric_alarm');
      rows.push(filter && alarm ? ok(e.path, 'authentication-failure metric filter and alarm') : bad(e.path, `MON-2[${e.id}:auth-alarm]`, 'no authentication-failure alarm for the cluster'));
    }
    return rowsOr(rows, c.stack, 'no broker or cluster in this stack');
  },
};
