/**
 * BrokerMonitoring: scrape configuration, alert rules and an optional dashboard for a broker of
 * the {@link IMonitoredBroker} contract (MosquittoBroker; baseline MON-1, MON-2), as
 * prometheus-operator custom resources behind a plan-time check that the operator's CRDs exist.
 */
import { dependable } from 'cdktf';
import { Construct } from 'constructs';
import type { IMonitoredBroker } from '../broker/target.js';
import { scoped } from '../core/errors.js';
import { crdCheck } from '../k8s/crd-check.js';
import { addK8sObject } from '../k8s/resources.js';
import { buildMonitoring, type MonitoringBuild, type MonitoringObjectsOptions } from './objects.js';

export interface BrokerMonitoringProps extends Omit<MonitoringObjectsOptions, 'broker' | 'selectorLabels'> {
  readonly broker: IMonitoredBroker;
}

export class BrokerMonitoring extends Construct {
  public readonly build: MonitoringBuild;
  constructor(scope: Construct, id: string, props: BrokerMonitoringProps) {
    super(scope, id);
    const { broker, ...rest } = props;
    this.build = scoped(this, () => buildMonitoring({ ...rest, broker: broker.resolved, selectorLabels: broker.selectorLabels }));
    const crd = crdCheck(
      this,
      'PrometheusOperatorInstalled',
      'prometheusrules.monitoring.coreos.com',
      'The Prometheus operator is not installed in this cluster (no CRD prometheusrules.monitoring.coreos.com). Install it (e.g. kube-prometheus-stack) before deploying this stack, or leave monitoring out.',
    );
    for (const obj of this.build.objects) {
      const custom = obj.apiVersion.startsWith('monitoring.coreos.com');
      const res = addK8sObject(this, `${obj.kind}-${obj.metadata.name}`, obj, {
        ...(broker.namespaceResource ? { dependsOn: [broker.namespaceResource] } : {}),
        ...(custom ? { asManifest: true } : {}),
      });
      if (custom) res.dependsOn = [...(res.dependsOn ?? []), dependable(crd)];
    }
  }
}
