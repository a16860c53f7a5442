/**
 * What the security report says about operations, read from a stack's synthesized JSON alone:
 * whom each alarm notifies, which Prometheus will load the alert rules, the monthly cost drivers
 * of the AWS side, and how the secrets can be torn down. Pure.
 */
import { k8sObjects, resourcesOf, type TfResource } from './view.js';

export interface Operations {
  readonly alarms: { name: string; notifies: string; onMissingData: string }[];
  readonly ruleSelectors: { rule: string; labels: Record<string, string>; loadedBy: string }[];
  readonly cost: { label: string; value: string }[];
  readonly secrets: { name: string; recoveryWindowDays: number; breakGlass: string }[];
  readonly endpoints: { service: string; policy: string }[];
}

const COST_PROFILE_TAG = 'mqtt-fortress:cost-profile';
const HOURS_PER_MONTH = 730;

/** `${element(split(":", X.arn), 4)}` and friends, in words. */
const readable = (s: string) =>
  String(s)
    .replace(/\$\{element\(split\(":", [^)]*\), 1\)\}/g, '<partition>')
    .replace(/\$\{element\(split\(":", [^)]*\), 4\)\}/g, '<account>');

function refersTo(value: unknown, r: TfResource): boolean {
  return String(value ?? '').includes(`${r.type}.${r.id}.`);
}

export function operationsOf(json: any): Operations {
  const all = resourcesOf(json);
  const res = (t: string) => all.filter((r) => r.type === t);
  const topics = res('aws_sns_topic');
  const subs = res('aws_sns_topic_subscription');
  const target = (arn: string): string => {
    const t = topics.find((x) => refersTo(arn, x));
    if (!t) return `SNS topic ${arn}`;
    const mine = subs.filter((s) => refersTo(s.config.topic_arn, t));
    const enc = t.config.kms_master_key_id ? 'KMS-encrypted' : '**not encrypted**';
    return `SNS topic ${t.config.name} (created here, ${enc}; ${mine.length ? `subscribers: ${mine.map((s) => `${s.config.protocol} ${s.config.endpoint}`).join(', ')}` : '**no subscriber: nobody is paged until someone subscribes**'})`;
  };
  const alarms = res('aws_cloudwatch_metric_alarm').map((a) => {
    const actions: string[] = a.config.alarm_actions ?? [];
    return {
      name: String(a.config.alarm_name),
      notifies: actions.length ? [...new Set(actions)].map(target).join('; ') : '**nobody (no alarm action)**',
      onMissingData: String(a.config.treat_missing_data ?? 'missing'),
    };
  });

  const ruleSelectors = k8sObjects(json)
    .filter((o) => o.kind === 'PrometheusRule')
    .map((o) => {
      const labels: Record<string, string> = { ...(o.body.metadata?.labels ?? {}) };
      const release = labels.release;
      const selecting = Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('app.kubernetes.io/')));
      const loadedBy = release
        ? `kube-prometheus-stack installed as Helm release "${release}" (its default ruleSelector is release: ${release}), or any Prometheus whose ruleSelector matches these labels`
        : Object.keys(selecting).length
          ? `a Prometheus whose ruleSelector matches ${JSON.stringify(selecting)}`
          : '**only a Prometheus whose ruleSelector is {} (selects every rule)**: kube-prometheus-stack with its defaults will not load it';
      return { rule: `${o.namespace ?? 'default'}/${o.name}`, labels, loadedBy };
    });

  const cost: { label: string; value: string }[] = [];
  const profiles = new Set(all.map((r) => r.config?.tags?.[COST_PROFILE_TAG]).filter(Boolean));
  const interfaces = res('aws_vpc_endpoint').filter((e) => e.config.vpc_endpoint_type === 'Interface');
  if (profiles.size) cost.push({ label: 'Cost profile', value: [...profiles].join(', ') });
  if (interfaces.length) {
    const zones = interfaces.reduce((n, e) => n + (Array.isArray(e.config.subnet_ids) ? e.config.subnet_ids.length : 1), 0);
    cost.push({
      label: 'Interface endpoints',
      value: `${interfaces.length} endpoints in ${zones} endpoint-zones: ${zones} endpoint-hours per hour, about ${zones * HOURS_PER_MONTH} per month, plus data processed`,
    });
  }
  const groups = res('aws_cloudwatch_log_group');
  const retention = (g: TfResource | undefined) => (g ? `${g.config.retention_in_days} days` : 'unknown');
  for (const f of res('aws_flow_log')) {
    cost.push({
      label: 'VPC flow logs',
      value: `traffic ${f.config.traffic_type}, aggregated every ${f.config.max_aggregation_interval ?? 600} s, kept ${retention(groups.find((g) => String(g.config.name).includes('vpc-flow-logs')))} (ingestion and storage grow with traffic)`,
    });
  }
  for (const c of res('aws_eks_cluster')) {
    const types: string[] = c.config.enabled_cluster_log_types ?? [];
    cost.push({
      label: 'EKS control-plane logs',
      value: `${types.length} log types (${types.join(', ') || 'none'}), kept ${retention(groups.find((g) => /^\/aws\/eks\/.*\/cluster$/.test(String(g.config.name))))}; audit logs grow with API traffic`,
    });
    cost.push({ label: 'EKS control plane', value: 'billed per cluster-hour; a version in extended support costs more (see the cluster upgrade policy)' });
  }
  const ci = groups.find((g) => String(g.config.name).startsWith('/aws/containerinsights/'));
  if (ci) cost.push({ label: 'Container logs', value: `kept ${retention(ci)}` });
  for (const a of res('aws_eks_addon').filter((x) => x.config.addon_name === 'amazon-cloudwatch-observability')) {
    let cfg: any;
    try {
      cfg = a.config.configuration_values ? JSON.parse(a.config.configuration_values) : undefined;
    } catch {
      cfg = undefined;
    }
    const mc = cfg?.agent?.config?.logs?.metrics_collected;
    const signals = !mc ? 'on (add-on default configuration)' : mc.application_signals ? 'on' : 'off';
    const enhanced = !mc ? 'on (add-on default)' : mc.kubernetes?.enhanced_container_insights ? 'on' : 'off';
    cost.push({ label: 'CloudWatch Application Signals', value: signals });
    cost.push({ label: 'Container Insights enhanced metrics', value: `${enhanced} (billed per observation)` });
  }

  const secrets = res('aws_secretsmanager_secret').map((s) => {
    let breakGlass = 'unknown';
    const m = /"Sid":"OnlyBreakGlassChangesProtection".*?"aws:PrincipalArn":\[([^\]]*)\]/.exec(String(s.config.policy ?? ''));
    if (m) breakGlass = readable(m[1]!.replace(/"(arn:[^"]*?(?:\$\{[^}]*\}[^"]*?)*)"/g, '$1'));
    else if (s.config.policy) breakGlass = '**no break-glass statement: administrators can change the protection**';
    return { name: readable(String(s.config.name)).replace('${each.key}', '*'), recoveryWindowDays: Number(s.config.recovery_window_in_days ?? 30), breakGlass };
  });
  const endpoints = res('aws_vpc_endpoint').map((e) => {
    const service = String(e.config.service_name).replace(/^com\.amazonaws\.[^.]+\./, '');
    let policy: string;
    if (e.config.policy) {
      const sids = [...String(e.config.policy).matchAll(/"Sid":"([^"]+)"/g)].map((m) => m[1]);
      policy = `restricted: ${sids.join(', ')}${/aws:PrincipalOrgID/.test(String(e.config.policy)) ? ' (organization principals)' : ''}`;
    } else policy = ['eks', 'eks-auth'].includes(service) ? 'none (the service does not support endpoint policies)' : "**none: any account's credentials pass**";
    return { service, policy };
  });
  return { alarms, ruleSelectors, cost, secrets, endpoints };
}

