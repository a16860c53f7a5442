/**
 * What an audit rule is and what it reads: the rule type (cdk-nag's design: `{ id, level, info,
 * explanation, fix, check }`, plus the baseline IDs it checks and the brokers it applies to) and
 * the audit context built once per stack from its Terraform JSON. `check` is pure over the
 * context and returns, for every subject it applies to, compliant, non-compliant (with a finding
 * such as `ACL-2[sensor-0001:#]`) or not-applicable rows: an audit trail, not only failures.
 */
import { type Broker, type BrokerView, brokersOf, type EmqxView, emqxViewOf, mosquittoViewOf } from './broker-view.js';
import { emqxAclUsers } from './emqx-view.js';
import { configMapFiles, type K8sView, k8sView, type PodView, pods, resourcesOf, type TfResource, type UnseenResource } from './view.js';

export type { Broker, BrokerKind, BrokerView, EmqxView, MqttListener, Requirement } from './broker-view.js';

/** How bad an open finding of a rule is: an unsuppressed `error` fails synthesis, a `warning` is reported. */
export type Level = 'error' | 'warning';
/** A rule's verdict on one subject; `not-applicable` rows keep the audit trail complete. */
export type Status = 'compliant' | 'non-compliant' | 'not-applicable';

export interface RuleRow {
  readonly status: Status;
  /** Construct path of the subject. */
  readonly path: string;
  /** Stable key of a violation, e.g. `ACL-2[sensor-0001:#]`; what suppressions' appliesTo match. */
  readonly finding?: string;
  /** What is wrong or right, in words. */
  readonly detail: string;
  /**
   * What a finding is about, for suppressions that name it structurally (a policy exception
   * names a role and a topic): the identity, the topic filter and the access it grants.
   */
  readonly subject?: { readonly identity?: string; readonly topic?: string; readonly access?: readonly string[] };
}

export interface AuditRule {
  /** Rule id, also the key of its findings (`TLS-1[...]`) and of suppressions. */
  readonly id: string;
  /**
   * Baseline requirements (docs/SECURITY-BASELINE.md) the rule checks.
   * @default - the rule's own id
   */
  readonly baseline?: readonly string[];
  /**
   * Brokers whose configuration the rule reads; empty when it reads only Kubernetes or AWS
   * resources (it then applies whatever the broker).
   * @default - none
   */
  readonly brokers?: readonly ('mosquitto' | 'emqx')[];
  /**
   * What the rule reads, in words, when the brokers alone do not say it (docs/RULES.md).
   * @default - the brokers, or any stack's Kubernetes and AWS resources when there are none
   */
  readonly scope?: string;
  /** Severity: an open `error` fails synthesis, a `warning` is reported. */
  readonly level: Level;
  /** Title: what the rule requires, in one sentence. */
  readonly info: string;
  /** Description: why. */
  readonly explanation: string;
  readonly fix: string;
  check(ctx: AuditContext): RuleRow[];
}

export interface AuditContext {
  readonly stack: string;
  readonly json: any;
  readonly resources: TfResource[];
  readonly k8s: K8sView[];
  readonly pods: PodView[];
  /** Mosquitto brokers in their own dialect (the normalised view is `all`). */
  readonly brokers: BrokerView[];
  /** EMQX clusters in their own dialect (the normalised view is `all`). */
  readonly emqx: EmqxView[];
  /** Every broker of the stack, Mosquitto and EMQX, in one normalised shape: Mosquitto first. */
  readonly all: Broker[];
  /** Resources the view cannot read or place (REV-2). */
  readonly unseen: UnseenResource[];
}

/** The map a resource's `for_each` iterates when it is a Terraform local (`${local.x}`), else undefined. */
export function forEachLocal(json: any, config: any): Record<string, any> | undefined {
  const name = /^\$\{local\.(.+)\}$/.exec(String(config.for_each ?? ''))?.[1];
  return name === undefined ? undefined : (json.locals?.[name] ?? {});
}

/** Every (broker, ACL file, username, rules) of the Mosquitto brokers in the stack. */
export function aclUsers(c: AuditContext) {
  return [
    ...c.brokers.flatMap((broker) =>
      broker.acls.flatMap(({ file, acl }) => [...acl.users].map(([username, rules]) => ({ broker: broker as Pick<BrokerView, 'path' | 'namespace' | 'name'>, file, username, rules }))),
    ),
    ...emqxAclUsers(c),
  ];
}

export function auditContext(stack: string, json: any): AuditContext {
  const view = k8sView(json);
  const k8s = view.objects;
  const podViews = pods(k8s);
  const configMaps = k8s.filter((o) => o.kind === 'ConfigMap').map((cm) => ({ cm, files: configMapFiles(cm) }));
  const brokers = configMaps.filter(({ files }) => files['mosquitto.conf']).map(({ cm, files }) => mosquittoViewOf(cm, files, podViews));
  const emqx = configMaps.filter(({ files }) => files['emqx.conf']).map(({ cm, files }) => emqxViewOf(cm, files));
  const partial = { stack, json, resources: resourcesOf(json), k8s, pods: podViews, brokers, emqx, unseen: view.unseen };
  return { ...partial, all: brokersOf(partial) };
}
