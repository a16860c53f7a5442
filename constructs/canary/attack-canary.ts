/**
 * AttackCanary: hostile-client checks against a deployed MosquittoBroker, every few minutes, as a
 * Kubernetes CronJob in the broker's namespace (docs/canary.md). Thin over
 * {@link buildAttackCanary}: validates props (errors name this construct's path), then turns the
 * objects into Terraform resources. The PrometheusRule waits for the Prometheus operator's CRD.
 */
import { dependable, type TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { scoped } from '../core/errors.js';
import { crdCheck } from '../k8s/crd-check.js';
import { addK8sObject } from '../k8s/resources.js';
import type { MosquittoBroker } from '../mosquitto/broker.js';
import { type AttackCanaryOptions, buildAttackCanary, type CanaryBuild } from './objects.js';

export interface AttackCanaryProps extends AttackCanaryOptions {
  readonly broker: MosquittoBroker;
  /** Resources the canary's ExternalSecret waits for (the broker's ClusterSecretStore). @default - none */
  readonly dependsOn?: readonly TerraformResource[];
}

export class AttackCanary extends Construct {
  public readonly build: CanaryBuild;
  /** The CronJob resource. */
  public readonly cronJob: TerraformResource;
  constructor(scope: Construct, id: string, props: AttackCanaryProps) {
    super(scope, id);
    const { broker, dependsOn, ...options } = props;
    this.build = scoped(this, () => buildAttackCanary(broker, options));
    const base = [...(broker.namespaceResource ? [broker.namespaceResource] : []), ...(dependsOn ?? [])];
    let crd: ReturnType<typeof crdCheck> | undefined;
    let cronJob: TerraformResource | undefined;
    for (const obj of this.build.objects) {
      const res = addK8sObject(this, `${obj.kind}-${obj.metadata.name}`, obj, base.length ? { dependsOn: base } : {});
      if (obj.kind === 'PrometheusRule') {
        crd ??= crdCheck(
          this,
          'PrometheusOperatorInstalled',
          'prometheusrules.monitoring.coreos.com',
          'The Prometheus operator is not installed in this cluster (no CRD prometheusrules.monitoring.coreos.com). Install it (e.g. kube-prometheus-stack) before deploying this stack, or leave the canary alert rules out.',
        );
        res.dependsOn = [...(res.dependsOn ?? []), dependable(crd)];
      }
      if (obj.kind === 'CronJob') cronJob = res;
    }
    this.cronJob = cronJob!;
  }
}
