import type { AuditRule, RuleRow } from '../context.js';
import { bad, ok, rowsOr } from './helpers.js';

export const rule: AuditRule = {
  id: 'DOS-2',
  baseline: ['DOS-2'],
  level: 'error',
  info: 'Requests and limits on every container; a PodDisruptionBudget; spread over nodes when replicated.',
  explanation: 'Without limits one pod starves a node; without a PDB a drain takes the broker down unannounced.',
  fix: 'resources.requests and .limits for cpu, memory and ephemeral-storage; a PDB with unhealthyPodEvictionPolicy.',
  check: (c) => {
    const rows: RuleRow[] = [];
    const pdbs = c.k8s.filter((o) => o.kind === 'PodDisruptionBudget');
    for (const p of c.pods) {
      const runsToCompletion = p.owner.kind === 'Job' || p.owner.kind === 'CronJob';
      for (const k of p.containers) {
        const missing = ['cpu', 'memory', 'ephemeral-storage'].flatMap((r) => [...(k.resources.requests[r] ? [] : [`requests.${r}`]), ...(k.resources.limits[r] ? [] : [`limits.${r}`])]);
        rows.push(missing.length ? bad(p.owner.path, `DOS-2[${p.owner.name}/${k.name}]`, `${k.name}: no ${missing.join(', ')}`) : ok(p.owner.path, `${k.name}: requests and limits set`));
      }
      if (runsToCompletion) continue;
      const pdb = pdbs.find((d) => d.namespace === p.owner.namespace && Object.entries<string>(d.body.spec?.selector?.matchLabels ?? {}).every(([k, v]) => p.labels[k] === v));
      rows.push(
        !pdb
          ? bad(p.owner.path, `DOS-2[${p.owner.name}:pdb]`, 'no PodDisruptionBudget')
          : pdb.body.spec?.unhealthyPodEvictionPolicy
            ? ok(pdb.path, `PDB ${pdb.name}`)
            : bad(pdb.path, `DOS-2[${pdb.name}:unhealthy-eviction]`, 'PDB without unhealthyPodEvictionPolicy: an unhealthy pod blocks drains'),
      );
      if (p.replicas > 1)
        rows.push(
          p.topologySpread.length ? ok(p.owner.path, 'replicas spread by topology constraints') : bad(p.owner.path, `DOS-2[${p.owner.name}:spread]`, `${p.replicas} replicas without topology spread`),
        );
    }
    return rowsOr(rows, c.stack, 'no workload in this stack');
  },
};
