/**
 * The one place where Kubernetes-shaped objects become Terraform resources. Each object is
 * validated against its schema, recorded on its stack (for the plain YAML export and the audit),
 * and created as the provider's typed resource, or as `kubernetes_manifest` for kinds the typed
 * provider does not model fully (custom resources, PodDisruptionBudget's
 * unhealthyPodEvictionPolicy).
 */
import { TerraformStack, type TerraformResource } from 'cdktf';
import type { Construct } from 'constructs';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1/index.js';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1/index.js';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1/index.js';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1/index.js';
import { StatefulSetV1 } from '@cdktf/provider-kubernetes/lib/stateful-set-v1/index.js';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1/index.js';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest/index.js';
import { scoped } from '../core/errors.js';
import { validateK8sObject, type K8sObject } from './objects.js';
import { toTypedConfig } from './to-terraform.js';

type TypedCtor = new (scope: Construct, id: string, config: never) => TerraformResource;
const TYPED: Record<string, TypedCtor> = {
  'v1/Namespace': NamespaceV1 as unknown as TypedCtor,
  'v1/ServiceAccount': ServiceAccountV1 as unknown as TypedCtor,
  'v1/ConfigMap': ConfigMapV1 as unknown as TypedCtor,
  'v1/Service': ServiceV1 as unknown as TypedCtor,
  'apps/v1/StatefulSet': StatefulSetV1 as unknown as TypedCtor,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicyV1 as unknown as TypedCtor,
};

export interface RecordedObject {
  /** Construct path of the resource that deploys the object. */
  readonly path: string;
  readonly object: K8sObject;
  /** `typed` resource or `manifest`. */
  readonly via: 'typed' | 'manifest';
  /** The Terraform resource that deploys it. */
  readonly resource: TerraformResource;
}

const recorded = new WeakMap<TerraformStack, RecordedObject[]>();

/** Every Kubernetes object added to a stack, in order. */
export function k8sObjectsOf(stack: TerraformStack): readonly RecordedObject[] {
  return recorded.get(stack) ?? [];
}

export interface AddObjectOptions {
  readonly dependsOn?: TerraformResource[];
  /** Force `kubernetes_manifest` even where a typed resource exists. @default false */
  readonly asManifest?: boolean;
}

/** Validates `obj`, records it on its stack and creates the resource that deploys it. */
export function addK8sObject(scope: Construct, id: string, obj: K8sObject, opts: AddObjectOptions = {}): TerraformResource {
  scoped(scope, () => validateK8sObject(obj));
  const ctor = opts.asManifest ? undefined : TYPED[`${obj.apiVersion}/${obj.kind}`];
  const resource = ctor
    ? new ctor(scope, id, { ...toTypedConfig(obj), ...(opts.dependsOn ? { dependsOn: opts.dependsOn } : {}) } as never)
    : new Manifest(scope, id, { manifest: obj as unknown as Record<string, unknown>, ...(opts.dependsOn ? { dependsOn: opts.dependsOn } : {}) });
  const stack = TerraformStack.of(scope);
  if (!recorded.has(stack)) recorded.set(stack, []);
  recorded.get(stack)!.push({ path: resource.node.path, object: obj, via: ctor ? 'typed' : 'manifest', resource });
  return resource;
}
