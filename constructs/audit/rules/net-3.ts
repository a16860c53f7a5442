import type { AuditRule, RuleRow } from '../context.js';
import { bad, ok, rowsOr } from './helpers.js';

export const rule: AuditRule = {
  id: 'NET-3',
  baseline: ['NET-3'],
  level: 'error',
  info: 'Private networking: private subnets, internal load balancers, private Kubernetes API, flow logs.',
  explanation: 'Public endpoints and addresses widen the attack surface; without flow logs an incident cannot be reconstructed.',
  fix: 'BrokerNetwork, PrivateEksCluster and MosquittoBroker are private by default; opt out only with a reason.',
  check: (c) => {
    const rows: RuleRow[] = [];
    const flowLogs = c.resources.filter((r) => r.type === 'aws_flow_log');
    for (const v of c.resources.filter((r) => r.type === 'aws_vpc'))
      rows.push(flowLogs.some((f) => String(f.config.vpc_id).includes(v.id)) ? ok(v.path, 'flow logs on') : bad(v.path, `NET-3[${v.id}:flow-logs]`, 'VPC without flow logs'));
    for (const s of c.resources.filter((r) => r.type === 'aws_subnet'))
      rows.push(s.config.map_public_ip_on_launch === true ? bad(s.path, `NET-3[${s.id}:public-ip]`, 'subnet assigns public IPs') : ok(s.path, 'no public IPs on launch'));
    for (const e of c.resources.filter((r) => r.type === 'aws_eks_cluster'))
      rows.push(
        e.config.vpc_config?.endpoint_public_access === true ? bad(e.path, `NET-3[${e.id}:public-endpoint]`, 'Kubernetes API endpoint is public') : ok(e.path, 'private Kubernetes API endpoint'),
      );
    for (const s of c.k8s.filter((o) => o.kind === 'Service' && o.body.spec?.type === 'LoadBalancer')) {
      const scheme = s.body.metadata?.annotations?.['service.beta.kubernetes.io/aws-load-balancer-scheme'];
      rows.push(
        scheme === 'internal'
          ? ok(s.path, `${s.name}: internal load balancer`)
          : bad(s.path, `NET-3[${s.name}:${scheme ?? 'default-scheme'}]`, `${s.name}: load balancer scheme ${scheme ?? 'unset (internet-facing with the AWS LB controller)'}`),
      );
    }
    return rowsOr(rows, c.stack, 'no network resource in this stack');
  },
};
