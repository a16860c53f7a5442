/**
 * What the access diff does not model, fingerprinted so that a change to it counts as a widening
 * ("cannot read"), never as no change. The access model reads the broker's rule files; a pull
 * request can also change what the broker runs and reads without touching them (found by attack):
 * - the pod templates of workloads: containers, init containers, commands, images, environment,
 *   mounts (an init container writing an open ACL, a command naming another configuration file,
 *   another image);
 * - configuration and script keys of ConfigMaps (`*.conf` but the EMQX `acl.conf` the model reads,
 *   `*.sh`, `*.erl`, `*.hocon`): a Mosquitto bridge, listener settings, the entrypoint script;
 * - Terraform meta-arguments and executors: `count`, `for_each`, `lifecycle`, `provisioner`,
 *   `connection` on any resource, and `terraform_data` / `null_resource` resources, which decide
 *   whether and how the configuration the diff reads is applied.
 * - ConfigMap values holding a Terraform expression (`${...}`, `%{...}`, also `%${...}`): Terraform
 *   renders them, the model reads their text.
 * Each such part yields one entry whose text carries a digest of its content: an entry in AFTER
 * that BEFORE does not hold (the same part, changed, or a new one) is new, and new entries count as
 * widening (`--fail-on widen` exits 2). A reviewer reads those changes by hand.
 */
import { createHash } from 'node:crypto';
import { hasTerraformExpression } from '../audit/k8s-view.js';

const WORKLOAD = /^kubernetes_(stateful_set|deployment|daemon_set|daemonset|job|cron_job|pod|replication_controller|replica_set)(_v1)?$/;
const CONFIG_MAP = /^kubernetes_config_map(_v1)?(_data)?$/;
const EXECUTOR = /^(terraform_data|null_resource)$/;
const META = ['count', 'for_each', 'lifecycle', 'provisioner', 'connection'] as const;
const UNMODELLED_KEY = /\.(conf|sh|erl|hocon)$/;
const MODELLED_KEYS = new Set(['acl.conf']);

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON has no type
function canonical(v: any): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}
const digest = (v: unknown) => createHash('sha256').update(canonical(v)).digest('hex').slice(0, 16);
const one = <T>(v: T | T[] | undefined): T | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * A workload's spec without what changes with every rule file or scale: the metadata of its pod
 * templates (restart-hash annotations; a CronJob's job template included) and the replica count.
 */
// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON has no type
function workloadPart(body: any): unknown {
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const keep = (v: any, key: string): any => {
    if (Array.isArray(v)) return v.map((x) => keep(x, key));
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => !(key === 'template' && k === 'metadata') && !(key === 'spec' && k === 'replicas'))
        .map(([k, x]) => [k, keep(x, k)]),
    );
  };
  return keep(body?.spec, 'spec');
}

export interface UnmodelledPart {
  /** `type.name` of the resource. */
  readonly broker: string;
  readonly text: string;
}

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON has no type
export function unmodelledParts(json: any): UnmodelledPart[] {
  const out: UnmodelledPart[] = [];
  for (const [type, byName] of Object.entries<any>(json?.resource ?? {})) {
    for (const [name, res] of Object.entries<any>(byName ?? {})) {
      const at = `${type}.${name}`;
      if (!res || typeof res !== 'object') continue;
      for (const m of META)
        if (res[m] !== undefined) out.push({ broker: at, text: `Terraform ${m} (decides whether and how this resource is applied; not modelled by the diff), content ${digest(res[m])}` });
      if (EXECUTOR.test(type)) out.push({ broker: at, text: `a ${type} resource (it can run commands at apply time; not modelled by the diff), content ${digest(res)}` });
      if (WORKLOAD.test(type)) out.push({ broker: at, text: `pod template (containers, commands, images, environment, mounts; not modelled by the diff), content ${digest(workloadPart(res))}` });
      if (type === 'kubernetes_manifest') {
        const kind = one(res.manifest)?.kind;
        if (typeof kind === 'string' && /^(StatefulSet|Deployment|DaemonSet|Job|CronJob|Pod|ReplicaSet)$/.test(kind))
          out.push({ broker: at, text: `${kind} manifest (not modelled by the diff), content ${digest(workloadPart(one(res.manifest)))}` });
      }
      if (CONFIG_MAP.test(type)) {
        for (const field of ['data', 'binary_data']) {
          for (const [key, value] of Object.entries<unknown>(one(res[field]) ?? {})) {
            if (typeof value === 'string' && hasTerraformExpression(value))
              out.push({
                broker: at,
                text: `ConfigMap key ${JSON.stringify(key)} holds a Terraform expression (its value is computed at plan time; the diff reads the text), content ${digest(value)}`,
              });
            const file = field === 'binary_data' ? key.replace(/\.gz$/, '') : key;
            if (UNMODELLED_KEY.test(file) && !MODELLED_KEYS.has(file))
              out.push({ broker: at, text: `ConfigMap key ${JSON.stringify(key)} (broker configuration or script; not modelled by the diff), content ${digest(value)}` });
          }
        }
      }
    }
  }
  return out;
}

/**
 * The unmodelled parts of AFTER that BEFORE does not hold (changed or new), as unread entries of
 * the access diff: each counts as widening. Unchanged parts give nothing, so the diff of an output
 * with itself stays empty.
 */
// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON has no type
export function unmodelledChanges(stack: string, before: any, after: any): { stack: string; side: 'after'; broker: string; text: string; new: true }[] {
  if (after === undefined) return [];
  const seen = new Set((before === undefined ? [] : unmodelledParts(before)).map((p) => `${p.broker}\u0000${p.text}`));
  return unmodelledParts(after)
    .filter((p) => !seen.has(`${p.broker}\u0000${p.text}`))
    .map((p) => ({ stack, side: 'after' as const, broker: p.broker, text: `changed: ${p.text}; review it by hand`, new: true as const }));
}
