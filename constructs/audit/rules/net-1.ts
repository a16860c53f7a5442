import { judgeRanges } from '../../core/exposure-union.js';
import type { AuditRule, RuleRow } from '../context.js';
import { bad, list, ok, rowsOr } from './helpers.js';

export const rule: AuditRule = {
  id: 'NET-1',
  baseline: ['NET-1'],
  level: 'error',
  info: 'Default-deny NetworkPolicy for ingress and egress around every broker; allows name their sources.',
  explanation: 'Without a default deny, any pod in the cluster can reach the broker and the broker can reach anything.',
  fix: 'A NetworkPolicy with policyTypes [Ingress, Egress] and no rules selecting the broker pods (MosquittoBroker creates it).',
  check: (c) => {
    const rows: RuleRow[] = [];
    const nps = c.k8s.filter((o) => o.kind === 'NetworkPolicy');
    for (const b of c.brokers) {
      const deny = nps.find(
        (n) =>
          n.namespace === b.namespace &&
          (n.body.spec?.policyTypes ?? []).includes('Ingress') &&
          (n.body.spec?.policyTypes ?? []).includes('Egress') &&
          !(n.body.spec?.ingress ?? []).length &&
          !(n.body.spec?.egress ?? []).length,
      );
      rows.push(
        deny ? ok(deny.path, `default deny ${deny.name} in ${b.namespace}`) : bad(b.path, `NET-1[${b.namespace}:default-deny]`, `no default-deny NetworkPolicy (ingress and egress) in ${b.namespace}`),
      );
    }
    for (const n of nps) {
      for (const [i, r] of (n.body.spec?.ingress ?? []).entries()) {
        const from = r.from ?? [];
        rows.push(
          from.length ? ok(n.path, `${n.name} ingress[${i}] from ${from.length} declared source(s)`) : bad(n.path, `NET-1[${n.name}:ingress-${i}]`, `${n.name} ingress[${i}] admits every source`),
        );
      }
      for (const [i, r] of (n.body.spec?.egress ?? []).entries()) {
        const to: any[] = r.to ?? [];
        // The union of the rule's CIDRs, exceptions taken out (0.0.0.0/1 + 128.0.0.0/1 is 0.0.0.0/0).
        const blocks = to.filter((t) => t.ipBlock?.cidr).map((t) => ({ cidr: String(t.ipBlock.cidr), except: list(t.ipBlock.except).map(String), prop: n.name }));
        let world: string | undefined;
        try {
          const j = blocks.length ? judgeRanges(blocks) : undefined;
          world = j?.worldOpen ? j.summary : undefined;
        } catch (e) {
          world = `CIDRs the audit cannot judge (${(e as Error).message})`;
        }
        rows.push(
          !to.length
            ? bad(n.path, `NET-1[${n.name}:egress-${i}]`, `${n.name} egress[${i}] admits every destination${(r.ports ?? []).length ? '' : ' on every port'}`)
            : world
              ? bad(n.path, `NET-1[${n.name}:egress-${i}]`, `${n.name} egress[${i}] admits ${world}`)
              : ok(n.path, `${n.name} egress[${i}] to ${to.length} declared destination(s)`),
        );
      }
    }
    return rowsOr(rows, c.stack, 'no broker or NetworkPolicy in this stack');
  },
};
