/**
 * Checks a rendered EMQX configuration (as a nested object) against the structure of the EMQX 5.8
 * configuration schema (templates/emqx/emqx-5.8-config-schema.json, a copy of the emqx-docs
 * hocon v5.8.1 export; EMQX is Apache-2.0). Every key must exist at its place and every value
 * must have the declared type. Pure; the schema is passed in. buildEmqx validates every rendered
 * configuration with it, so a bad combination of props fails at synth.
 */

export interface SchemaNode {
  readonly type?: string;
  readonly default?: string;
  readonly oneOf?: readonly { readonly struct: string; readonly fields: Record<string, SchemaNode> }[];
  readonly fields?: Record<string, SchemaNode>;
}

export interface EmqxSchema {
  readonly root: { readonly fields: Record<string, SchemaNode> };
}

/** Splits "A(B),C(D(E,F))" at top-level commas. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const inner = (t: string) => t.slice(t.indexOf('(') + 1, t.lastIndexOf(')'));
const head = (t: string) => (t.includes('(') ? t.slice(0, t.indexOf('(')) : t);
const DURATION = /^\d+(\.\d+)?(ms|s|m|h|d)$/;
const BYTESIZE = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|K|M|G|T)?$/i;

/** Checks a primitive or container type string against a value; returns problems. */
function checkType(t: string, v: unknown, node: SchemaNode, path: string, problems: string[]): void {
  const h = head(t);
  const fail = (why: string): void => void problems.push(`${path}: ${why} (schema type ${t}), got ${JSON.stringify(v)}`);
  switch (h) {
    case 'Struct': {
      const name = inner(t);
      const match = node.oneOf?.filter((o) => o.struct.endsWith(`-S-${name}`) || o.struct === name);
      checkStruct(match?.length ? { oneOf: match } : node, v, path, problems);
      return;
    }
    case 'Map': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        fail('expected a map');
        return;
      }
      // A bare "Map" (e.g. the JWT authenticator's verify_claims) declares no value type: plain
      // values (string, number, boolean) are accepted, nothing nested.
      if (!t.includes('(')) {
        for (const [k, x] of Object.entries(v))
          if (!['string', 'number', 'boolean'].includes(typeof x)) problems.push(`${path}.${k}: expected a plain value (schema type Map), got ${JSON.stringify(x)}`);
        return;
      }
      const valueType = inner(t).split('->').slice(1).join('->');
      for (const [k, x] of Object.entries(v)) checkType(valueType, x, node, `${path}.${k}`, problems);
      return;
    }
    case 'Array': {
      if (!Array.isArray(v)) {
        fail('expected an array');
        return;
      }
      v.forEach((x, i) => {
        checkType(inner(t), x, node, `${path}[${i}]`, problems);
      });
      return;
    }
    case 'OneOf': {
      const alts = splitTop(inner(t));
      let closest: string[] | undefined;
      for (const a of alts) {
        const trial: string[] = [];
        checkType(a, v, node, path, trial);
        if (trial.length === 0) return;
        // Report the problems of the alternative of the same kind (an object against a Struct).
        const sameKind = head(a) === 'Struct' || head(a) === 'Map' ? v !== null && typeof v === 'object' && !Array.isArray(v) : typeof v !== 'object';
        if (sameKind && (!closest || trial.length < closest.length)) closest = trial;
      }
      if (closest) {
        problems.push(...closest);
        return;
      }
      fail(`matches none of ${alts.join(' | ')}`);
      return;
    }
    case 'Integer': {
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        fail('expected an integer');
        return;
      }
      if (t.includes('(')) {
        const [lo, hi] = inner(t).split('..');
        if (lo && lo !== '-inf' && v < Number(lo)) {
          fail(`below ${lo}`);
          return;
        }
        if (hi && hi !== '+inf' && hi !== 'inf' && v > Number(hi)) {
          fail(`above ${hi}`);
          return;
        }
      }
      return;
    }
    case 'Number':
      if (typeof v !== 'number') fail('expected a number');
      return;
    case 'Boolean':
      if (typeof v !== 'boolean') fail('expected true or false');
      return;
    case 'Enum':
      if (!inner(t).split(',').includes(String(v))) fail(`expected one of ${inner(t)}`);
      return;
    case 'String': {
      if (typeof v !== 'string') {
        fail('expected a string');
        return;
      }
      if (t.includes('(')) {
        const lit = inner(t).replace(/^"|"$/g, '');
        if (v !== lit) fail(`expected the literal ${inner(t)}`);
      }
      return;
    }
    case 'Secret':
      if (typeof v !== 'string') fail('expected a string');
      return;
    case 'Duration':
      if (typeof v !== 'string' || !DURATION.test(v)) fail('expected a duration such as "15s"');
      return;
    case 'Bytesize':
      if (!(typeof v === 'number' || (typeof v === 'string' && BYTESIZE.test(v)))) fail('expected a size such as "256KB"');
      return;
    default:
      fail(`unknown schema type ${h}`);
  }
}

