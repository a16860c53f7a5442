/**
 * What a stack exposes, read from its synthesized JSON alone (so two outputs can be compared
 * without constructs): endpoints and source ranges, listeners and TLS, identities and their ACL
 * rules, certificates, secrets and rotation, network rules, monitoring.
 */

import { type LimitRow, limitsOf } from '../hardening/limits.js';
import { emqxListeners } from './emqx-view.js';
import { mdCode } from './escape.js';
import { type Operations, operationsOf } from './operations.js';
import { aclUsers, auditContext, forEachLocal } from './rules.js';
import { configMapFiles, effectiveSetting, type ListenerView } from './view.js';

export interface Exposure {
  readonly stack: string;
  /**
   * Every way a port is reachable: each Service (its cluster IP, or its load balancer), and as
   * endpoints of their own the surfaces beyond the cluster network: a Service's node ports and
   * external IPs, a container's host ports, a pod on the host network, an Ingress. `reach` says
   * from where, in words; `beyondCluster` when more than in-cluster clients can connect.
   */
  readonly endpoints: { path: string; name: string; namespace: string; type: string; ports: number[]; scheme: string | undefined; sourceRanges: string[]; reach: string; beyondCluster: boolean }[];
  readonly listeners: {
    broker: string;
    port: number;
    bind: string;
    tlsVersion: string | undefined;
    clientCertificate: boolean;
    certificateIsUsername: boolean;
    /** How revoked client certificates are refused, when they are. */
    revocation?: string;
    anonymous: boolean;
    authorization: string;
    /** Mosquitto's `crlfile` on this listener: client certificates are checked against the revocation list. */
    crlFile?: string;
    /**
     * Every certificate the client CA signed connects: the CN becomes the username and nothing
     * checks it against the identities (a CN outside the policy connects with no rights).
     */
    anyCertificateConnects?: boolean;
  }[];
  readonly networkPolicies: { path: string; name: string; namespace: string; types: string[]; ingress: { sources: string[]; ports: string[] }[]; egress: { sources: string[]; ports: string[] }[] }[];
  readonly securityGroupRules: { path: string; port: string; source: string; description: string }[];
  readonly identities: { broker: string; listenerFile: string; username: string; rules: { access: string; topic: string }[] }[];
  readonly certificates: { name: string; namespace: string; usage: 'ca' | 'server' | 'client'; duration: string; renewBefore: string; issuer: string; key: string; dnsNames: string[] }[];
  readonly secrets: { name: string; count: number; kms: boolean; rotationDays: number | undefined }[];
  readonly monitoring: { alerts: string[]; podMonitors: string[]; alarms: string[]; logMetricFilters: string[] };
  readonly clusters: { name: string; publicEndpoint: boolean; publicCidrs: string[]; logTypes: string[] }[];
  readonly vpcs: { path: string; cidr: string; flowLogs: boolean }[];
  /** Alarm targets, rule selectors, teardown and cost drivers (operations.ts). */
  readonly operations?: Operations;
  /** Every broker limit, its value and where it is enforced (constructs/hardening/limits.ts). */
  readonly limits?: readonly LimitRow[];
  /**
   * The revoked client certificates each broker enforces: the entries of the `revoked.index` its
   * ConfigMap holds (the declared list, from which the pod signs the CRL; docs/certificate-revocation.md).
   */
  readonly revocations?: readonly Revocation[];
}

export interface Revocation {
  /** `namespace/name` of the broker. */
  readonly broker: string;
  /** Serial in openssl's index form (upper-case hex); for a line not in the kit's form, the line itself. */
  readonly serial: string;
  readonly identity: string;
  readonly reason: string;
  /** `YYMMDDHHMMSSZ` as the index holds it. */
  readonly revokedAt: string;
}

const INDEX_LINE = /^R\t(\d{12}Z)\t\d{12}Z,([A-Za-z]+)\t([0-9A-F]+)\tunknown\t\/CN=(.*)$/;

