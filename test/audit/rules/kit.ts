/**
 * What the per-rule audit tests share: the compliant Kubernetes stacks of both brokers (the
 * Mosquitto one from test/helpers/audit-base.ts, the EMQX one as EmqxKubernetesStack builds it),
 * an AWS stack with only a provider, and escape hatches that break them one way at a time.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { type App, type TerraformResource, TerraformStack, Testing } from 'cdktf';
import { type AuditResult, evaluate } from '../../../constructs/audit/engine.js';
import type { EmqxClusterOptions } from '../../../constructs/emqx/props.js';
import type { MosquittoBroker } from '../../../constructs/mosquitto/broker.js';
import { EmqxKubernetesStack } from '../../../stacks/emqx-k8s-stack.js';
import { compliantK8sStack } from '../../helpers/audit-base.js';
import { examplePolicy } from '../../helpers/synth.js';

export { evaluate };

export interface K8sBase {
  stack: TerraformStack;
  broker: MosquittoBroker;
  res: (kind: string, name?: string) => TerraformResource;
}

const finder = (stack: TerraformStack) => (kind: string, name?: string) =>
  stack.node.findAll().find((c) => (c as any).terraformResourceType === kind && (!name || c.node.id.includes(name))) as TerraformResource;

/** A Mosquitto stack every rule finds compliant: broker with exporter, certificates, monitoring. */
export function k8sBase(): K8sBase {
  const { stack, broker } = compliantK8sStack();
  return { stack, broker, res: finder(stack) };
}

/** An AWS stack with only a provider. */
export function awsBase(): TerraformStack {
  const app: App = Testing.app();
  const stack = new TerraformStack(app, 'aws');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  return stack;
}

/** Escape hatch: rewrites a top-level key of a resource's resolved config. */
export function patch(stack: TerraformStack, r: TerraformResource, key: string, fn: (v: any) => void): void {
  const json = stack.toTerraform();
  const cfg = json.resource[r.terraformResourceType][stack.getLogicalId(r)];
  const v = structuredClone(cfg[key]);
  fn(v);
  r.addOverride(key, v);
}

/** Rules with open (unsuppressed) findings, sorted. */
export const openRules = (r: AuditResult) => [...new Set(r.rows.filter((x) => x.status === 'non-compliant' && !x.suppressed).map((x) => x.rule))].sort();
/** Open finding keys of one rule. */
export const openFindings = (r: AuditResult, id: string) => r.rows.filter((x) => x.rule === id && x.status === 'non-compliant' && !x.suppressed).map((x) => x.finding!);
/** Rows of one rule that are compliant. */
export const compliantRows = (r: AuditResult, id: string) => r.rows.filter((x) => x.rule === id && x.status === 'compliant');

export const conf = (b: K8sBase, fn: (conf: string) => string) => patch(b.stack, b.res('kubernetes_config_map_v1'), 'data', (d) => (d['mosquitto.conf'] = fn(d['mosquitto.conf'])));
export const acl = (b: K8sBase, fn: (acl: string) => string) => patch(b.stack, b.res('kubernetes_config_map_v1'), 'data', (d) => (d.acl = fn(d.acl)));
export const brokerContainer = (spec: any) => spec.template.spec.container.find((c: any) => c.name === 'mosquitto');

export interface EmqxBase {
  stack: TerraformStack;
  res: (kind: string, name?: string) => TerraformResource;
  /** Escape hatch on the cluster's ConfigMap: edit emqx.conf (as JSON) and acl.conf. */
  edit: (fn: (f: { conf: any; acl: string }) => string | undefined) => void;
}

export const emqxProps = (o: Partial<EmqxClusterOptions> = {}): EmqxClusterOptions => ({
  policy: examplePolicy(),
  credentialsSecretName: 'emqx-credentials',
  adminSecretName: 'emqx-admin',
  tls: { secretName: 'emqx-tls', nodeSecretName: 'emqx-node-tls' },
  image: { digest: `sha256:${'ef'.repeat(32)}` }, // test fixture only
  allowFrom: [{ namespace: 'iot-backend' }],
  ...o,
});

/** The EMQX stack as the kit builds it (cluster, credentials, certificates, monitoring): compliant. */
export function emqxBase(o: Partial<EmqxClusterOptions> = {}): EmqxBase {
  const app: App = Testing.app();
  const stack = new EmqxKubernetesStack(app, 'emqx-k8s', { emqx: emqxProps(o), credentials: { region: 'eu-west-1', brokerName: 'emqx' }, issuer: { kind: 'bootstrap' } });
  const res = finder(stack);
  const cm = () =>
    stack.node
      .findAll()
      .find(
        (c) =>
          (c as any).terraformResourceType === 'kubernetes_config_map_v1' &&
          'emqx.conf' in (stack.toTerraform().resource.kubernetes_config_map_v1[stack.getLogicalId(c as TerraformResource)].data ?? {}),
      ) as TerraformResource;
  const edit: EmqxBase['edit'] = (fn) =>
    patch(stack, cm(), 'data', (d) => {
      const f = { conf: JSON.parse(d['emqx.conf'].replace(/^#.*$/gm, '')), acl: d['acl.conf'] as string };
      const acl = fn(f);
      d['emqx.conf'] = JSON.stringify(f.conf);
      if (acl !== undefined) d['acl.conf'] = acl;
    });
  return { stack, res, edit };
}
