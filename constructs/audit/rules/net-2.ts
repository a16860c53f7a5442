import { judgeRanges } from '../../core/exposure-union.js';
import type { AuditRule, RuleRow } from '../context.js';
import { bad, ok, rowsOr } from './helpers.js';

/**
 * A namespace selector that picks named namespaces: a label value (matchLabels) or an `In`
 * expression. `{}`, `Exists` (every namespace has kubernetes.io/metadata.name), `NotIn` and
 * `DoesNotExist` alone select every namespace but a few.
 */
const narrowSelector = (sel: any): boolean => Object.keys(sel.matchLabels ?? {}).length > 0 || [sel.matchExpressions ?? []].flat().some((e: any) => e?.operator === 'In');

export const rule: AuditRule = {
  id: 'NET-2',
  baseline: ['NET-2'],
  level: 'error',
  info: 'Cloud and cluster firewalls admit MQTT only from declared ranges; never from the whole internet without a reason; never 1883.',
  explanation: 'An open MQTT port invites credential stuffing and connection floods from the internet.',
  fix: 'List client CIDRs or security groups (BrokerSecurityGroup), loadBalancerSourceRanges on LoadBalancer Services.',
  check: (c) => {
    const rows: RuleRow[] = [];
    for (const r of c.resources.filter((x) => x.type === 'aws_vpc_security_group_ingress_rule')) {
      const cidr = r.config.cidr_ipv4 ?? r.config.cidr_ipv6;
      const p1883 = Number(r.config.from_port) <= 1883 && 1883 <= Number(r.config.to_port ?? r.config.from_port);
      if (p1883) rows.push(bad(r.path, `NET-2[${r.id}:1883]`, 'admits 1883'));
      else if (cidr === '0.0.0.0/0' || cidr === '::/0') rows.push(bad(r.path, `NET-2[${r.id}:${cidr}]`, `admits port ${r.config.from_port} from ${cidr}`));
      else if (r.config.ip_protocol === '-1') rows.push(bad(r.path, `NET-2[${r.id}:all-ports]`, 'admits every protocol and port'));
      else rows.push(ok(r.path, `port ${r.config.from_port} from ${cidr ?? r.config.referenced_security_group_id ?? r.config.prefix_list_id}`));
    }
    // The union of a group's CIDR rules (0.0.0.0/1 + 128.0.0.0/1 is as open as 0.0.0.0/0).
    const bySg = new Map<string, { path: string; cidrs: string[] }>();
    for (const r of c.resources.filter((x) => x.type === 'aws_vpc_security_group_ingress_rule')) {
      const cidr = r.config.cidr_ipv4 ?? r.config.cidr_ipv6;
      if (typeof cidr !== 'string' || cidr === '0.0.0.0/0' || cidr === '::/0') continue;
      const g = bySg.get(String(r.config.security_group_id)) ?? { path: r.path, cidrs: [] };
      g.cidrs.push(cidr);
      bySg.set(String(r.config.security_group_id), g);
    }
    for (const [sgRef, g] of bySg) {
      const j = judgeRanges(g.cidrs.map((cidr) => ({ cidr, prop: sgRef })));
      if (j.worldOpen) rows.push(bad(g.path, `NET-2[${sgRef}:world-union]`, `its rules together admit ${j.summary}`));
    }
    for (const sg of c.resources.filter((x) => x.type === 'aws_security_group')) {
      for (const i of sg.config.ingress ?? []) {
        const cidrs = [...(i.cidr_blocks ?? []), ...(i.ipv6_cidr_blocks ?? [])].filter((x: unknown) => typeof x === 'string');
        if (cidrs.length && judgeRanges(cidrs.map((cidr: string) => ({ cidr, prop: sg.id }))).worldOpen)
          rows.push(bad(sg.path, `NET-2[${sg.id}:inline-world]`, 'inline ingress from the whole internet'));
      }
    }
    for (const s of c.k8s.filter((o) => o.kind === 'Service' && o.body.spec?.type === 'LoadBalancer')) {
      const ranges: string[] = s.body.spec.loadBalancerSourceRanges ?? [];
      const j = ranges.length ? judgeRanges(ranges.map((cidr) => ({ cidr, prop: s.name }))) : undefined;
      rows.push(
        !j
          ? bad(s.path, `NET-2[${s.name}:no-source-ranges]`, `LoadBalancer ${s.name} admits every address`)
          : j.worldOpen
            ? bad(s.path, `NET-2[${s.name}:world]`, `LoadBalancer ${s.name} admits ${j.summary}`)
            : ok(s.path, `LoadBalancer ${s.name} admits ${ranges.join(', ')}`),
      );
    }
    // Every other way a port reaches beyond the cluster network: node ports, external IPs,
    // host ports and the host network. None of them carries a source restriction.
    for (const s of c.k8s.filter((o) => o.kind === 'Service')) {
      const spec = s.body.spec ?? {};
      if (spec.type === 'NodePort')
        rows.push(
          bad(
            s.path,
            `NET-2[${s.name}:node-port]`,
            `NodePort Service ${s.name} opens ${spec.ports.map((p: any) => p.nodePort ?? `a node port for ${p.port}`).join(', ')} on every node's addresses, with no source restriction`,
          ),
        );
      if (spec.externalIPs.length)
        rows.push(
          bad(
            s.path,
            `NET-2[${s.name}:external-ips]`,
            `Service ${s.name} accepts traffic for external IPs ${spec.externalIPs.join(', ')} on ${spec.ports.map((p: any) => p.port).join(', ')}, with no source restriction`,
          ),
        );
    }
    for (const p of c.pods) {
      if (p.hostNetwork === true)
        rows.push(bad(p.owner.path, `NET-2[${p.owner.name}:host-network]`, `${p.owner.kind} ${p.owner.name} uses the node's network: every port it listens on is open on the node's addresses`));
      for (const k of p.containers)
        for (const hp of k.hostPorts)
          rows.push(bad(p.owner.path, `NET-2[${p.owner.name}/${k.name}:host-port-${hp}]`, `container ${k.name} of ${p.owner.kind} ${p.owner.name} binds host port ${hp} on the node's addresses`));
    }
    for (const i of c.k8s.filter((o) => o.kind === 'Ingress')) rows.push(bad(i.path, `NET-2[${i.name}:ingress]`, `Ingress ${i.name} routes traffic from whatever the ingress controller admits`));
    for (const n of c.k8s.filter((o) => o.kind === 'NetworkPolicy'))
      for (const r of n.body.spec?.ingress ?? []) {
        const blocks = (r.from ?? []).filter((f: any) => f.ipBlock?.cidr).map((f: any) => ({ cidr: f.ipBlock.cidr, except: f.ipBlock.except ?? [], prop: n.name }));
        const j = blocks.length ? judgeRanges(blocks) : undefined;
        if (j?.worldOpen) rows.push(bad(n.path, `NET-2[${n.name}:${blocks.map((b: { cidr: string }) => b.cidr).join('+')}]`, `${n.name} admits ${j.summary}`));
        for (const f of r.from ?? []) {
          const sel = f.namespaceSelector;
          if (sel && !narrowSelector(sel)) rows.push(bad(n.path, `NET-2[${n.name}:every-namespace]`, `${n.name} admits pods of every namespace`));
        }
      }
    return rowsOr(rows, c.stack, 'no security group rule or load balancer in this stack');
  },
};
