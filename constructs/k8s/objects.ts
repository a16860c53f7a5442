/**
 * Kubernetes objects in their own (API) shape. Constructs build these first; every one is
 * validated against the Kubernetes or CRD schema, then mapped to the Terraform provider's typed
 * resources in one place ({@link toTypedConfig}). The same objects give the plain YAML export.
 *
 * Validators load on first use, one kind at a time, and a passed validation is remembered by
 * content hash (with the schema packages' versions) in node_modules/.cache/mqtt-fortress, so a
 * repeated synth skips loading validators for unchanged objects (about 100 ms of the default
 * app). A failure is never cached. FORTRESS_VALIDATION_CACHE=off disables the cache.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FortressError } from '../core/errors.js';

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [key: string]: unknown;
}

type Validator = (obj: K8sObject) => void;
const validators = new Map<string, () => Validator>();
const require = createRequire(import.meta.url);

/** Registers the schema validator for an apiVersion/kind. */
export function registerSchema(apiVersion: string, kind: string, validate: Validator): void {
  validators.set(`${apiVersion}/${kind}`, () => validate);
}

/**
 * Registers a kubernetes-models class (`module` exports `exportName`), loaded on first use.
 * The packages are ESM-only; Node 20.19+ loads them synchronously with require().
 */
export function registerModelSchema(apiVersion: string, kind: string, module: string, exportName = kind): void {
  let loaded: Validator | undefined;
  validators.set(`${apiVersion}/${kind}`, () => {
    if (!loaded) {
      const mod = require(fileURLToPath(import.meta.resolve(module))) as Record<string, new (data: never) => { validate(): void }>;
      const Cls = mod[exportName]!;
      loaded = (obj) => new Cls(obj as never).validate();
    }
    return loaded;
  });
}

registerModelSchema('v1', 'Namespace', 'kubernetes-models/v1/Namespace');
registerModelSchema('v1', 'ServiceAccount', 'kubernetes-models/v1/ServiceAccount');
registerModelSchema('v1', 'ConfigMap', 'kubernetes-models/v1/ConfigMap');
registerModelSchema('v1', 'Service', 'kubernetes-models/v1/Service');
registerModelSchema('apps/v1', 'StatefulSet', 'kubernetes-models/apps/v1/StatefulSet');
registerModelSchema('networking.k8s.io/v1', 'NetworkPolicy', 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy');
registerModelSchema('policy/v1', 'PodDisruptionBudget', 'kubernetes-models/policy/v1/PodDisruptionBudget');

const SCHEMA_PACKAGES = ['kubernetes-models', '@kubernetes-models/external-secrets', '@kubernetes-models/cert-manager', '@kubernetes-models/prometheus-operator'];

class ValidationCache {
  private readonly file: string | undefined;
  private seen: Set<string> | undefined;
  private dirty = false;
  private salt = '';

  constructor() {
    const dir = join(process.cwd(), 'node_modules');
    this.file = process.env.FORTRESS_VALIDATION_CACHE === 'off' || !existsSync(dir) ? undefined : join(dir, '.cache', 'mqtt-fortress', 'validated-objects.json');
  }

  private load(): Set<string> {
    if (this.seen) return this.seen;
    this.salt = SCHEMA_PACKAGES.map((p) => {
      try {
        return `${p}@${(JSON.parse(readFileSync(join(process.cwd(), 'node_modules', p, 'package.json'), 'utf8')) as { version: string }).version}`;
      } catch {
        return `${p}@none`;
      }
    }).join(',');
    try {
      this.seen = new Set(this.file ? (JSON.parse(readFileSync(this.file, 'utf8')) as string[]) : []);
    } catch {
      this.seen = new Set();
    }
    return this.seen;
  }

  key(obj: K8sObject): string | undefined {
    if (!this.file) return undefined;
    this.load();
    return createHash('sha256').update(this.salt).update(JSON.stringify(obj)).digest('base64url');
  }

  has(key: string | undefined): boolean {
    return key !== undefined && this.load().has(key);
  }

  add(key: string | undefined): void {
    if (!key || !this.file) return;
    this.load().add(key);
    if (!this.dirty) process.once('exit', () => this.save());
    this.dirty = true;
  }

  private save(): void {
    if (!this.file || !this.seen) return;
    try {
      mkdirSync(join(this.file, '..'), { recursive: true });
      writeFileSync(this.file, JSON.stringify([...this.seen].slice(-20000)));
    } catch {
      /* a read-only node_modules only costs speed */
    }
  }
}

const cache = new ValidationCache();

/**
 * Validates an object against its schema. Fails closed: a kind without a registered schema is
 * an error, not a pass.
 */
export function validateK8sObject(obj: K8sObject): void {
  const ref = `${obj.kind} ${obj.metadata?.namespace ? obj.metadata.namespace + '/' : ''}${obj.metadata?.name}`;
  const load = validators.get(`${obj.apiVersion}/${obj.kind}`);
  if (!load) throw new FortressError('K8S_NO_SCHEMA', `${ref}: no schema is registered for ${obj.apiVersion}/${obj.kind}, so it cannot be validated. Register one with registerSchema().`);
  const key = cache.key(obj);
  if (cache.has(key)) return;
  try {
    load()(obj);
  } catch (e) {
    throw new FortressError('K8S_SCHEMA', `${ref} does not match the Kubernetes schema: ${(e as Error).message}`);
  }
  cache.add(key);
}
