/**
 * Where the access diff cannot read a Mosquitto broker exactly as the broker does, it says so:
 * each function here returns one-line reasons that the access model keeps as `unread` (counted
 * as widening under `--fail-on widen`), never a silent skip.
 * - dynamic-security JSON: Mosquitto's plugin reads it with cJSON, which takes the first of
 *   duplicate keys (JSON.parse the last) and matches keys and `acltype` values case-insensitively.
 *   The diff reads only JSON whose every key, type and `acltype` is in the plugin's canonical
 *   spelling, each key once.
 * - mosquitto.conf: authentication and authorization lines other than the ones the kit renders
 *   (`auth_plugin`, another plugin or plugin option, `include_dir`, another password or ACL file,
 *   `allow_anonymous true`, `per_listener_settings` other than false, `psk_file`, ...).
 * - the pod's environment: the init and credentials containers read the user list, the ACL, the
 *   dynamic-security template and the revocation index from paths given in FORTRESS_* variables;
 *   a path other than the ConfigMap file the diff reads is named.
 */
import { gunzipSync } from 'node:zlib';
import { FortressError } from '../core/errors.js';

const CONFIG_DIR = '/mosquitto/config';
const AUTH_DIR = '/run/fortress/auth';
const DYNSEC_PLUGIN = /(^|\/)mosquitto_dynamic_security\.so$/;

/** Keys the dynamic-security plugin (2.0) reads, per object, with the JSON type each must have. */
type Kind = 'string' | 'boolean' | 'integer' | 'array' | 'object';
const SHAPES: Record<string, Record<string, Kind>> = {
  root: { defaultACLAccess: 'object', clients: 'array', groups: 'array', roles: 'array', anonymousGroup: 'string' },
  defaultACLAccess: { publishClientSend: 'boolean', publishClientReceive: 'boolean', subscribe: 'boolean', unsubscribe: 'boolean' },
  client: {
    username: 'string',
    clientid: 'string',
    textname: 'string',
    textdescription: 'string',
    password: 'string',
    salt: 'string',
    iterations: 'integer',
    roles: 'array',
    groups: 'array',
    disabled: 'boolean',
  },
  roleRef: { rolename: 'string', priority: 'integer' },
  groupRef: { groupname: 'string', priority: 'integer' },
  group: { groupname: 'string', textname: 'string', textdescription: 'string', roles: 'array' },
  role: { rolename: 'string', textname: 'string', textdescription: 'string', acls: 'array' },
  acl: { acltype: 'string', topic: 'string', priority: 'integer', allow: 'boolean' },
};
/** What each array key holds. */
const ITEMS: Record<string, Record<string, string>> = {
  root: { clients: 'client', groups: 'group', roles: 'role' },
  client: { roles: 'roleRef', groups: 'groupRef' },
  group: { roles: 'roleRef' },
  role: { acls: 'acl' },
};
const ACL_TYPES = new Set(['publishClientSend', 'publishClientReceive', 'subscribeLiteral', 'subscribePattern', 'unsubscribeLiteral', 'unsubscribePattern']);

const typeOf = (v: unknown): Kind | 'null' | 'number' => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : (typeof v as Kind));

/** The first duplicate key (after unescaping, as cJSON compares them) in a JSON text, with its path; undefined when none. */
export function firstDuplicateKey(text: string): string | undefined {
  const stack: { keys: Set<string> | undefined; path: string; next?: string; index: number }[] = [];
  let i = 0;
  const at = () => stack.at(-1);
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = at();
      // A string where an object expects a key: the key is followed (after blanks) by ':'.
      let k = j + 1;
      while (/\s/.test(text[k] ?? '')) k++;
      if (top?.keys && text[k] === ':') {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return `${top.path}.${key}`;
        top.keys.add(key);
        top.next = key;
      }
      i = j + 1;
      continue;
    }
    if (ch === '{' || ch === '[') {
      const top = at();
      const path = top === undefined ? '' : top.keys ? `${top.path}.${top.next}` : `${top.path}[${top.index}]`;
      stack.push({ keys: ch === '{' ? new Set() : undefined, path, index: 0 });
    } else if (ch === '}' || ch === ']') stack.pop();
    else if (ch === ',' && at()?.keys === undefined && at()) at()!.index++;
    i++;
  }
  return undefined;
}

/**
 * Why the diff cannot read a dynamic-security JSON exactly as the plugin does: the first duplicate
 * key, a key or `acltype` not in the plugin's spelling (cJSON would match `Allow` or
 * `SubscribePattern` case-insensitively), or a value of another type. Undefined when it reads it exactly.
 */
