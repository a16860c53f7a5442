import type { AuditRule, RuleRow } from '../context.js';
import type { UnseenResource } from '../view.js';
import { bad, ok } from './helpers.js';
import { brokerProgramRows } from './rev-2-program.js';

export const rule: AuditRule = {
  id: 'REV-2',
  baseline: ['REV-2'],
  brokers: ['mosquitto'],
  scope: "every resource of any stack; for Mosquitto also the pod's command lines and the kit's scripts",
  level: 'error',
  info: 'The audit sees the final output whatever produced it: every resource is of a type it reads, and every suppression names what it covers.',
  explanation:
    'A resource the audit cannot read (an unknown type, a raw manifest of an unknown kind, a mutating webhook, another provider that applies manifests) could open what every other rule checks; an ambiguous suppression could hide a finding nobody reviewed.',
  fix: "Use the Kubernetes provider's typed resources or kubernetes_manifest for the kinds the audit reads; for anything else, review it and suppress REV-2 for that one resource with appliesTo naming its finding key. Name the findings a suppression covers in appliesTo.",
  check: (c) => {
    // One finding per resource, with every reason the audit cannot read it.
    const byRes = new Map<string, UnseenResource[]>();
    for (const u of c.unseen) byRes.set(`${u.type}.${u.id}`, [...(byRes.get(`${u.type}.${u.id}`) ?? []), u]);
    const rows: RuleRow[] = [...byRes].map(([k, us]) => bad(us[0]!.path, `REV-2[${k}]`, us.map((u) => u.why).join('; ')));
    // A module creates resources the stack's JSON does not show; a provisioner runs commands at apply.
    for (const [name, m] of Object.entries<any>(c.json?.module ?? {}))
      rows.push(bad(m?.['//']?.metadata?.path ?? `module.${name}`, `REV-2[module.${name}]`, `module ${name} (${m?.source}) creates resources the audit cannot see in this stack's output`));
    for (const r of c.resources)
      if (r.config?.provisioner !== undefined)
        rows.push(bad(r.path, `REV-2[${r.type}.${r.id}:provisioner]`, `${r.type}.${r.id} has a provisioner: it runs commands at apply that can change anything, unseen by the audit`));
    rows.push(...brokerProgramRows(c));
    for (const b of c.brokers)
      for (const d of b.conf.includes) rows.push(bad(b.path, `REV-2[${b.name}:include_dir]`, `the config of ${b.name} includes every .conf file in ${d}: Mosquitto reads them, the audit does not`));
    // Only the AWS and Kubernetes providers are read; any other provider (helm, kubectl, null_resource) can apply anything.
    for (const r of c.resources)
      if (!r.type.startsWith('aws_') && !r.type.startsWith('kubernetes_')) rows.push(bad(r.path, `REV-2[${r.type}.${r.id}]`, `resource type ${r.type} belongs to a provider the audit does not read`));
    if (!rows.length) rows.push(ok(c.stack, `all ${c.resources.length} resources are of types the audit reads`));
    return rows;
  },
};
