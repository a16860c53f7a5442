/**
 * What the audit result carries from the constructs themselves, not from the Terraform JSON: the
 * access assertions the policies checked when they were built, and each broker's declared peers
 * (`allowFrom`) for the reachability check. Read by the engine (engine.ts) into AuditResult.
 */
import type { TerraformStack } from 'cdktf';
import { brokerOf } from '../broker/registry.js';

/** The peers a broker construct declares (`allowFrom`), for the reachability check (docs/review.md). */
export interface DeclaredPeerRow {
  readonly path: string;
  /** `namespace/name` of the broker. */
  readonly broker: string;
  readonly allowFrom: readonly { namespace?: string; namespaceLabels?: Record<string, string>; podLabels?: Record<string, string>; cidr?: string; except?: readonly string[] }[];
}

export function declaredPeers(stack: TerraformStack): DeclaredPeerRow[] {
  return stack.node.findAll().flatMap((c) => {
    const b = brokerOf(c); // the kit's broker constructs (claimBroker), typed by the broker contract
    if (!b) return [];
    const allowFrom = b.allowFrom.map(({ namespace, namespaceLabels, podLabels, cidr, except }) => ({ namespace, namespaceLabels, podLabels, cidr, except }));
    return [{ path: c.node.path, broker: `${b.namespace}/${b.serviceName}`, allowFrom: JSON.parse(JSON.stringify(allowFrom)) }];
  });
}

export interface AssertionRow {
  /** Paths of the brokers that enforce the policy. */
  readonly holders: readonly string[];
  /** The case in the policy, e.g. `assertions[0].deny[1]`. */
  readonly case: string;
  readonly identity: string;
  readonly username: string;
  readonly action: string;
  readonly topic: string;
  readonly expect: 'allow' | 'deny';
  readonly holds: boolean;
  readonly because: string;
  readonly sample?: { readonly checked: number; readonly members: number; readonly seed: string };
}

/** Assertion results of every policy held by a construct of the stack (Policy.from checked them). */
export function assertionRows(stack: TerraformStack): AssertionRow[] {
  type Result = Omit<AssertionRow, 'holders' | 'case'> & { path: readonly (string | number)[] };
  const holders = new Map<object, { results: readonly Result[]; paths: string[] }>();
  for (const c of stack.node.findAll()) {
    const policy = brokerOf(c)?.policy; // the policies the stack's brokers enforce
    const results = policy?.assertionResults as readonly Result[] | undefined;
    if (!policy || !Array.isArray(results) || results.length === 0) continue;
    const h = holders.get(policy) ?? { results, paths: [] as string[] };
    h.paths.push(c.node.path);
    holders.set(policy, h);
  }
  return [...holders.values()].flatMap((h) =>
    h.results.map(({ path, identity, username, action, topic, expect, holds, because, sample }) => ({
      holders: h.paths,
      case: path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join(''),
      identity,
      username,
      action,
      topic,
      expect,
      holds,
      because,
      ...(sample ? { sample } : {}),
    })),
  );
}
