/**
 * Kubernetes objects in their own (API) shape. Constructs build these first; every one is
 * validated against the Kubernetes or CRD schema, then mapped to the Terraform provider's typed
 * resources in one place ({@link toTypedConfig}). The same objects give the plain YAML export.
 *
 * Validators load on first use, one kind at a time. A passed validation is remembered in
 * node_modules/.cache/mqtt-fortress/validated-objects-v2.json so a repeated synth skips loading
 * validators for unchanged objects (about 100 ms of the default app). The key of an entry is
 * SHA-256 over: the cache format, the apiVersion/kind, the schema module and the version of the
 * package it was actually loaded from, and the object's JSON. So an entry is valid wherever it is
 * read: several projects sharing one node_modules share correct entries, never each other's
 * schemas. Only the kubernetes-models schemas are cached; a failure and a validator registered
 * with registerSchema() are never cached. Writes go to a temporary file renamed into place, merged
 * with what another process saved meanwhile. Off when FORTRESS_VALIDATION_CACHE=off, and in CI
 * (the CI environment variable set) unless FORTRESS_VALIDATION_CACHE=on.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FortressError } from '../core/errors.js';

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [key: string]: unknown;
}

type Validator = (obj: K8sObject) => void;
/** A schema: `salt` identifies it for the cache (undefined: never cached). */
interface Schema {
  readonly load: () => Validator;
  readonly salt: () => string | undefined;
}
const validators = new Map<string, Schema>();
const require = createRequire(import.meta.url);

/** Registers the schema validator for an apiVersion/kind. Its results are never cached. */
export function registerSchema(apiVersion: string, kind: string, validate: Validator): void {
  validators.set(`${apiVersion}/${kind}`, { load: () => validate, salt: () => undefined });
}

/** `name@version` of the package that holds a resolved file. */
function packageOf(file: string): string {
  for (let d = dirname(file); d !== dirname(d); d = dirname(d)) {
    try {
      const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name && pkg.version) return `${pkg.name}@${pkg.version}`;
    } catch {
      /* no package.json here: go up */
    }
  }
  return 'unknown';
}

/**
 * Registers a kubernetes-models class (`module` exports `exportName`), loaded on first use.
 * The packages are ESM-only; Node 20.19+ loads them synchronously with require().
 */
export function registerModelSchema(apiVersion: string, kind: string, module: string, exportName = kind): void {
  let loaded: Validator | undefined;
  let file: string | undefined;
  const resolved = () => (file ??= fileURLToPath(import.meta.resolve(module)));
  validators.set(`${apiVersion}/${kind}`, {
    load: () => {
      if (!loaded) {
        const mod = require(resolved()) as Record<string, new (data: never) => { validate(): void }>;
        const Cls = mod[exportName]!;
        loaded = (obj) => new Cls(obj as never).validate();
      }
      return loaded;
    },
    salt: () => `${apiVersion}/${kind} ${module}#${exportName} ${packageOf(resolved())}`,
  });
}

registerModelSchema('v1', 'Namespace', 'kubernetes-models/v1/Namespace');
registerModelSchema('v1', 'ServiceAccount', 'kubernetes-models/v1/ServiceAccount');
registerModelSchema('v1', 'ConfigMap', 'kubernetes-models/v1/ConfigMap');
registerModelSchema('v1', 'Service', 'kubernetes-models/v1/Service');
registerModelSchema('apps/v1', 'StatefulSet', 'kubernetes-models/apps/v1/StatefulSet');
registerModelSchema('networking.k8s.io/v1', 'NetworkPolicy', 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy');
registerModelSchema('policy/v1', 'PodDisruptionBudget', 'kubernetes-models/policy/v1/PodDisruptionBudget');

export const VALIDATION_CACHE_FORMAT = 'mqtt-fortress validated-objects v2';
const MAX_ENTRIES = 20000;

/** Whether the cache is used: FORTRESS_VALIDATION_CACHE=on|off, else off in CI, else on. */
export function validationCacheEnabled(env: Record<string, string | undefined> = process.env): boolean {
  const v = env.FORTRESS_VALIDATION_CACHE;
  if (v === 'off') return false;
  if (v === 'on') return true;
  return !env.CI || env.CI === 'false' || env.CI === '0';
}

/** The passed-validation cache (see the module comment). Exported for its tests. */
export class ValidationCache {
  private seen: Set<string> | undefined;
  private added = new Set<string>();
  private hooked = false;

  /** `file`: undefined disables the cache. */
  constructor(public readonly file: string | undefined) {}

  static key(salt: string, obj: K8sObject): string {
    return createHash('sha256').update(VALIDATION_CACHE_FORMAT).update('\0').update(salt).update('\0').update(JSON.stringify(obj)).digest('base64url');
  }

  private read(): string[] {
    try {
      const v = JSON.parse(readFileSync(this.file!, 'utf8')) as unknown;
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return []; // missing or corrupt (a torn write of an older version): start empty
    }
  }

  has(key: string): boolean {
    if (!this.file) return false;
    this.seen ??= new Set(this.read());
    return this.seen.has(key);
  }

  add(key: string): void {
    if (!this.file) return;
    this.added.add(key);
    if (!this.hooked) process.once('exit', () => this.save());
    this.hooked = true;
  }

  /** Merges this process's entries into the file as it is now, through a temporary file and a rename. */
  save(): void {
    if (!this.file || !this.added.size) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const merged = [...new Set([...this.read(), ...this.added])].slice(-MAX_ENTRIES);
      writeFileSync(tmp, JSON.stringify(merged));
      renameSync(tmp, this.file);
      this.added.clear();
    } catch {
      rmSync(tmp, { force: true }); // a read-only node_modules only costs speed
    }
  }
}

const cacheDir = join(process.cwd(), 'node_modules');
const cache = new ValidationCache(validationCacheEnabled() && existsSync(cacheDir) ? join(cacheDir, '.cache', 'mqtt-fortress', 'validated-objects-v2.json') : undefined);

/**
 * Validates an object against its schema. Fails closed: a kind without a registered schema is
 * an error, not a pass.
 */
export function validateK8sObject(obj: K8sObject): void {
  const ref = `${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}`;
  const schema = validators.get(`${obj.apiVersion}/${obj.kind}`);
  if (!schema) throw new FortressError('K8S_NO_SCHEMA', `${ref}: no schema is registered for ${obj.apiVersion}/${obj.kind}, so it cannot be validated. Register one with registerSchema().`);
  const salt = cache.file ? schema.salt() : undefined;
  const key = salt === undefined ? undefined : ValidationCache.key(salt, obj);
  if (key !== undefined && cache.has(key)) return;
  try {
    schema.load()(obj);
  } catch (e) {
    throw new FortressError('K8S_SCHEMA', `${ref} does not match the Kubernetes schema: ${(e as Error).message}`);
  }
  if (key !== undefined) cache.add(key);
}