export function dynsecUnreadable(text: string, d: unknown): string | undefined {
  const dup = firstDuplicateKey(text);
  if (dup !== undefined) return `dynamic-security-template.json has the key ${dup.replace(/^\./, '')} twice (the plugin's cJSON takes the first, the diff cannot tell which one the broker applies)`;
  const walk = (v: unknown, shape: string, path: string): string | undefined => {
    if (typeOf(v) !== 'object') return `${path || 'the file'} is ${typeOf(v)}, not an object`;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const want = SHAPES[shape]![k];
      if (want === undefined) return `${path}.${k} is not a key the diff reads in the plugin's spelling (the plugin matches keys case-insensitively and skips unknown ones)`;
      const got = typeOf(x);
      if (got !== want) return `${path}.${k} is ${got}, not ${want}`;
      if (shape === 'acl' && k === 'acltype' && !ACL_TYPES.has(x as string)) return `${path}.acltype ${JSON.stringify(x)} is not one of ${[...ACL_TYPES].join(', ')} in that spelling`;
      const item = ITEMS[shape]?.[k];
      if (want === 'object') {
        const r = walk(x, k, `${path}.${k}`);
        if (r) return r;
      }
      if (item)
        for (const [n, y] of (x as unknown[]).entries()) {
          const r = walk(y, item, `${path}.${k}[${n}]`);
          if (r) return r;
        }
    }
    return undefined;
  };
  const r = walk(d, 'root', '');
  return r === undefined ? undefined : `dynamic-security-template.json: ${r.replace(/^\./, '')}`;
}

/** A mosquitto.conf line: key and value as Mosquitto splits them. */
const confLines = (text: string) =>
  text
    .split('\n')
    .map((raw) => raw.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const [k, ...rest] = line.split(/\s+/);
      return { line, key: k!, value: rest.join(' ') };
    });

/**
 * The lines of a mosquitto.conf that change who may log in or what they may do, beyond the
 * kit's own rendering: each named with the reason the diff cannot read it as the broker does.
 */
export function confUnreadable(text: string): string[] {
  const out: string[] = [];
  const lines = confLines(text);
  const plugins = lines.filter((l) => l.key === 'plugin' || l.key === 'auth_plugin');
  for (const l of lines) {
    const said = `mosquitto.conf line ${JSON.stringify(l.line)}`;
    switch (l.key) {
      case 'include_dir':
        out.push(`${said}: Mosquitto reads every .conf file of that directory, which the diff does not see`);
        break;
      case 'auth_plugin':
        out.push(`${said}: loads a plugin (Mosquitto 2.0 reads auth_plugin as plugin) whose rules the diff cannot read`);
        break;
      case 'plugin':
        if (!DYNSEC_PLUGIN.test(l.value) || plugins.length > 1) out.push(`${said}: loads a plugin other than the kit's one dynamic-security plugin, whose rules the diff cannot read`);
        break;
      case 'plugin_opt_config_file':
        if (l.value !== `${AUTH_DIR}/dynamic-security.json`) out.push(`${said}: the plugin reads a file other than the kit's ${AUTH_DIR}/dynamic-security.json (built from the ConfigMap's template)`);
        break;
      case 'password_file':
        if (l.value !== `${AUTH_DIR}/passwd`) out.push(`${said}: a password file other than the kit's ${AUTH_DIR}/passwd (built from the ConfigMap's users)`);
        break;
      case 'acl_file':
        if (l.value !== `${CONFIG_DIR}/acl` && l.value !== `${AUTH_DIR}/acl`) out.push(`${said}: an ACL file other than the kit's ${CONFIG_DIR}/acl (or ${AUTH_DIR}/acl unpacked from acl.gz)`);
        break;
      case 'allow_anonymous':
        if (l.value !== 'false') out.push(`${said}: clients without a username may connect`);
        break;
      case 'per_listener_settings':
        if (l.value !== 'false') out.push(`${said}: each listener has its own authentication and ACL, not the kit's one for every listener`);
        break;
      case 'psk_file':
      case 'use_subject_as_username':
      case 'auth_opt_config_file':
        out.push(`${said}: another way to log in or to name the client, which the diff does not read`);
        break;
      default:
        if (l.key.startsWith('plugin_opt_') || l.key.startsWith('auth_opt_')) out.push(`${said}: a plugin option the kit does not render`);
    }
  }
  return out;
}

/** The file each FORTRESS_* variable must name: the ConfigMap file the diff reads. */
const ENV_FILES: Record<string, string> = {
  FORTRESS_CRL_INDEX: `${CONFIG_DIR}/revoked.index`,
  FORTRESS_USERS: `${CONFIG_DIR}/users`,
  FORTRESS_ACLS: `${CONFIG_DIR}/acl`,
  FORTRESS_ACL_GZ: `${CONFIG_DIR}/acl.gz`,
  FORTRESS_DYNSEC_TEMPLATE: `${CONFIG_DIR}/dynamic-security-template.json`,
};

/**
 * The pod's FORTRESS_* variables that point a container at a file other than the ConfigMap file
 * the diff reads (the revocation index the credentials container signs, the user list, the ACL,
 * the dynamic-security template), or take their value from elsewhere (valueFrom).
 */
