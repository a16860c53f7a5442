import type { AuditRule, RuleRow } from '../context.js';
import { bad, ok, rowsOr } from './helpers.js';

export const rule: AuditRule = {
  id: 'POD-1',
  baseline: ['POD-1'],
  level: 'error',
  info: 'Pod Security restricted: non-root (UID/GID >= 10000), read-only root, no escalation, no capabilities, seccomp, no token.',
  explanation: 'Each of these blocks a container-escape or lateral-movement step.',
  fix: 'Label the namespace pod-security.kubernetes.io/enforce=restricted and set the securityContext fields (MosquittoBroker does both).',
  check: (c) => {
    const rows: RuleRow[] = [];
    for (const ns of c.k8s.filter((o) => o.kind === 'Namespace')) {
      const l = ns.body.metadata?.labels ?? {};
      rows.push(
        l['pod-security.kubernetes.io/enforce'] === 'restricted'
          ? ok(ns.path, `namespace ${ns.name} enforces restricted`)
          : bad(ns.path, `POD-1[ns:${ns.name}]`, `namespace ${ns.name} does not enforce Pod Security restricted`),
      );
    }
    for (const p of c.pods) {
      const psc = p.podSecurityContext;
      const podProblems = [
        !(Number(psc.runAsUser) >= 10000) ? `runAsUser ${psc.runAsUser ?? 'unset'}` : '',
        !(Number(psc.runAsGroup) >= 10000) ? `runAsGroup ${psc.runAsGroup ?? 'unset'}` : '',
        p.automountServiceAccountToken !== false ? 'service-account token mounted' : '',
        p.hostNetwork === true || p.hostPID === true || p.hostIPC === true
          ? `host namespaces (${[p.hostNetwork === true ? 'hostNetwork' : '', p.hostPID === true ? 'hostPID' : '', p.hostIPC === true ? 'hostIPC' : ''].filter(Boolean).join(', ')})`
          : '',
        p.volumes.some((v) => v.hostPath) ? 'hostPath volume' : '',
      ].filter(Boolean);
      rows.push(podProblems.length ? bad(p.owner.path, `POD-1[${p.owner.name}:pod]`, podProblems.join(', ')) : ok(p.owner.path, 'pod: UID/GID >= 10000, no token, no host namespaces'));
      for (const k of p.containers) {
        const s = k.securityContext;
        const drop: string[] = s.capabilities?.drop ?? [];
        const seccomp = s.seccompProfile?.type ?? psc.seccompProfile?.type;
        const problems = [
          s.runAsNonRoot !== true && psc.runAsNonRoot !== true ? 'runAsNonRoot' : '',
          s.readOnlyRootFilesystem !== true ? 'readOnlyRootFilesystem' : '',
          s.allowPrivilegeEscalation !== false ? 'allowPrivilegeEscalation' : '',
          !drop.includes('ALL') ? 'capabilities.drop ALL' : '',
          s.privileged === true ? 'privileged' : '',
          (s.capabilities?.add ?? []).some((x: string) => x !== 'NET_BIND_SERVICE') ? `capabilities.add ${s.capabilities.add.join(', ')}` : '',
          seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost' ? 'seccompProfile' : '',
        ].filter(Boolean);
        rows.push(problems.length ? bad(p.owner.path, `POD-1[${p.owner.name}/${k.name}]`, `${k.name}: ${problems.join(', ')}`) : ok(p.owner.path, `${k.name}: restricted`));
      }
    }
    return rowsOr(rows, c.stack, 'no workload in this stack');
  },
};