const esc = (s: string) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const table = (head: string[], rows: string[][]) => [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');

/** Markdown lines for the report; none when the stack has nothing of the kind. */
export function renderOperations(o: Operations): string[] {
  const L: string[] = [];
  if (o.alarms.length)
    L.push(
      '### Alarm targets',
      '',
      table(
        ['Alarm', 'Notifies', 'Missing data'],
        o.alarms.map((a) => [a.name, a.notifies, a.onMissingData]),
      ),
      '',
    );
  if (o.ruleSelectors.length)
    L.push(
      '### Which Prometheus loads the alert rules',
      '',
      table(
        ['PrometheusRule', 'Labels', 'Loaded by'],
        o.ruleSelectors.map((r) => [
          r.rule,
          Object.entries(r.labels)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', '),
          r.loadedBy,
        ]),
      ),
      '',
    );
  if (o.endpoints.length)
    L.push(
      '### VPC endpoint policies',
      '',
      table(
        ['Endpoint', 'Policy'],
        o.endpoints.map((e) => [e.service, e.policy]),
      ),
      '',
    );
  if (o.secrets.length)
    L.push(
      '### Secrets teardown',
      '',
      table(
        ['Secrets', 'Recovery window', 'Break-glass principals (protection changes, restore)'],
        o.secrets.map((s) => [s.name, s.recoveryWindowDays ? `${s.recoveryWindowDays} days` : '**none: a destroy deletes the values for good**', s.breakGlass]),
      ),
      '',
    );
  if (o.cost.length)
    L.push(
      '### Expected monthly cost drivers',
      '',
      'Quantities, not prices: multiply by your region\'s price list (docs/aws-hardening.md, "Cost").',
      '',
      table(
        ['Driver', 'In this stack'],
        o.cost.map((c) => [c.label, c.value]),
      ),
      '',
    );
  return L.length ? ['## Operations: alarms, rule selection, teardown, cost', '', ...L] : [];
}