export function envUnreadable(containers: readonly { name: string; env: readonly any[] }[]): string[] {
  const out: string[] = [];
  for (const c of containers)
    for (const e of c.env ?? []) {
      const want = ENV_FILES[e?.name];
      if (want === undefined) continue;
      // The kit names the `.gz` file when it packs a large one; the diff reads it unpacked under the same name.
      if (e.value !== want && e.value !== `${want}.gz`)
        out.push(
          `container ${c.name} env ${e.name}=${e.value === undefined ? '(valueFrom)' : JSON.stringify(e.value)}: the container reads ${e.value === undefined ? 'a path set outside the stack' : 'that file'}, not the ConfigMap's ${want.split('/').at(-1)} the diff compares`,
        );
    }
  return out;
}

/**
 * binaryData `*.gz` files the diff cannot place: one that Terraform computes at plan time (`${...}`),
 * or one whose unpacked name is also a `data` key (the diff would read the unpacked one, while
 * `acl_file /mosquitto/config/acl` reads the `data` key).
 */
export function packedUnreadable(data: Record<string, unknown>, binaryData: Record<string, unknown>): string[] {
  return Object.entries(binaryData).flatMap(([k, v]) => {
    if (!k.endsWith('.gz')) return [];
    if (typeof v === 'string' && v.includes('${')) return [`ConfigMap binaryData key ${k} is computed at plan time, the diff cannot read it`];
    if (k.slice(0, -3) in data) return [`ConfigMap holds both data key ${k.slice(0, -3)} and binaryData key ${k}: the diff cannot tell which one the broker reads`];
    return [];
  });
}

/** A synthesized ConfigMap resource: its name, `data` and `binaryData`, however Terraform carries it. */
function configMapsOf(json: any): { name: string; data: unknown; binary: unknown }[] {
  const out: { name: string; data: unknown; binary: unknown }[] = [];
  for (const type of ['kubernetes_config_map_v1', 'kubernetes_config_map'])
    for (const [id, r] of Object.entries<any>(json?.resource?.[type] ?? {})) {
      const meta = Array.isArray(r?.metadata) ? r.metadata[0] : r?.metadata;
      out.push({ name: `${type}.${id} (${meta?.name ?? '?'})`, data: r?.data, binary: r?.binary_data });
    }
  for (const [id, r] of Object.entries<any>(json?.resource?.kubernetes_manifest ?? {})) {
    const m = r?.manifest;
    if (m?.kind === 'ConfigMap') out.push({ name: `kubernetes_manifest.${id} (${m?.metadata?.name ?? '?'})`, data: m.data, binary: m.binaryData });
  }
  return out;
}

/**
 * Checks what the diff reads from a stack before it reads it: every ConfigMap key holds text, a
 * dynamic-security template is JSON, and every `*.gz` binary key is base64 gzip. Throws one FortressError (DIFF_INPUT) naming the side,
 * the stack, the ConfigMap and the key, so no broker drops silently out of the diff.
 */
export function assertReadableConfigMaps(label: string, stack: string, json: any): void {
  const fail = (what: string) => {
    throw new FortressError('DIFF_INPUT', `${label} stack ${stack}: ${what}; synthesize that output again from the kit (a hand edit or override wrote it).`);
  };
  for (const type of ['kubernetes_config_map_v1', 'kubernetes_config_map', 'kubernetes_manifest']) {
    const block = json?.resource?.[type];
    if (block !== undefined && (block === null || typeof block !== 'object' || Array.isArray(block))) fail(`resource.${type} is not an object of resources`);
  }
  for (const cm of configMapsOf(json)) {
    for (const [field, v] of [
      ['data', cm.data],
      ['binary_data', cm.binary],
    ] as const) {
      if (v === undefined) continue;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`ConfigMap ${cm.name} ${field} is ${typeOf(v)}, not an object of files`);
      for (const [k, x] of Object.entries(v as Record<string, unknown>))
        if (typeof x !== 'string') fail(`ConfigMap ${cm.name} ${field} key ${JSON.stringify(k)} is ${typeOf(x)}, not text`);
        else if (field === 'data' && k === 'dynamic-security-template.json') {
          try {
            JSON.parse(x.replace(/([$%])\1\{/g, '$1{'));
          } catch (e) {
            fail(`ConfigMap ${cm.name} data key "dynamic-security-template.json" is not valid JSON (${(e as Error).message.split('\n')[0]})`);
          }
        } else if (field === 'binary_data' && k.endsWith('.gz') && !x.includes('${')) {
          try {
            gunzipSync(Buffer.from(x, 'base64'));
          } catch (e) {
            fail(`ConfigMap ${cm.name} binary_data key ${JSON.stringify(k)} is not base64 gzip (${(e as Error).message})`);
          }
        }
    }
  }
}
