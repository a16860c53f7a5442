/**
 * Cluster-wide Kubernetes objects every broker needs, deployed once per cluster before the
 * prerequisites (Helm releases) and the broker stacks: the encrypted gp3 StorageClass the brokers'
 * volume claims name (served by the EBS CSI driver add-on of the cluster stack), and the
 * `monitoring` namespace (Pod Security restricted) the Prometheus operator is installed into and
 * the dashboards are written to.
 */
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { assertDnsLabel } from '../constructs/core/checks.js';
import { scoped } from '../constructs/core/errors.js';
import { type K8sObject, registerModelSchema } from '../constructs/k8s/objects.js';
import { type KubernetesAccessProps, kubernetesProvider } from '../constructs/k8s/provider.js';
import { addK8sObject } from '../constructs/k8s/resources.js';
import { restrictedNamespace } from '../constructs/k8s/values.js';
import { requireTerraform } from './backend.js';

registerModelSchema('storage.k8s.io/v1', 'StorageClass', 'kubernetes-models/storage.k8s.io/v1/StorageClass');

/** The EBS CSI driver's provisioner name (the aws-ebs-csi-driver add-on). */
export const EBS_CSI_PROVISIONER = 'ebs.csi.aws.com';
/** The kit's StorageClass: the brokers' claims name it. */
export const BROKER_STORAGE_CLASS = 'mqtt-fortress-gp3-encrypted';

export interface PlatformKubernetesStackProps extends KubernetesAccessProps {
  /** @default BROKER_STORAGE_CLASS */
  readonly storageClassName?: string;
  /**
   * KMS key for the volumes (its key policy must let the EBS CSI driver's role create grants).
   * @default - the account's AWS managed key for EBS (aws/ebs): encrypted, no key policy to manage
   */
  readonly volumeKmsKeyArn?: string;
  /**
   * Also mark the class as the cluster default, for claims that name no class (EKS marks none
   * on new clusters). @default true
   */
  readonly defaultClass?: boolean;
  /** Namespace of the Prometheus operator and the dashboards. @default 'monitoring' */
  readonly monitoringNamespace?: string;
}

export function storageClassObject(name: string, o: { kmsKeyArn?: string; defaultClass: boolean }): K8sObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name,
      labels: { 'app.kubernetes.io/part-of': 'mqtt-fortress', 'app.kubernetes.io/managed-by': 'terraform' },
      ...(o.defaultClass ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}),
    },
    provisioner: EBS_CSI_PROVISIONER,
    parameters: { type: 'gp3', encrypted: 'true', ...(o.kmsKeyArn ? { kmsKeyId: o.kmsKeyArn } : {}) },
    // A broker's retained messages and sessions outlive a deleted claim until an operator decides.
    reclaimPolicy: 'Retain',
    // The volume is created in the zone the scheduler picks for the pod.
    volumeBindingMode: 'WaitForFirstConsumer',
    allowVolumeExpansion: true,
  };
}

export class PlatformKubernetesStack extends TerraformStack {
  public readonly storageClassName: string;
  public readonly monitoringNamespace: string;
  constructor(scope: Construct, id: string, props: PlatformKubernetesStackProps) {
    super(scope, id);
    requireTerraform(this);
    kubernetesProvider(this, props);
    const name = props.storageClassName ?? BROKER_STORAGE_CLASS;
    const ns = props.monitoringNamespace ?? 'monitoring';
    scoped(this, () => {
      assertDnsLabel('storageClassName', name);
      assertDnsLabel('monitoringNamespace', ns);
    });
    this.storageClassName = name;
    this.monitoringNamespace = ns;
    addK8sObject(this, 'StorageClass', storageClassObject(name, { ...(props.volumeKmsKeyArn ? { kmsKeyArn: props.volumeKmsKeyArn } : {}), defaultClass: props.defaultClass ?? true }));
    // Pod Security restricted, like the brokers' namespaces: the Prometheus operator's chart is
    // installed here without node-exporter (hostNetwork and hostPID, which restricted refuses).
    addK8sObject(this, 'MonitoringNamespace', restrictedNamespace(ns));
  }
}
