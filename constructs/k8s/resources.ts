/**
 * The one place where Kubernetes-shaped objects become Terraform resources. Each object is
 * validated against its schema, recorded on its stack (for the plain YAML export and the audit),
 * and created as the provider's typed resource, or as `kubernetes_manifest` for kinds the typed
 * provider does not model fully (custom resources, PodDisruptionBudget's
 * unhealthyPodEvictionPolicy).
 */

import type * as P_manifest from '@cdktf/provider-kubernetes/lib/manifest/index.js';
import { TerraformResource, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { FortressError, scoped } from '../core/errors.js';
import { providerModule } from '../core/provider-module.js';
import { type K8sObject, validateK8sObject } from './objects.js';
import { toTerraformAttributes } from './to-terraform.js';

const { Manifest } = providerModule<typeof P_manifest>('@cdktf/provider-kubernetes/lib/manifest/index.js');

/** Kinds deployed as the provider's typed resources (no CRD or cluster access needed to plan). */
const TYPED: Record<string, string> = {
  'v1/Namespace': 'kubernetes_namespace_v1',
  'v1/ServiceAccount': 'kubernetes_service_account_v1',
  'v1/ConfigMap': 'kubernetes_config_map_v1',
  'v1/Service': 'kubernetes_service_v1',
  'apps/v1/StatefulSet': 'kubernetes_stateful_set_v1',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes_network_policy_v1',
};

/**
 * A typed `kubernetes_*_v1` resource whose attributes come from {@link toTerraformAttributes}:
 * the same JSON the provider's generated class writes, without loading that class.
 */
class KubernetesTypedResource extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    type: string,
    private readonly attributes: Record<string, unknown>,
    dependsOn?: TerraformResource[],
  ) {
    super(scope, id, {
      terraformResourceType: type,
      terraformGeneratorMetadata: { providerName: 'kubernetes', providerVersion: '2.38.0', providerVersionConstraint: '~> 2.0' },
      ...(dependsOn ? { dependsOn } : {}),
    });
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return this.attributes;
  }
  protected override synthesizeHclAttributes(): Record<string, unknown> {
    throw new FortressError('HCL_OUTPUT', `${this.node.path}: HCL output (hclOutput / CDKTF_HCL_OUTPUT) is not supported for the kit's Kubernetes resources; synthesize JSON (the default).`);
  }
}

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

/**
 * A ConfigMap's files as Terraform literals: Terraform reads `${` and `%{` in any string as an
 * expression or template directive (a shell script's `${VAR:?}` made the configuration fail to
 * parse), so they are written `$${` and `%%{`, which Terraform turns back into the characters.
 */
export function terraformLiteralData(obj: K8sObject): K8sObject {
  const data = (obj as { data?: Record<string, string> }).data;
  if (obj.kind !== 'ConfigMap' || !data) return obj;
  return { ...obj, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/([$%])\{/g, '$1$1{') : v])) } as K8sObject;
}

/** Validates `obj`, records it on its stack and creates the resource that deploys it. */
export function addK8sObject(scope: Construct, id: string, obj: K8sObject, opts: AddObjectOptions = {}): TerraformResource {
  scoped(scope, () => validateK8sObject(obj));
  const ctor = opts.asManifest ? undefined : TYPED[`${obj.apiVersion}/${obj.kind}`];
  const out = terraformLiteralData(obj);
  const resource = ctor
    ? new KubernetesTypedResource(scope, id, ctor, toTerraformAttributes(out), opts.dependsOn)
    : new Manifest(scope, id, { manifest: out as unknown as Record<string, unknown>, ...(opts.dependsOn ? { dependsOn: opts.dependsOn } : {}) });
  const stack = TerraformStack.of(scope);
  if (!recorded.has(stack)) recorded.set(stack, []);
  recorded.get(stack)!.push({ path: resource.node.path, object: obj, via: ctor ? 'typed' : 'manifest', resource });
  return resource;
}