/** The entries of an `openssl ca` index as the kit renders it (constructs/tls/revocation.ts renderRevocationIndex). */
export function revokedEntries(broker: string, index: string): Revocation[] {
  return index
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = INDEX_LINE.exec(l);
      return m ? { broker, serial: m[3]!, identity: m[4]!, reason: m[2]!, revokedAt: m[1]! } : { broker, serial: l, identity: '?', reason: '?', revokedAt: '?' };
    });
}

const peer = (f: any): string =>
  f.ipBlock
    ? `CIDR ${f.ipBlock.cidr}${f.ipBlock.except?.length ? ` except ${f.ipBlock.except.join(', ')}` : ''}`
    : [f.namespaceSelector ? `namespaces ${JSON.stringify(f.namespaceSelector.matchLabels ?? {})}` : '', f.podSelector ? `pods ${JSON.stringify(f.podSelector.matchLabels ?? {})}` : '']
        .filter(Boolean)
        .join(' / ') || 'any source';

const setting = (l: ListenerView, k: string) => l.settings.get(k)?.at(-1);

export function exposureOf(stack: string, json: any): Exposure {
  const c = auditContext(stack, json);
  const res = (t: string) => c.resources.filter((r) => r.type === t);
  const secrets = res('aws_secretsmanager_secret').map((s) => {
    const each = forEachLocal(json, s.config);
    const count = each ? Object.keys(each).length : 1;
    const rot = res('aws_secretsmanager_secret_rotation').find((r) => String(r.config.for_each ?? '').includes(s.id) || String(r.config.secret_id ?? '').includes(s.id));
    // Per-identity secrets are named `<prefix>/${each.key}`; admin secrets carry secret_name.
    const name = String(s.config.name ?? s.id);
    const pattern = name.includes('${each.key}') ? name.replace('${each.key}', '*') : ((each && Object.values<any>(each)[0]?.secret_name?.replace(/[^/]+$/, '*')) ?? name);
    return { name: pattern, count, kms: Boolean(s.config.kms_key_id), rotationDays: rot ? Number(rot.config.rotation_rules?.automatically_after_days) : undefined };
  });
  return {
    stack,
    endpoints: endpointsOf(c),
    listeners: emqxListeners(c).concat(
      c.brokers.flatMap((b) =>
        b.conf.listeners.map((l) => ({
          broker: `${b.namespace}/${b.name}`,
          port: l.port,
          bind: l.bind ?? 'all addresses',
          tlsVersion: setting(l, 'tls_version'),
          clientCertificate: setting(l, 'require_certificate') === 'true',
          certificateIsUsername: setting(l, 'use_identity_as_username') === 'true',
          ...(setting(l, 'crlfile') ? { revocation: 'revoked certificates refused at the handshake (crlfile, a CRL signed in the pod; a change restarts mosquitto and cuts open sessions)' } : {}),
          anonymous: effectiveSetting(b.conf, l, 'allow_anonymous') !== 'false',
          authorization: effectiveSetting(b.conf, l, 'plugin') !== undefined ? 'dynamic security' : effectiveSetting(b.conf, l, 'acl_file') !== undefined ? 'ACL file' : 'none',
          ...(setting(l, 'crlfile') !== undefined ? { crlFile: setting(l, 'crlfile') } : {}),
          // Mosquitto 2.0 skips authentication when the CN is the username (src/handle_connect.c).
          ...(setting(l, 'require_certificate') === 'true' && setting(l, 'use_identity_as_username') === 'true' ? { anyCertificateConnects: true } : {}),
        })),
      ),
    ),
    networkPolicies: c.k8s
      .filter((o) => o.kind === 'NetworkPolicy')
      .map((o) => ({
        path: o.path,
        name: o.name,
        namespace: o.namespace ?? 'default',
        types: o.body.spec?.policyTypes ?? [],
        // A rule without peers admits every source (or destination): say so, so a diff shows it.
        ingress: (o.body.spec?.ingress ?? []).map((r: any) => ({
          sources: r.from?.length ? r.from.map(peer) : ['any source'],
          ports: (r.ports ?? []).map((p: any) => `${p.protocol ?? 'TCP'}/${p.port}`),
        })),
        egress: (o.body.spec?.egress ?? []).map((r: any) => ({
          sources: r.to?.length ? r.to.map(peer) : ['any destination'],
          ports: (r.ports ?? []).map((p: any) => `${p.protocol ?? 'TCP'}/${p.port}`),
        })),
      })),
    securityGroupRules: res('aws_vpc_security_group_ingress_rule').map((r) => ({
      path: r.path,
      port: r.config.from_port === r.config.to_port ? String(r.config.from_port) : `${r.config.from_port}-${r.config.to_port}`,
      source: r.config.cidr_ipv4 ?? r.config.cidr_ipv6 ?? r.config.referenced_security_group_id ?? r.config.prefix_list_id ?? '?',
      description: r.config.description ?? '',
    })),
    identities: aclUsers(c).map(({ broker: b, file, username, rules }) => ({ broker: `${b.namespace}/${b.name}`, listenerFile: file, username, rules })),
    certificates: c.k8s
      .filter((o) => o.kind === 'Certificate')
      .map((o) => {
        const s = o.body.spec ?? {};
        return {
          name: o.name,
          namespace: o.namespace ?? 'default',
          usage: s.isCA ? ('ca' as const) : (s.usages ?? []).includes('client auth') ? ('client' as const) : ('server' as const),
          duration: s.duration ?? '2160h',
          renewBefore: s.renewBefore ?? '(cert-manager default: 1/3 of the duration)',
          issuer: `${s.issuerRef?.kind ?? 'Issuer'} ${s.issuerRef?.name}`,
          key: `${s.privateKey?.algorithm ?? 'RSA'} ${s.privateKey?.size ?? ''}, new key on renewal: ${s.privateKey?.rotationPolicy === 'Always' ? 'yes' : 'no'}`.trim(),
          dnsNames: s.dnsNames ?? [],
        };
      }),
    secrets,
    monitoring: {
      alerts: c.k8s.filter((o) => o.kind === 'PrometheusRule').flatMap((o) => (o.body.spec?.groups ?? []).flatMap((g: any) => (g.rules ?? []).map((r: any) => r.alert))),
      podMonitors: c.k8s.filter((o) => o.kind === 'PodMonitor').map((o) => `${o.namespace}/${o.name}`),
      alarms: res('aws_cloudwatch_metric_alarm').map((r) => String(r.config.alarm_name)),
      logMetricFilters: res('aws_cloudwatch_log_metric_filter').map((r) => `${r.config.name}: ${r.config.pattern}`),
    },
    clusters: res('aws_eks_cluster').map((r) => ({
      name: String(r.config.name),
      publicEndpoint: r.config.vpc_config?.endpoint_public_access === true,
      publicCidrs: r.config.vpc_config?.public_access_cidrs ?? [],
      logTypes: r.config.enabled_cluster_log_types ?? [],
    })),
    vpcs: res('aws_vpc').map((v) => ({ path: v.path, cidr: String(v.config.cidr_block), flowLogs: res('aws_flow_log').some((f) => String(f.config.vpc_id).includes(v.id)) })),
    operations: operationsOf(json),
    limits: limitsOf(c.all),
    revocations: [
      ...c.brokers.flatMap((b) => revokedEntries(`${b.namespace}/${b.name}`, b.files['revoked.index'] ?? '')),
      // EMQX's list lives in the ConfigMap of its CRL server, `<broker>-crl` (constructs/emqx/revocation.ts).
      ...c.emqx.flatMap((e) => {
        const ns = c.k8s.find((o) => o.path === e.path)?.namespace ?? 'default';
        const cm = c.k8s.find((o) => o.kind === 'ConfigMap' && o.name === `${e.name}-crl` && (o.namespace ?? 'default') === ns);
        return cm ? revokedEntries(`${ns}/${e.name}`, configMapFiles(cm)['revoked.index'] ?? '') : [];
      }),
    ],
  };
}

