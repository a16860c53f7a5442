/**
 * Kubernetes objects in their own (API) shape. Constructs build these first; every one is
 * validated against the Kubernetes or CRD schema, then mapped to the Terraform provider's typed
 * resources in one place ({@link toTypedConfig}). The same objects give the plain YAML export.
 */
import { FortressError } from '../core/errors.js';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [key: string]: unknown;
}

type Validator = (obj: K8sObject) => void;
const validators = new Map<string, Validator>();

/** Registers the schema validator for an apiVersion/kind (CRD packages add theirs). */
export function registerSchema(apiVersion: string, kind: string, validate: Validator): void {
  validators.set(`${apiVersion}/${kind}`, validate);
}

const model = (Cls: new (data: never) => { validate(): void }): Validator => (obj) => new Cls(obj as never).validate();
registerSchema('v1', 'Namespace', model(Namespace));
registerSchema('v1', 'ServiceAccount', model(ServiceAccount));
registerSchema('v1', 'ConfigMap', model(ConfigMap));
registerSchema('v1', 'Service', model(Service));
registerSchema('apps/v1', 'StatefulSet', model(StatefulSet));
registerSchema('networking.k8s.io/v1', 'NetworkPolicy', model(NetworkPolicy));
registerSchema('policy/v1', 'PodDisruptionBudget', model(PodDisruptionBudget));

/**
 * Validates an object against its schema. Fails closed: a kind without a registered schema is
 * an error, not a pass.
 */
export function validateK8sObject(obj: K8sObject): void {
  const v = validators.get(`${obj.apiVersion}/${obj.kind}`);
  const ref = `${obj.kind} ${obj.metadata?.namespace ? obj.metadata.namespace + '/' : ''}${obj.metadata?.name}`;
  if (!v) throw new FortressError('K8S_NO_SCHEMA', `${ref}: no schema is registered for ${obj.apiVersion}/${obj.kind}, so it cannot be validated. Register one with registerSchema().`);
  try {
    v(obj);
  } catch (e) {
    throw new FortressError('K8S_SCHEMA', `${ref} does not match the Kubernetes schema: ${(e as Error).message}`);
  }
}
