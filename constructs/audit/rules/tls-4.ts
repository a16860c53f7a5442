import type { AuditRule } from '../context.js';
import { bad, ok, rowsOr } from './helpers.js';

export const rule: AuditRule = {
  id: 'TLS-4',
  baseline: ['TLS-4'],
  brokers: ['mosquitto'],
  level: 'error',
  info: 'A renewed certificate reaches the running broker without a restart.',
  explanation: 'Without a reload path, renewals need a manual restart (or are missed until the certificate expires).',
  fix: 'Mount the certificate Secret without subPath and run the reloader sidecar (MosquittoBroker does this).',
  check: (c) =>
    rowsOr(
      c.brokers.map((b) => {
        if (!b.pod) return bad(b.path, `TLS-4[${b.name}:no-pod]`, `no workload mounts the config of ${b.name}`);
        const reloader = b.pod.containers.find((k) => !k.init && k.command.join(' ').includes('fortress-auth.sh watch'));
        const watchesTls = reloader?.env.some((e) => e.name === 'FORTRESS_TLS_SRC');
        const subPath = b.pod.containers.some((k) => k.volumeMounts.some((m) => m.subPath));
        if (!reloader || !watchesTls) return bad(b.pod.owner.path, `TLS-4[${b.name}:reloader]`, 'no reloader sidecar watches the certificate');
        if (subPath) return bad(b.pod.owner.path, `TLS-4[${b.name}:subPath]`, 'a volume is mounted with subPath: kubelet will not update it on renewal');
        return ok(b.pod.owner.path, 'reloader validates renewed certificates and sends SIGHUP; no subPath mounts');
      }),
      c.stack,
      'no broker in this stack',
    ),
};