const NODE = 'every address that reaches a node';

function endpointsOf(c: ReturnType<typeof auditContext>): Exposure['endpoints'] {
  const out: Exposure['endpoints'] = [];
  const base = { scheme: undefined, sourceRanges: [] as string[] };
  for (const o of c.k8s.filter((x) => x.kind === 'Service')) {
    const spec = o.body.spec ?? {};
    const ns = o.namespace ?? 'default';
    const ports: number[] = (spec.ports ?? []).map((p: any) => Number(p.port));
    const scheme = o.body.metadata?.annotations?.['service.beta.kubernetes.io/aws-load-balancer-scheme'];
    const ranges: string[] = spec.loadBalancerSourceRanges ?? [];
    if (spec.clusterIP !== 'None') {
      out.push({
        path: o.path,
        name: o.name,
        namespace: ns,
        type: spec.type ?? 'ClusterIP',
        ports,
        scheme,
        sourceRanges: ranges,
        reach:
          spec.type === 'LoadBalancer'
            ? `${scheme ?? 'default-scheme'} load balancer from ${ranges.join(', ') || 'every address'}`
            : spec.type === 'NodePort'
              ? `in-cluster, and ${NODE} on its node ports`
              : spec.type === 'ExternalName'
                ? 'in-cluster name only'
                : 'in-cluster only',
        beyondCluster: spec.type === 'LoadBalancer' || spec.type === 'NodePort',
      });
    }
    if (spec.type === 'NodePort') {
      out.push({
        ...base,
        path: o.path,
        name: `${o.name} node ports`,
        namespace: ns,
        type: 'NodePort',
        ports: (spec.ports ?? []).map((p: any) => Number(p.nodePort ?? p.port)),
        reach: `${NODE}, on every node`,
        beyondCluster: true,
      });
    }
    if ((spec.externalIPs ?? []).length) {
      out.push({
        ...base,
        path: o.path,
        name: `${o.name} external IPs ${spec.externalIPs.join(', ')}`,
        namespace: ns,
        type: 'externalIPs',
        ports,
        reach: `every address routed to ${spec.externalIPs.join(', ')}`,
        beyondCluster: true,
      });
    }
  }
  for (const p of c.pods) {
    const ns = p.owner.namespace ?? 'default';
    if (p.hostNetwork === true)
      out.push({
        ...base,
        path: p.owner.path,
        name: `${p.owner.name} host network`,
        namespace: ns,
        type: 'hostNetwork',
        ports: p.containers.flatMap((k) => k.ports),
        reach: `${NODE} it runs on (host network)`,
        beyondCluster: true,
      });
    for (const k of p.containers)
      if (k.hostPorts.length)
        out.push({
          ...base,
          path: p.owner.path,
          name: `${p.owner.name}/${k.name} host ports`,
          namespace: ns,
          type: 'hostPort',
          ports: k.hostPorts,
          reach: `${NODE} it runs on (hostPort)`,
          beyondCluster: true,
        });
  }
  for (const i of c.k8s.filter((x) => x.kind === 'Ingress')) {
    const hosts = (i.body.spec?.rule ?? i.body.spec?.rules ?? []).map((r: any) => r.host).filter(Boolean);
    out.push({
      ...base,
      path: i.path,
      name: `${i.name} ingress`,
      namespace: i.namespace ?? 'default',
      type: 'Ingress',
      ports: [],
      reach: `whatever the ingress controller admits${hosts.length ? ` (hosts ${hosts.join(', ')})` : ''}`,
      beyondCluster: true,
    });
  }
  return out;
}

/** An ACL rule in plain words (Markdown: the topic as a code span that shows it exactly). */
export function ruleInWords(r: { access: string; topic: string }): string {
  // Mosquitto 2.0's acl_file has one kind of deny line, which refuses every access: the words
  // say the effective denial, also for a policy rule that denied one action only.
  const what =
    { read: 'subscribe to and receive', write: 'publish to', readwrite: 'publish to, subscribe to and receive', deny: 'is refused publishing to, subscribing to and receiving' }[r.access] ?? r.access;
  return r.access === 'deny' ? `${what} ${mdCode(r.topic)}` : `may ${what} ${mdCode(r.topic)}`;
}