/**
 * Fields EMQX has but its documentation export leaves out (importance: hidden). Only `enable`:
 * `listeners.{tcp,ws}.default.enable = false` turns listeners off (emqx_schema.erl), and
 * `authorization.cache.enable` (fields("authz_cache"), importance no_doc) turns the cache off.
 */
export const HIDDEN_FIELDS: Record<string, string> = { enable: 'Boolean' };

/**
 * Root structs EMQX 5.8 has but its documentation export leaves out (importance: hidden), typed
 * as `fields("overload_protection")` in emqx_schema.erl defines them; the kit turns
 * `overload_protection` on (and sets `crl_cache` with revocation).
 */
export const HIDDEN_ROOTS: Record<string, SchemaNode> = {
  overload_protection: {
    type: 'Struct(overload_protection)',
    oneOf: [
      {
        struct: 'overload_protection',
        fields: {
          enable: { type: 'Boolean' },
          backoff_delay: { type: 'Integer(0..inf)' },
          backoff_gc: { type: 'Boolean' },
          backoff_hibernation: { type: 'Boolean' },
          backoff_new_conn: { type: 'Boolean' },
        },
      },
    ],
  },
  // emqx_schema.erl (5.8.9): roots() marks `crl_cache` hidden; fields("crl_cache") has
  // refresh_interval (duration, default 15m), http_timeout (duration, default 15s) and capacity
  // (pos_integer, default 100). The listener's `enable_crl_check` is in the documented schema.
  crl_cache: {
    type: 'Struct(crl_cache)',
    oneOf: [{ struct: 'crl_cache', fields: { refresh_interval: { type: 'Duration' }, http_timeout: { type: 'Duration' }, capacity: { type: 'Integer(1..inf)' } } }],
  },
  // emqx_rule_engine_schema.erl (5.8.9): roots() marks `rule_engine` hidden; fields("rules") has
  // sql (binary, required), actions (array of a union: "type:name" strings, the built-in
  // republish and console actions, user functions), enable, description, metadata. Only the
  // console action is typed here: the kit renders nothing else.
  rule_engine: {
    type: 'Struct(rule_engine)',
    oneOf: [
      {
        struct: 'rule_engine',
        fields: {
          ignore_sys_message: { type: 'Boolean' },
          rules: {
            type: 'Map($id->Struct(rules))',
            oneOf: [
              {
                struct: 'rules',
                fields: {
                  sql: { type: 'String' },
                  actions: { type: 'Array(Struct(builtin_action_console))', oneOf: [{ struct: 'builtin_action_console', fields: { function: { type: 'Enum(console)' } } }] },
                  enable: { type: 'Boolean' },
                  description: { type: 'String' },
                },
              },
            ],
          },
        },
      },
    ],
  },
};

function checkStruct(node: SchemaNode, v: unknown, path: string, problems: string[]): void {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    problems.push(`${path}: expected an object`);
    return;
  }
  const structs = node.oneOf ?? (node.fields ? [{ struct: 'root', fields: node.fields }] : []);
  let best: string[] | undefined;
  for (const s of structs) {
    const trial: string[] = [];
    for (const [k, x] of Object.entries(v)) {
      const f = s.fields[k] ?? (HIDDEN_FIELDS[k] ? { type: HIDDEN_FIELDS[k] } : undefined);
      if (!f) {
        trial.push(`${path ? `${path}.` : ''}${k}: unknown key (known: ${Object.keys(s.fields).slice(0, 12).join(', ')}${Object.keys(s.fields).length > 12 ? ', ...' : ''})`);
        continue;
      }
      checkType(f.type ?? 'Struct', x, f, path ? `${path}.${k}` : k, trial);
    }
    if (trial.length === 0) return;
    if (!best || trial.length < best.length) best = trial;
  }
  problems.push(...(best ?? [`${path}: no struct to check against`]));
}

/** Every problem of `config` against the schema; empty when it conforms. */
export function validateEmqxConfig(schema: EmqxSchema, config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  checkStruct({ fields: { ...HIDDEN_ROOTS, ...schema.root.fields } }, config, '', problems);
  return problems;
}
