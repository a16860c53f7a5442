/**
 * One app, distinct brokers: two brokers (any kinds) with the same name, or in the same
 * namespace, would fight over the same Kubernetes objects (Namespace, Services, the
 * namespace-wide default-deny NetworkPolicy) and the same AWS names at apply time. Each broker
 * construct claims its name and namespace in its app when it is created; a second claim fails
 * at synth with both construct paths. The claim also tells the audit which constructs are
 * brokers ({@link brokerOf}): their policy's exceptions become suppressions.
 */
import type { IConstruct } from 'constructs';
import { ValidationError } from '../core/errors.js';
import type { IBroker } from './target.js';

interface Claim {
  readonly path: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
}

const claims = new WeakMap<IConstruct, Claim[]>();
/** The kit's broker constructs, for the audit (their policy's exceptions become suppressions). */
const brokers = new WeakMap<IConstruct, IBroker>();

/** The broker contract of `c` when `c` is one of the kit's broker constructs (it claimed its name). */
export function brokerOf(c: IConstruct): IBroker | undefined {
  return brokers.get(c);
}

/** Registers the broker `scope` (kind, e.g. `MosquittoBroker`) or throws BROKER_COLLISION. */
export function claimBroker(scope: IConstruct & IBroker, kind: string, name: string, namespace: string): void {
  const root = scope.node.root;
  const list = claims.get(root) ?? [];
  for (const c of list) {
    const same = c.name === name ? `name "${name}"` : c.namespace === namespace ? `namespace "${namespace}"` : undefined;
    if (same) {
      throw new ValidationError(
        'BROKER_COLLISION',
        `this ${kind} has the same ${same} as the ${c.kind} at ${c.path} (name "${c.name}", namespace "${c.namespace}"); both would create the same Kubernetes objects and their default-deny policies would cut each other off. Give each broker of an app its own name and namespace (props name and namespace).`,
        scope,
      );
    }
  }
  list.push({ path: scope.node.path, kind, name, namespace });
  claims.set(root, list);
  brokers.set(scope, scope);
}
