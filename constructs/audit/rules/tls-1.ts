import type { AuditRule, Broker, RuleRow } from '../context.js';
import { bad, ok, rowsOr } from './helpers.js';

/** Mosquitto judges each listener; EMQX one row per cluster naming every plaintext listener. */
function brokerRows(b: Broker): RuleRow[] {
  const plain = b.listeners.filter((l) => !l.tls && !l.loopback);
  if (b.kind === 'emqx') {
    const names = plain.map((l) => l.name);
    return [
      names.length
        ? bad(b.path, `TLS-1[${b.name}:${names.join(',')}]`, `EMQX plaintext listeners on: ${names.join(', ')} (EMQX enables tcp and ws by default)`)
        : ok(b.path, 'EMQX tcp and ws listeners off'),
    ];
  }
  return b.listeners.map((l) =>
    plain.includes(l)
      ? bad(b.path, `TLS-1[listener:${l.port}]`, `listener ${l.port} is plaintext and bound to ${l.bind ?? 'all addresses'}`)
      : ok(b.path, `listener ${l.port} ${l.tls ? 'uses TLS' : 'is loopback-only'}`),
  );
}

export const rule: AuditRule = {
  id: 'TLS-1',
  baseline: ['TLS-1'],
  brokers: ['mosquitto', 'emqx'],
  scope: 'Mosquitto and EMQX listeners; Services and containers of any stack (port 1883)',
  level: 'error',
  info: 'MQTT is served only over TLS; no plaintext listener is reachable from outside the pod.',
  explanation: 'A plaintext listener exposes credentials and payloads on the network; 1883 is plaintext MQTT by convention.',
  fix: 'Give the listener certfile/keyfile, or bind it to 127.0.0.1 for an in-pod sidecar; never expose 1883.',
  check: (c) => {
    const rows: RuleRow[] = c.all.filter((b) => b.kind === 'mosquitto').flatMap(brokerRows);
    for (const o of c.k8s.filter((x) => x.kind === 'Service'))
      for (const p of o.body.spec?.ports ?? o.body.spec?.port ?? []) {
        rows.push(
          Number(p.port) === 1883 || String(p.targetPort) === '1883' ? bad(o.path, `TLS-1[service:${o.name}:1883]`, `Service ${o.name} exposes 1883`) : ok(o.path, `Service ${o.name} port ${p.port}`),
        );
      }
    for (const p of c.pods) for (const k of p.containers) if (k.ports.includes(1883)) rows.push(bad(p.owner.path, `TLS-1[container:${k.name}:1883]`, `container ${k.name} declares port 1883`));
    // EMQX rows come last, as they always have (the report lists rows in this order).
    rows.push(...c.all.filter((b) => b.kind === 'emqx').flatMap(brokerRows));
    return rowsOr(rows, c.stack, 'no broker, Service or workload in this stack');
  },
};
