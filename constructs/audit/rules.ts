/**
 * The audit rule pack: one rule per baseline requirement that can be checked on a synthesized
 * stack (cdk-nag's design: `{ id, level, info, explanation, fix, check }`). `check` is pure over
 * the stack's view and returns, for every subject it applies to, compliant, non-compliant (with a
 * finding such as `ACL-2[sensor-0001:#]`) or not-applicable rows: an audit trail, not only
 * failures.
 */
import { readFileSync } from 'node:fs';
import { parsePolicyDocument } from '../aws/iam.js';
import { judgeRanges } from '../core/exposure-union.js';
import { templatePath } from '../templates.js';
import { emqxAclUsers, emqxMon1, emqxMon2, emqxMon3, emqxUnparsedAclRows } from './emqx-view.js';
import { SECRET_SHAPES } from './secrets.js';
import {
  type AclView,
  type ContainerView,
  configMapFiles,
  effectiveSetting,
  type K8sView,
  k8sView,
  type MosquittoConfView,
  type PodView,
  parseMosquittoAcl,
  parseMosquittoConf,
  pods,
  resourcesOf,
  type TfResource,
  type UnseenResource,
} from './view.js';

export type Level = 'error' | 'warning';
export type Status = 'compliant' | 'non-compliant' | 'not-applicable';

export interface RuleRow {
  readonly status: Status;
  /** Construct path of the subject. */
  readonly path: string;
  /** Stable key of a violation, e.g. `ACL-2[sensor-0001:#]`; what suppressions' appliesTo match. */
  readonly finding?: string;
  /** What is wrong or right, in words. */
  readonly detail: string;
  /**
   * What a finding is about, for suppressions that name it structurally (a policy exception
   * names a role and a topic): the identity, the topic filter and the access it grants.
   */
  readonly subject?: { readonly identity?: string; readonly topic?: string; readonly access?: readonly string[] };
}

export interface AuditRule {
  readonly id: string;
  readonly level: Level;
  readonly info: string;
  readonly explanation: string;
  readonly fix: string;
  check(ctx: AuditContext): RuleRow[];
}

export interface BrokerView {
  readonly path: string;
  readonly namespace: string;
  readonly name: string;
  readonly conf: MosquittoConfView;
  readonly acls: { file: string; acl: AclView }[];
  readonly dynsec: any | undefined;
  readonly pod: PodView | undefined;
  /** Every file of the broker's ConfigMap, as the pod reads it. */
  readonly files: Record<string, string>;
  /** Name of the broker's ConfigMap. */
  readonly configMap: string;
}

export interface EmqxView {
  readonly path: string;
  readonly name: string;
  readonly config: any;
  readonly acl: string;
}

export interface AuditContext {
  readonly stack: string;
  readonly json: any;
  readonly resources: TfResource[];
  readonly k8s: K8sView[];
  readonly pods: PodView[];
  readonly brokers: BrokerView[];
  readonly emqx: EmqxView[];
  /** Resources the view cannot read or place (REV-2). */
  readonly unseen: UnseenResource[];
}

/** The map a resource's `for_each` iterates when it is a Terraform local (`${local.x}`), else undefined. */
export function forEachLocal(json: any, config: any): Record<string, any> | undefined {
  const name = /^\$\{local\.(.+)\}$/.exec(String(config.for_each ?? ''))?.[1];
  return name === undefined ? undefined : (json.locals?.[name] ?? {});
}

/** Every (broker, ACL file, username, rules) of the Mosquitto brokers in the stack. */
export function aclUsers(c: AuditContext) {
  return [
    ...c.brokers.flatMap((broker) =>
      broker.acls.flatMap(({ file, acl }) => [...acl.users].map(([username, rules]) => ({ broker: broker as Pick<BrokerView, 'path' | 'namespace' | 'name'>, file, username, rules }))),
    ),
    ...emqxAclUsers(c),
  ];
}

export function auditContext(stack: string, json: any): AuditContext {
  const view = k8sView(json);
  const k8s = view.objects;
  const podViews = pods(k8s);
  const brokers: BrokerView[] = [];
  for (const cm of k8s.filter((o) => o.kind === 'ConfigMap')) {
    const files = configMapFiles(cm);
    if (!files['mosquitto.conf']) continue;
    const pod = podViews.find((p) => p.owner.namespace === cm.namespace && p.volumes.some((v) => (v.configMap?.name ?? v.config_map?.name) === cm.name));
    brokers.push({
      path: cm.path,
      namespace: cm.namespace ?? 'default',
      name: cm.name.replace(/-config$/, ''),
      files,
      configMap: cm.name,
      conf: parseMosquittoConf(files['mosquitto.conf']),
      acls: ['acl', 'acl-metrics'].filter((f) => files[f]).map((f) => ({ file: f, acl: parseMosquittoAcl(files[f]!) })),
      dynsec: files['dynamic-security-template.json'] ? JSON.parse(files['dynamic-security-template.json']) : undefined,
      pod,
    });
  }
  const emqx: EmqxView[] = [];
  for (const cm of k8s.filter((o) => o.kind === 'ConfigMap')) {
    const files = configMapFiles(cm);
    if (!files['emqx.conf']) continue;
    let config: any;
    try {
      config = JSON.parse(files['emqx.conf'].replace(/^#.*$/gm, ''));
    } catch {
      config = { unparsable: true };
    }
    emqx.push({ path: cm.path, name: cm.name.replace(/-config$/, ''), config, acl: files['acl.conf'] ?? '' });
  }
  return { stack, json, resources: resourcesOf(json), k8s, pods: podViews, brokers, emqx, unseen: view.unseen };
}

/** EMQX listeners of a type that are not switched off. */
const emqxOn = (cfg: any, type: string) => Object.entries<any>(cfg?.listeners?.[type] ?? { default: {} }).filter(([, l]) => l !== 'marked_for_deletion' && l?.enable !== false);

const ok = (path: string, detail: string): RuleRow => ({ status: 'compliant', path, detail });
const bad = (path: string, finding: string, detail: string): RuleRow => ({ status: 'non-compliant', path, finding, detail });
const na = (path: string, detail: string): RuleRow => ({ status: 'not-applicable', path, detail });
const rowsOr = (rows: RuleRow[], path: string, detail: string): RuleRow[] => (rows.length ? rows : [na(path, detail)]);
const one = (m: Map<string, string[]>, k: string) => m.get(k)?.at(-1);
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const AEAD_FS = /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/;
const hours = (d: string | undefined) => (d ? [...d.matchAll(/(\d+)(h|m|s)/g)].reduce((a, m) => a + Number(m[1]) / (m[2] === 'h' ? 1 : m[2] === 'm' ? 60 : 3600), 0) : NaN);
const isBroad = (t: string) => /^(#|\+)(\/|$)/.test(t);
/**
 * A namespace selector that picks named namespaces: a label value (matchLabels) or an `In`
 * expression. `{}`, `Exists` (every namespace has kubernetes.io/metadata.name), `NotIn` and
 * `DoesNotExist` alone select every namespace but a few.
 */
const narrowSelector = (sel: any): boolean => Object.keys(sel.matchLabels ?? {}).length > 0 || [sel.matchExpressions ?? []].flat().some((e: any) => e?.operator === 'In');
const list = (v: any): any[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const grants = (access: string, what: 'read' | 'write') => access === 'readwrite' || access === what;

/** The kit's scripts as shipped: a ConfigMap that carries other text runs code nobody reviewed. */
const KIT_SCRIPTS = ['fortress-broker.sh', 'fortress-auth.sh'] as const;
let kitScripts: Record<string, string> | undefined;
const kitScript = (f: string): string => {
  kitScripts ??= Object.fromEntries(KIT_SCRIPTS.map((n) => [n, readFileSync(templatePath(`mosquitto/${n}`), 'utf8')]));
  return kitScripts[f]!;
};
/** Where the image's own command reads its configuration (eclipse-mosquitto's CMD). */
const IMAGE_DEFAULT_CONF = '/mosquitto/config/mosquitto.conf';

/**
 * REV-2 for what a Mosquitto pod runs: every container that starts Mosquitto (directly, through
 * the kit's entrypoint, or by the image's own command) must read the configuration the audit
 * parsed, and the kit's scripts in the ConfigMap must be the kit's own. Otherwise the broker could
 * run a file (`-c other.conf`) or a script that no rule has read.
 */
function brokerProgramRows(c: AuditContext): RuleRow[] {
  const rows: RuleRow[] = [];
  for (const b of c.brokers) {
    for (const f of KIT_SCRIPTS) {
      if (b.files[f] !== undefined && b.files[f] !== kitScript(f))
        rows.push(bad(b.path, `REV-2[${b.name}:script:${f}]`, `${f} in ConfigMap ${b.configMap} is not the script this kit ships: the pod runs code the audit has not read`));
    }
    if (!b.pod) continue;
    const vols = b.pod.volumes.filter((v) => (v.configMap?.name ?? v.config_map?.name) === b.configMap);
    // Paths at which the audited mosquitto.conf appears in a container.
    const audited = new Set<string>();
    const confPaths = (ct: ContainerView) => {
      const out = new Set<string>();
      for (const m of ct.volumeMounts) {
        const vol = vols.find((v) => v.name === m.name);
        const mountPath = m.mountPath ?? (m as any).mount_path;
        if (!vol || typeof mountPath !== 'string') continue;
        const items = list(vol.configMap?.items ?? vol.config_map?.items ?? vol.configMap?.item ?? vol.config_map?.items);
        if (m.subPath !== undefined) {
          if (m.subPath === 'mosquitto.conf' && !items.length) out.add(mountPath);
          continue;
        }
        const item = items.find((i: any) => i?.key === 'mosquitto.conf');
        if (items.length === 0) out.add(`${mountPath.replace(/\/+$/, '')}/mosquitto.conf`);
        else if (item?.path) out.add(`${mountPath.replace(/\/+$/, '')}/${item.path}`);
      }
      return out;
    };
    for (const ct of b.pod.containers) {
      if (ct.init) continue;
      const argv = [...ct.command, ...ct.args].map(String);
      const bin = argv.findIndex((a) => /(^|\/)mosquitto$/.test(a));
      const entry = argv.findIndex((a) => /(^|\/)fortress-broker\.sh$/.test(a));
      const shell = argv.some((a, i) => a === '-c' && i > 0 && /(^|\/)(ba|da|a)?sh$/.test(argv[i - 1]!)) && argv.some((a) => /mosquitto/.test(a) && /\s/.test(a));
      const imageDefault = argv.length === 0 && /eclipse-mosquitto/.test(ct.image);
      if (bin < 0 && entry < 0 && !shell && !imageDefault) continue;
      let conf: string | undefined;
      if (entry >= 0) conf = argv[entry + 1] === 'run' ? argv[entry + 2] : undefined;
      else if (bin >= 0) {
        const i = argv.findIndex((a, k) => k > bin && (a === '-c' || a === '--config-file'));
        conf = i >= 0 ? argv[i + 1] : undefined;
      } else if (imageDefault) conf = IMAGE_DEFAULT_CONF;
      const paths = confPaths(ct);
      if (conf !== undefined && paths.has(conf)) {
        audited.add(ct.name);
        continue;
      }
      const what = shell ? 'starts Mosquitto from a shell command line' : conf === undefined ? 'starts Mosquitto without a configuration file the audit can name' : `starts Mosquitto with ${conf}`;
      rows.push(
        bad(
          b.path,
          `REV-2[${b.name}:config:${ct.name}]`,
          `container ${ct.name} of ${b.pod.owner.name} ${what}, not with the audited mosquitto.conf of ConfigMap ${b.configMap}${paths.size ? ` (mounted at ${[...paths].join(', ')})` : ' (not mounted in that container)'}`,
        ),
      );
    }
    if (!audited.size && !rows.some((r) => r.finding?.startsWith(`REV-2[${b.name}:config:`)))
      rows.push(bad(b.path, `REV-2[${b.name}:config]`, `no container of ${b.pod.owner.name} starts Mosquitto with the audited mosquitto.conf of ConfigMap ${b.configMap}`));
  }
  return rows;
}

/** ACL-1 for EMQX: default deny, denied clients disconnected, acl.conf ending with {deny, all}. */
function emqxDefaultDeny(c: AuditContext): RuleRow[] {
  return c.emqx.map((e) => {
    const a = e.config?.authorization ?? {};
    const problems = [
      a.no_match !== 'deny' ? `no_match ${a.no_match ?? 'allow (default)'}` : '',
      a.deny_action !== 'disconnect' ? `deny_action ${a.deny_action ?? 'ignore (default)'}` : '',
      !/\{deny,\s*all\}\.\s*$/.test(e.acl) ? 'acl.conf does not end with {deny, all}.' : '',
      /\{allow,\s*all\}/.test(e.acl) ? 'acl.conf contains {allow, all}' : '',
    ].filter(Boolean);
    return problems.length ? bad(e.path, `ACL-1[${e.name}:emqx]`, problems.join(', ')) : ok(e.path, 'EMQX denies by default and disconnects denied clients');
  });
}

export const RULES: readonly AuditRule[] = [
  {
    id: 'TLS-1',
    level: 'error',
    info: 'MQTT is served only over TLS; no plaintext listener is reachable from outside the pod.',
    explanation: 'A plaintext listener exposes credentials and payloads on the network; 1883 is plaintext MQTT by convention.',
    fix: 'Give the listener certfile/keyfile, or bind it to 127.0.0.1 for an in-pod sidecar; never expose 1883.',
    check: (c) => {
      const rows: RuleRow[] = [];
      for (const b of c.brokers)
        for (const l of b.conf.listeners) {
          const tls = l.settings.has('certfile') && l.settings.has('keyfile');
          rows.push(
            tls || LOOPBACK.has(l.bind ?? '')
              ? ok(b.path, `listener ${l.port} ${tls ? 'uses TLS' : 'is loopback-only'}`)
              : bad(b.path, `TLS-1[listener:${l.port}]`, `listener ${l.port} is plaintext and bound to ${l.bind ?? 'all addresses'}`),
          );
        }
      for (const o of c.k8s.filter((x) => x.kind === 'Service'))
        for (const p of o.body.spec?.ports ?? o.body.spec?.port ?? []) {
          rows.push(
            Number(p.port) === 1883 || String(p.targetPort) === '1883'
              ? bad(o.path, `TLS-1[service:${o.name}:1883]`, `Service ${o.name} exposes 1883`)
              : ok(o.path, `Service ${o.name} port ${p.port}`),
          );
        }
      for (const p of c.pods) for (const k of p.containers) if (k.ports.includes(1883)) rows.push(bad(p.owner.path, `TLS-1[container:${k.name}:1883]`, `container ${k.name} declares port 1883`));
      for (const e of c.emqx) {
        const plain = [...emqxOn(e.config, 'tcp').map(([n]) => `tcp.${n}`), ...emqxOn(e.config, 'ws').map(([n]) => `ws.${n}`)];
        rows.push(
          plain.length
            ? bad(e.path, `TLS-1[${e.name}:${plain.join(',')}]`, `EMQX plaintext listeners on: ${plain.join(', ')} (EMQX enables tcp and ws by default)`)
            : ok(e.path, 'EMQX tcp and ws listeners off'),
        );
      }
      return rowsOr(rows, c.stack, 'no broker, Service or workload in this stack');
    },
  },
  {
    id: 'TLS-2',
    level: 'error',
    info: 'TLS 1.2 minimum, AEAD cipher suites with forward secrecy only.',
    explanation: 'TLS 1.0/1.1 and CBC or static-RSA suites are broken or downgradeable.',
    fix: 'tls_version tlsv1.2 (or tlsv1.3) and ciphers limited to ECDHE with GCM or ChaCha20-Poly1305 (MosquittoBroker does this).',
    check: (c) =>
      rowsOr(
        c.brokers.flatMap((b) =>
          b.conf.listeners
            .filter((l) => l.settings.has('certfile'))
            .map((l) => {
              const v = one(l.settings, 'tls_version');
              const ciphers = (one(l.settings, 'ciphers') ?? '').split(':').filter(Boolean);
              if (v !== 'tlsv1.2' && v !== 'tlsv1.3') return bad(b.path, `TLS-2[listener:${l.port}:version]`, `listener ${l.port}: tls_version is ${v ?? 'unset (OpenSSL default)'}`);
              const weak = ciphers.filter((x) => !AEAD_FS.test(x));
              if (!ciphers.length || weak.length)
                return bad(b.path, `TLS-2[listener:${l.port}:ciphers]`, `listener ${l.port}: ${ciphers.length ? `non-AEAD or non-ECDHE suites ${weak.join(', ')}` : 'no cipher list'}`);
              return ok(b.path, `listener ${l.port}: ${v}, ${ciphers.length} AEAD suites`);
            }),
        ),
        c.stack,
        'no TLS listener in this stack',
      )
        .concat(
          c.emqx.flatMap((e) =>
            [...emqxOn(e.config, 'ssl'), ...emqxOn(e.config, 'wss')].map(([n, l]) => {
              const v: string[] = l?.ssl_options?.versions ?? [];
              const weak = (l?.ssl_options?.ciphers ?? []).filter((x: string) => !x.startsWith('TLS_') && !AEAD_FS.test(x));
              return !v.length || v.some((x) => !['tlsv1.2', 'tlsv1.3'].includes(x))
                ? bad(e.path, `TLS-2[${e.name}:${n}:versions]`, `EMQX listener ${n}: versions ${v.join(', ') || 'default (includes older ones)'}`)
                : weak.length || !(l?.ssl_options?.ciphers ?? []).length
                  ? bad(e.path, `TLS-2[${e.name}:${n}:ciphers]`, `EMQX listener ${n}: ciphers ${weak.join(', ') || 'default list'}`)
                  : ok(e.path, `EMQX listener ${n}: ${v.join(', ')}, AEAD suites`);
            }),
          ),
        )
        .filter((r, _, all) => r.status !== 'not-applicable' || all.length === 1),
  },
  {
    id: 'TLS-3',
    level: 'error',
    info: 'Certificates from cert-manager: at most one year, renewed before expiry, new key on every renewal, strong keys.',
    explanation: 'Long-lived or never-rotated keys widen the window of a key compromise; RSA below 3072 bits is weak.',
    fix: 'duration <= 8760h, renewBefore set, privateKey.rotationPolicy Always, ECDSA or RSA >= 3072 (BrokerCertificates does this).',
    check: (c) => {
      const rows: RuleRow[] = [];
      for (const o of c.k8s.filter((x) => x.kind === 'Certificate')) {
        const s = o.body.spec ?? {};
        const max = s.isCA ? 87600 : 8760;
        const h = hours(s.duration ?? '2160h');
        const key = s.privateKey ?? {};
        const problems = [
          h > max ? `duration ${s.duration} over ${max}h` : '',
          !s.renewBefore && !s.renewBeforePercentage ? 'no renewBefore' : '',
          !s.isCA && key.rotationPolicy !== 'Always' ? `rotationPolicy ${key.rotationPolicy ?? 'Never (default)'}` : '',
          (key.algorithm ?? 'RSA') === 'RSA' && Number(key.size ?? 2048) < 3072 ? `RSA ${key.size ?? 2048} bits` : '',
        ].filter(Boolean);
        rows.push(
          problems.length
            ? bad(o.path, `TLS-3[${o.name}]`, `Certificate ${o.name}: ${problems.join(', ')}`)
            : ok(o.path, `Certificate ${o.name}: ${s.duration ?? '2160h'}, renews ${s.renewBefore}, ${key.algorithm} ${key.size}`),
        );
      }
      return rowsOr(rows, c.stack, 'no cert-manager Certificate in this stack');
    },
  },
  {
    id: 'TLS-4',
    level: 'error',
    info: 'A renewed certificate reaches the running broker without a restart.',
    explanation: 'Without a reload path, renewals need a manual restart (or are missed until the certificate expires).',
    fix: 'Mount the certificate Secret without subPath and run the reloader sidecar (MosquittoBroker does this).',
    check: (c) =>
      rowsOr(
        c.brokers.map((b) => {
          if (!b.pod) return bad(b.path, `TLS-4[${b.name}:no-pod]`, `no workload mounts the config of ${b.name}`);
          const reloader = b.pod.containers.find((k) => !k.init && k.command.join(' ').includes('fortress-auth.sh watch'));
          const watchesTls = reloader?.env.some((e) => e.name === 'FORTRESS_TLS_SRC');
          const subPath = b.pod.containers.some((k) => k.volumeMounts.some((m) => m.subPath));
          if (!reloader || !watchesTls) return bad(b.pod.owner.path, `TLS-4[${b.name}:reloader]`, 'no reloader sidecar watches the certificate');
          if (subPath) return bad(b.pod.owner.path, `TLS-4[${b.name}:subPath]`, 'a volume is mounted with subPath: kubelet will not update it on renewal');
          return ok(b.pod.owner.path, 'reloader validates renewed certificates and sends SIGHUP; no subPath mounts');
        }),
        c.stack,
        'no broker in this stack',
      ),
  },
  {
    id: 'AUTH-1',
    level: 'error',
    info: 'Anonymous access is off on every listener.',
    explanation: 'Anonymous clients cannot be told apart, rate-limited per identity or revoked.',
    fix: 'per_listener_settings first (false: security options are global), then allow_anonymous false for every listener.',
    check: (c) =>
      rowsOr(
        c.brokers.flatMap((b) => [
          b.conf.order[0] === 'per_listener_settings'
            ? ok(b.path, `per_listener_settings ${one(b.conf.global, 'per_listener_settings')} comes first`)
            : bad(b.path, `AUTH-1[${b.name}:per_listener_settings]`, 'per_listener_settings is not the first setting, so security options may not apply where they are written'),
          ...b.conf.listeners.map((l) => {
            const anon = effectiveSetting(b.conf, l, 'allow_anonymous');
            return anon === 'false' ? ok(b.path, `listener ${l.port}: allow_anonymous false`) : bad(b.path, `AUTH-1[listener:${l.port}]`, `listener ${l.port}: allow_anonymous is ${anon ?? 'unset'}`);
          }),
        ]),
        c.stack,
        'no broker in this stack',
      )
        .concat(
          c.emqx.map((e) => {
            const authn: any[] = e.config?.authentication ?? [];
            const certOnly = e.config?.mqtt?.peer_cert_as_username && e.config?.listeners?.ssl?.default?.ssl_options?.fail_if_no_peer_cert === true;
            const listenersOff = [...emqxOn(e.config, 'ssl'), ...emqxOn(e.config, 'wss')].filter(([, l]) => l?.enable_authn === false || l?.enable_authn === 'false');
            if (listenersOff.length) return bad(e.path, `AUTH-1[${e.name}:enable_authn]`, `EMQX listener ${listenersOff.map(([n]) => n).join(', ')} skips authentication`);
            return authn.some((a) => a?.enable !== false) || certOnly
              ? ok(e.path, 'EMQX authenticates every client (an authenticator or required client certificates)')
              : bad(e.path, `AUTH-1[${e.name}:anonymous]`, 'EMQX has no enabled authenticator: it admits anonymous clients');
          }),
        )
        .filter((r, _, all) => r.status !== 'not-applicable' || all.length === 1),
  },
  {
    id: 'AUTH-2',
    level: 'error',
    info: 'No plaintext credential in synthesized output; secrets in Secrets Manager under a customer-managed, rotating KMS key; least-privilege IAM.',
    explanation: 'Anything in cdk.tf.json ends in Terraform state, CI logs and pull requests.',
    fix: 'Generate secrets in AWS (CredentialStore), encrypt with a KMS key with rotation, grant IAM actions by name.',
    check: (c) => {
      const rows: RuleRow[] = [];
      const text = JSON.stringify(c.json);
      for (const [name, re] of SECRET_SHAPES) rows.push(re.test(text) ? bad(c.stack, `AUTH-2[shape:${name}]`, `the synthesized stack contains a ${name}`) : ok(c.stack, `no ${name}`));
      for (const r of c.resources) {
        if (r.type === 'aws_secretsmanager_secret')
          rows.push(r.config.kms_key_id ? ok(r.path, 'encrypted with a customer-managed KMS key') : bad(r.path, `AUTH-2[${r.id}:kms]`, 'secret encrypted with the AWS-managed key'));
        if (r.type === 'aws_secretsmanager_secret_version') rows.push(bad(r.path, `AUTH-2[${r.id}:value]`, 'a secret value is written by Terraform (it lands in state and cdk.tf.json)'));
        if (r.type === 'aws_kms_key') rows.push(r.config.enable_key_rotation === true ? ok(r.path, 'key rotation on') : bad(r.path, `AUTH-2[${r.id}:rotation]`, 'KMS key rotation is off'));
        if (r.type === 'aws_iam_role_policy') {
          let wild: string[] = [];
          try {
            wild = parsePolicyDocument(r.config.policy)
              .Statement.filter((s) => s.Effect === 'Allow')
              .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action as string]))
              .filter((a) => a.includes('*'));
          } catch {
            wild = ['(unparsable policy)'];
          }
          rows.push(wild.length ? bad(r.path, `AUTH-2[${r.id}:iam]`, `IAM policy allows wildcard actions ${wild.join(', ')}`) : ok(r.path, 'IAM actions named one by one'));
        }
      }
      return rows;
    },
  },
  {
    id: 'AUTH-3',
    level: 'error',
    info: 'Credentials rotate: passwords at most every 90 days, client certificates at most every 365 days.',
    explanation: 'A credential that never rotates stays valid after it leaks.',
    fix: 'aws_secretsmanager_secret_rotation with automatically_after_days <= 90 for every secret; client Certificates with duration <= 8760h.',
    check: (c) => {
      const rows: RuleRow[] = [];
      const secrets = c.resources.filter((r) => r.type === 'aws_secretsmanager_secret');
      const rotations = c.resources.filter((r) => r.type === 'aws_secretsmanager_secret_rotation');
      for (const s of secrets) {
        const rot = rotations.find((r) => String(r.config.for_each ?? '').includes(s.id) || String(r.config.secret_id ?? '').includes(s.id));
        const days = Number(rot?.config.rotation_rules?.automatically_after_days);
        rows.push(
          !rot
            ? bad(s.path, `AUTH-3[${s.id}:no-rotation]`, 'secret without rotation')
            : days > 90 || Number.isNaN(days)
              ? bad(rot.path, `AUTH-3[${s.id}:${days}d]`, `rotation every ${days} days`)
              : ok(rot.path, `rotated every ${days} days`),
        );
        // for_each over a local whose entries say `rotate: false`: the rotation carries the value
        // forward, so those secrets do not really rotate. Each is a finding of its own.
        for (const [key, v] of Object.entries<any>(forEachLocal(c.json, s.config) ?? {})) {
          if (v?.rotate === false) rows.push(bad(s.path, `AUTH-3[${s.path.split('/').at(-1)}.${key}:not-rotated]`, `${v.secret_name ?? key} keeps its value when the rotation runs`));
        }
      }
      for (const o of c.k8s.filter((x) => x.kind === 'Certificate' && (x.body.spec?.usages ?? []).includes('client auth'))) {
        const h = hours(o.body.spec.duration ?? '2160h');
        rows.push(h > 8760 ? bad(o.path, `AUTH-3[${o.name}]`, `client certificate lives ${h}h`) : ok(o.path, `client certificate ${o.body.spec.duration ?? '2160h'}`));
      }
      return rowsOr(rows, c.stack, 'no credential resources in this stack');
    },
  },
  {
    id: 'ACL-1',
    level: 'error',
    info: 'Default deny: no rule for anonymous clients or for every user; dynamic security and EMQX deny by default.',
    explanation:
      'Lines before the first user in a Mosquitto ACL apply to anonymous clients; pattern lines apply to every user. EMQX 5.8 ships no_match = allow and an acl.conf ending with {allow, all}.',
    fix: 'Render the ACL from the policy (per-user blocks only); for EMQX authorization { no_match = deny, deny_action = disconnect } (EmqxCluster does this).',
    check: (c) =>
      rowsOr(
        [
          ...emqxDefaultDeny(c),
          ...c.brokers.flatMap((b) => [
            ...b.acls.map(({ file, acl }) =>
              acl.anonymous.length || acl.patterns.length
                ? bad(b.path, `ACL-1[${file}]`, `${file}: ${acl.anonymous.length} anonymous and ${acl.patterns.length} pattern line(s) apply to clients without their own rules`)
                : ok(b.path, `${file}: per-user rules only (${acl.users.size} users)`),
            ),
            ...(b.dynsec
              ? [
                  Object.entries<boolean>(b.dynsec.defaultACLAccess ?? {}).some(([k, v]) => v && k !== 'unsubscribe')
                    ? bad(b.path, `ACL-1[${b.name}:dynsec-default]`, 'dynamic security allows by default')
                    : ok(b.path, 'dynamic security denies by default'),
                ]
              : []),
          ]),
        ],
        c.stack,
        'no broker in this stack',
      ),
  },
  {
    id: 'ACL-2',
    level: 'error',
    info: 'Least privilege: no rule reaches every subtree ("#", "+/...").',
    explanation: 'A broad rule lets one compromised client read or write the whole fleet.',
    fix: "Scope rules to the identity's subtree; a necessary broad rule needs a policy exception with a reason.",
    check: (c) =>
      rowsOr(
        aclUsers(c).flatMap(({ broker: b, username: u, rules }) => {
          const broad = rules.filter((r) => r.access !== 'deny' && isBroad(r.topic));
          if (!broad.length) return [ok(b.path, `${u}: ${rules.length} scoped rules`)];
          // One finding per (identity, topic): a suppression or policy exception names exactly one.
          return [...new Set(broad.map((r) => r.topic))].map((topic) => {
            const access = [...new Set(broad.filter((r) => r.topic === topic).map((r) => r.access))];
            return { ...bad(b.path, `ACL-2[${u}:${topic}]`, `${u} may ${access.map((a) => `${a} ${topic}`).join(', ')}`), subject: { identity: u, topic, access } };
          });
        }),
        c.stack,
        'no broker in this stack',
      ).concat(emqxUnparsedAclRows(c, 'ACL-2')),
  },
  {
    id: 'ACL-3',
    level: 'error',
    info: 'Nobody may publish to "$" topics ($SYS, $CONTROL).',
    explanation: 'Writing $SYS fakes broker statistics; writing $CONTROL administers dynamic security.',
    fix: 'Remove publish rights on "$" topics; monitoring identities read $SYS only.',
    check: (c) =>
      rowsOr(
        aclUsers(c).map(({ broker: b, username: u, rules }) => {
          const w = rules.filter((r) => grants(r.access, 'write') && r.topic.startsWith('$'));
          return w.length ? bad(b.path, `ACL-3[${u}:${w.map((r) => r.topic).join(',')}]`, `${u} may write ${w.map((r) => r.topic).join(', ')}`) : ok(b.path, `${u}: no write to "$" topics`);
        }),
        c.stack,
        'no broker in this stack',
      ),
  },
  {
    id: 'NET-1',
    level: 'error',
    info: 'Default-deny NetworkPolicy for ingress and egress around every broker; allows name their sources.',
    explanation: 'Without a default deny, any pod in the cluster can reach the broker and the broker can reach anything.',
    fix: 'A NetworkPolicy with policyTypes [Ingress, Egress] and no rules selecting the broker pods (MosquittoBroker creates it).',
    check: (c) => {
      const rows: RuleRow[] = [];
      const nps = c.k8s.filter((o) => o.kind === 'NetworkPolicy');
      for (const b of c.brokers) {
        const deny = nps.find(
          (n) =>
            n.namespace === b.namespace &&
            (n.body.spec?.policyTypes ?? []).includes('Ingress') &&
            (n.body.spec?.policyTypes ?? []).includes('Egress') &&
            !(n.body.spec?.ingress ?? []).length &&
            !(n.body.spec?.egress ?? []).length,
        );
        rows.push(
          deny
            ? ok(deny.path, `default deny ${deny.name} in ${b.namespace}`)
            : bad(b.path, `NET-1[${b.namespace}:default-deny]`, `no default-deny NetworkPolicy (ingress and egress) in ${b.namespace}`),
        );
      }
      for (const n of nps) {
        for (const [i, r] of (n.body.spec?.ingress ?? []).entries()) {
          const from = r.from ?? [];
          rows.push(
            from.length ? ok(n.path, `${n.name} ingress[${i}] from ${from.length} declared source(s)`) : bad(n.path, `NET-1[${n.name}:ingress-${i}]`, `${n.name} ingress[${i}] admits every source`),
          );
        }
        for (const [i, r] of (n.body.spec?.egress ?? []).entries()) {
          const to: any[] = r.to ?? [];
          // The union of the rule's CIDRs, exceptions taken out (0.0.0.0/1 + 128.0.0.0/1 is 0.0.0.0/0).
          const blocks = to.filter((t) => t.ipBlock?.cidr).map((t) => ({ cidr: String(t.ipBlock.cidr), except: list(t.ipBlock.except).map(String), prop: n.name }));
          let world: string | undefined;
          try {
            const j = blocks.length ? judgeRanges(blocks) : undefined;
            world = j?.worldOpen ? j.summary : undefined;
          } catch (e) {
            world = `CIDRs the audit cannot judge (${(e as Error).message})`;
          }
          rows.push(
            !to.length
              ? bad(n.path, `NET-1[${n.name}:egress-${i}]`, `${n.name} egress[${i}] admits every destination${(r.ports ?? []).length ? '' : ' on every port'}`)
              : world
                ? bad(n.path, `NET-1[${n.name}:egress-${i}]`, `${n.name} egress[${i}] admits ${world}`)
                : ok(n.path, `${n.name} egress[${i}] to ${to.length} declared destination(s)`),
          );
        }
      }
      return rowsOr(rows, c.stack, 'no broker or NetworkPolicy in this stack');
    },
  },
  {
    id: 'NET-2',
    level: 'error',
    info: 'Cloud and cluster firewalls admit MQTT only from declared ranges; never from the whole internet without a reason; never 1883.',
    explanation: 'An open MQTT port invites credential stuffing and connection floods from the internet.',
    fix: 'List client CIDRs or security groups (BrokerSecurityGroup), loadBalancerSourceRanges on LoadBalancer Services.',
    check: (c) => {
      const rows: RuleRow[] = [];
      for (const r of c.resources.filter((x) => x.type === 'aws_vpc_security_group_ingress_rule')) {
        const cidr = r.config.cidr_ipv4 ?? r.config.cidr_ipv6;
        const p1883 = Number(r.config.from_port) <= 1883 && 1883 <= Number(r.config.to_port ?? r.config.from_port);
        if (p1883) rows.push(bad(r.path, `NET-2[${r.id}:1883]`, 'admits 1883'));
        else if (cidr === '0.0.0.0/0' || cidr === '::/0') rows.push(bad(r.path, `NET-2[${r.id}:${cidr}]`, `admits port ${r.config.from_port} from ${cidr}`));
        else if (r.config.ip_protocol === '-1') rows.push(bad(r.path, `NET-2[${r.id}:all-ports]`, 'admits every protocol and port'));
        else rows.push(ok(r.path, `port ${r.config.from_port} from ${cidr ?? r.config.referenced_security_group_id ?? r.config.prefix_list_id}`));
      }
      // The union of a group's CIDR rules (0.0.0.0/1 + 128.0.0.0/1 is as open as 0.0.0.0/0).
      const bySg = new Map<string, { path: string; cidrs: string[] }>();
      for (const r of c.resources.filter((x) => x.type === 'aws_vpc_security_group_ingress_rule')) {
        const cidr = r.config.cidr_ipv4 ?? r.config.cidr_ipv6;
        if (typeof cidr !== 'string' || cidr === '0.0.0.0/0' || cidr === '::/0') continue;
        const g = bySg.get(String(r.config.security_group_id)) ?? { path: r.path, cidrs: [] };
        g.cidrs.push(cidr);
        bySg.set(String(r.config.security_group_id), g);
      }
      for (const [sgRef, g] of bySg) {
        const j = judgeRanges(g.cidrs.map((cidr) => ({ cidr, prop: sgRef })));
        if (j.worldOpen) rows.push(bad(g.path, `NET-2[${sgRef}:world-union]`, `its rules together admit ${j.summary}`));
      }
      for (const sg of c.resources.filter((x) => x.type === 'aws_security_group')) {
        for (const i of sg.config.ingress ?? []) {
          const cidrs = [...(i.cidr_blocks ?? []), ...(i.ipv6_cidr_blocks ?? [])].filter((x: unknown) => typeof x === 'string');
          if (cidrs.length && judgeRanges(cidrs.map((cidr: string) => ({ cidr, prop: sg.id }))).worldOpen)
            rows.push(bad(sg.path, `NET-2[${sg.id}:inline-world]`, 'inline ingress from the whole internet'));
        }
      }
      for (const s of c.k8s.filter((o) => o.kind === 'Service' && o.body.spec?.type === 'LoadBalancer')) {
        const ranges: string[] = s.body.spec.loadBalancerSourceRanges ?? [];
        const j = ranges.length ? judgeRanges(ranges.map((cidr) => ({ cidr, prop: s.name }))) : undefined;
        rows.push(
          !j
            ? bad(s.path, `NET-2[${s.name}:no-source-ranges]`, `LoadBalancer ${s.name} admits every address`)
            : j.worldOpen
              ? bad(s.path, `NET-2[${s.name}:world]`, `LoadBalancer ${s.name} admits ${j.summary}`)
              : ok(s.path, `LoadBalancer ${s.name} admits ${ranges.join(', ')}`),
        );
      }
      // Every other way a port reaches beyond the cluster network: node ports, external IPs,
      // host ports and the host network. None of them carries a source restriction.
      for (const s of c.k8s.filter((o) => o.kind === 'Service')) {
        const spec = s.body.spec ?? {};
        if (spec.type === 'NodePort')
          rows.push(
            bad(
              s.path,
              `NET-2[${s.name}:node-port]`,
              `NodePort Service ${s.name} opens ${spec.ports.map((p: any) => p.nodePort ?? `a node port for ${p.port}`).join(', ')} on every node's addresses, with no source restriction`,
            ),
          );
        if (spec.externalIPs.length)
          rows.push(
            bad(
              s.path,
              `NET-2[${s.name}:external-ips]`,
              `Service ${s.name} accepts traffic for external IPs ${spec.externalIPs.join(', ')} on ${spec.ports.map((p: any) => p.port).join(', ')}, with no source restriction`,
            ),
          );
      }
      for (const p of c.pods) {
        if (p.hostNetwork === true)
          rows.push(bad(p.owner.path, `NET-2[${p.owner.name}:host-network]`, `${p.owner.kind} ${p.owner.name} uses the node's network: every port it listens on is open on the node's addresses`));
        for (const k of p.containers)
          for (const hp of k.hostPorts)
            rows.push(bad(p.owner.path, `NET-2[${p.owner.name}/${k.name}:host-port-${hp}]`, `container ${k.name} of ${p.owner.kind} ${p.owner.name} binds host port ${hp} on the node's addresses`));
      }
      for (const i of c.k8s.filter((o) => o.kind === 'Ingress')) rows.push(bad(i.path, `NET-2[${i.name}:ingress]`, `Ingress ${i.name} routes traffic from whatever the ingress controller admits`));
      for (const n of c.k8s.filter((o) => o.kind === 'NetworkPolicy'))
        for (const r of n.body.spec?.ingress ?? []) {
          const blocks = (r.from ?? []).filter((f: any) => f.ipBlock?.cidr).map((f: any) => ({ cidr: f.ipBlock.cidr, except: f.ipBlock.except ?? [], prop: n.name }));
          const j = blocks.length ? judgeRanges(blocks) : undefined;
          if (j?.worldOpen) rows.push(bad(n.path, `NET-2[${n.name}:${blocks.map((b: { cidr: string }) => b.cidr).join('+')}]`, `${n.name} admits ${j.summary}`));
          for (const f of r.from ?? []) {
            const sel = f.namespaceSelector;
            if (sel && !narrowSelector(sel)) rows.push(bad(n.path, `NET-2[${n.name}:every-namespace]`, `${n.name} admits pods of every namespace`));
          }
        }
      return rowsOr(rows, c.stack, 'no security group rule or load balancer in this stack');
    },
  },
  {
    id: 'NET-3',
    level: 'error',
    info: 'Private networking: private subnets, internal load balancers, private Kubernetes API, flow logs.',
    explanation: 'Public endpoints and addresses widen the attack surface; without flow logs an incident cannot be reconstructed.',
    fix: 'BrokerNetwork, PrivateEksCluster and MosquittoBroker are private by default; opt out only with a reason.',
    check: (c) => {
      const rows: RuleRow[] = [];
      const flowLogs = c.resources.filter((r) => r.type === 'aws_flow_log');
      for (const v of c.resources.filter((r) => r.type === 'aws_vpc'))
        rows.push(flowLogs.some((f) => String(f.config.vpc_id).includes(v.id)) ? ok(v.path, 'flow logs on') : bad(v.path, `NET-3[${v.id}:flow-logs]`, 'VPC without flow logs'));
      for (const s of c.resources.filter((r) => r.type === 'aws_subnet'))
        rows.push(s.config.map_public_ip_on_launch === true ? bad(s.path, `NET-3[${s.id}:public-ip]`, 'subnet assigns public IPs') : ok(s.path, 'no public IPs on launch'));
      for (const e of c.resources.filter((r) => r.type === 'aws_eks_cluster'))
        rows.push(
          e.config.vpc_config?.endpoint_public_access === true ? bad(e.path, `NET-3[${e.id}:public-endpoint]`, 'Kubernetes API endpoint is public') : ok(e.path, 'private Kubernetes API endpoint'),
        );
      for (const s of c.k8s.filter((o) => o.kind === 'Service' && o.body.spec?.type === 'LoadBalancer')) {
        const scheme = s.body.metadata?.annotations?.['service.beta.kubernetes.io/aws-load-balancer-scheme'];
        rows.push(
          scheme === 'internal'
            ? ok(s.path, `${s.name}: internal load balancer`)
            : bad(s.path, `NET-3[${s.name}:${scheme ?? 'default-scheme'}]`, `${s.name}: load balancer scheme ${scheme ?? 'unset (internet-facing with the AWS LB controller)'}`),
        );
      }
      return rowsOr(rows, c.stack, 'no network resource in this stack');
    },
  },
  {
    id: 'DOS-1',
    level: 'error',
    info: 'Limits on connections, packet and message size, in-flight and queued messages, keepalive.',
    explanation: 'Unlimited brokers fall over under floods or a single misbehaving client.',
    fix: 'Set every limit (MosquittoBroker limits).',
    check: (c) =>
      rowsOr(
        c.brokers.flatMap((b) => {
          const missing = ['max_packet_size', 'message_size_limit', 'max_inflight_messages', 'max_queued_messages', 'max_keepalive'].filter((k) => !b.conf.global.has(k));
          const noConn = b.conf.listeners.filter((l) => !LOOPBACK.has(l.bind ?? '') && !l.settings.has('max_connections')).map((l) => `max_connections on ${l.port}`);
          const all = [...missing, ...noConn];
          return [all.length ? bad(b.path, `DOS-1[${b.name}:${all.join(',')}]`, `missing ${all.join(', ')}`) : ok(b.path, 'all limits set')];
        }),
        c.stack,
        'no broker in this stack',
      )
        .concat(
          c.emqx.map((e) => {
            const l = e.config?.listeners?.ssl?.default ?? {};
            const missing = [
              ['max_connections', l.max_connections],
              ['max_conn_rate', l.max_conn_rate],
              ['messages_rate', l.messages_rate],
              ['bytes_rate', l.bytes_rate],
              ['mqtt.max_packet_size', e.config?.mqtt?.max_packet_size],
              ['flapping_detect', e.config?.flapping_detect?.enable === true ? 1 : undefined],
            ]
              .filter(([, v]) => v === undefined || v === 'infinity')
              .map(([k]) => k);
            return missing.length ? bad(e.path, `DOS-1[${e.name}:${missing.join(',')}]`, `EMQX without ${missing.join(', ')}`) : ok(e.path, 'EMQX rate limits, packet size and flapping detection set');
          }),
        )
        .filter((r, _, all) => r.status !== 'not-applicable' || all.length === 1),
  },
  {
    id: 'DOS-2',
    level: 'error',
    info: 'Requests and limits on every container; a PodDisruptionBudget; spread over nodes when replicated.',
    explanation: 'Without limits one pod starves a node; without a PDB a drain takes the broker down unannounced.',
    fix: 'resources.requests and .limits for cpu, memory and ephemeral-storage; a PDB with unhealthyPodEvictionPolicy.',
    check: (c) => {
      const rows: RuleRow[] = [];
      const pdbs = c.k8s.filter((o) => o.kind === 'PodDisruptionBudget');
      for (const p of c.pods) {
        const runsToCompletion = p.owner.kind === 'Job' || p.owner.kind === 'CronJob';
        for (const k of p.containers) {
          const missing = ['cpu', 'memory', 'ephemeral-storage'].flatMap((r) => [...(k.resources.requests[r] ? [] : [`requests.${r}`]), ...(k.resources.limits[r] ? [] : [`limits.${r}`])]);
          rows.push(missing.length ? bad(p.owner.path, `DOS-2[${p.owner.name}/${k.name}]`, `${k.name}: no ${missing.join(', ')}`) : ok(p.owner.path, `${k.name}: requests and limits set`));
        }
        if (runsToCompletion) continue;
        const pdb = pdbs.find((d) => d.namespace === p.owner.namespace && Object.entries<string>(d.body.spec?.selector?.matchLabels ?? {}).every(([k, v]) => p.labels[k] === v));
        rows.push(
          !pdb
            ? bad(p.owner.path, `DOS-2[${p.owner.name}:pdb]`, 'no PodDisruptionBudget')
            : pdb.body.spec?.unhealthyPodEvictionPolicy
              ? ok(pdb.path, `PDB ${pdb.name}`)
              : bad(pdb.path, `DOS-2[${pdb.name}:unhealthy-eviction]`, 'PDB without unhealthyPodEvictionPolicy: an unhealthy pod blocks drains'),
        );
        if (p.replicas > 1)
          rows.push(
            p.topologySpread.length
              ? ok(p.owner.path, 'replicas spread by topology constraints')
              : bad(p.owner.path, `DOS-2[${p.owner.name}:spread]`, `${p.replicas} replicas without topology spread`),
          );
      }
      return rowsOr(rows, c.stack, 'no workload in this stack');
    },
  },
  {
    id: 'POD-1',
    level: 'error',
    info: 'Pod Security restricted: non-root (UID/GID >= 10000), read-only root, no escalation, no capabilities, seccomp, no token.',
    explanation: 'Each of these blocks a container-escape or lateral-movement step.',
    fix: 'Label the namespace pod-security.kubernetes.io/enforce=restricted and set the securityContext fields (MosquittoBroker does both).',
    check: (c) => {
      const rows: RuleRow[] = [];
      for (const ns of c.k8s.filter((o) => o.kind === 'Namespace')) {
        const l = ns.body.metadata?.labels ?? {};
        rows.push(
          l['pod-security.kubernetes.io/enforce'] === 'restricted'
            ? ok(ns.path, `namespace ${ns.name} enforces restricted`)
            : bad(ns.path, `POD-1[ns:${ns.name}]`, `namespace ${ns.name} does not enforce Pod Security restricted`),
        );
      }
      for (const p of c.pods) {
        const psc = p.podSecurityContext;
        const podProblems = [
          !(Number(psc.runAsUser) >= 10000) ? `runAsUser ${psc.runAsUser ?? 'unset'}` : '',
          !(Number(psc.runAsGroup) >= 10000) ? `runAsGroup ${psc.runAsGroup ?? 'unset'}` : '',
          p.automountServiceAccountToken !== false ? 'service-account token mounted' : '',
          p.hostNetwork === true || p.hostPID === true || p.hostIPC === true
            ? `host namespaces (${[p.hostNetwork === true ? 'hostNetwork' : '', p.hostPID === true ? 'hostPID' : '', p.hostIPC === true ? 'hostIPC' : ''].filter(Boolean).join(', ')})`
            : '',
          p.volumes.some((v) => v.hostPath) ? 'hostPath volume' : '',
        ].filter(Boolean);
        rows.push(podProblems.length ? bad(p.owner.path, `POD-1[${p.owner.name}:pod]`, podProblems.join(', ')) : ok(p.owner.path, 'pod: UID/GID >= 10000, no token, no host namespaces'));
        for (const k of p.containers) {
          const s = k.securityContext;
          const drop: string[] = s.capabilities?.drop ?? [];
          const seccomp = s.seccompProfile?.type ?? psc.seccompProfile?.type;
          const problems = [
            s.runAsNonRoot !== true && psc.runAsNonRoot !== true ? 'runAsNonRoot' : '',
            s.readOnlyRootFilesystem !== true ? 'readOnlyRootFilesystem' : '',
            s.allowPrivilegeEscalation !== false ? 'allowPrivilegeEscalation' : '',
            !drop.includes('ALL') ? 'capabilities.drop ALL' : '',
            s.privileged === true ? 'privileged' : '',
            (s.capabilities?.add ?? []).some((x: string) => x !== 'NET_BIND_SERVICE') ? `capabilities.add ${s.capabilities.add.join(', ')}` : '',
            seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost' ? 'seccompProfile' : '',
          ].filter(Boolean);
          rows.push(problems.length ? bad(p.owner.path, `POD-1[${p.owner.name}/${k.name}]`, `${k.name}: ${problems.join(', ')}`) : ok(p.owner.path, `${k.name}: restricted`));
        }
      }
      return rowsOr(rows, c.stack, 'no workload in this stack');
    },
  },
  {
    id: 'POD-2',
    level: 'error',
    info: 'Images pinned by tag and digest.',
    explanation: 'A tag can be moved to other content; only a digest names the bytes that were reviewed.',
    fix: 'image: repository:tag@sha256:...',
    check: (c) =>
      rowsOr(
        c.pods.flatMap((p) =>
          p.containers.map((k) =>
            /:[^@/]+@sha256:[0-9a-f]{64}$/.test(k.image)
              ? ok(p.owner.path, `${k.name}: ${k.image}`)
              : bad(p.owner.path, `POD-2[${p.owner.name}/${k.name}]`, `${k.name}: ${k.image} is not pinned by tag and digest`),
          ),
        ),
        c.stack,
        'no workload in this stack',
      ),
  },
  {
    id: 'MON-1',
    level: 'warning',
    info: 'Broker metrics reach Prometheus (exporter and scrape configuration).',
    explanation: 'Without metrics, floods, drops and outages are noticed by users first.',
    fix: 'metricsExporter with its image digest, and BrokerMonitoring (PodMonitor).',
    check: (c) =>
      rowsOr(
        c.brokers
          .map((b) => {
            const exporter = b.pod?.containers.some((k) => k.name === 'metrics-exporter');
            const podMonitor = c.k8s.some((o) => o.kind === 'PodMonitor' && o.namespace === b.namespace);
            return exporter && podMonitor
              ? ok(b.path, 'exporter and PodMonitor')
              : bad(b.path, `MON-1[${b.name}]`, `${exporter ? '' : 'no metrics exporter; '}${podMonitor ? '' : 'no PodMonitor'}`.replace(/; $/, ''));
          })
          .concat(emqxMon1(c)),
        c.stack,
        'no broker in this stack',
      ),
  },
  {
    id: 'MON-2',
    level: 'warning',
    info: 'Alerts on outages, connection limits, drops, certificates and authentication failures.',
    explanation: 'Metrics nobody alerts on are read after the incident.',
    fix: 'BrokerMonitoring (PrometheusRule) in the broker stack; BrokerLogAlarms (authentication failures) next to the cluster.',
    check: (c) => {
      const rows = c.brokers
        .map((b) =>
          c.k8s.some((o) => o.kind === 'PrometheusRule' && o.namespace === b.namespace)
            ? ok(b.path, 'PrometheusRule present')
            : bad(b.path, `MON-2[${b.name}:rules]`, 'no PrometheusRule for the broker'),
        )
        .concat(emqxMon2(c));
      for (const e of c.resources.filter((r) => r.type === 'aws_eks_cluster')) {
        const filter = c.resources.some((r) => r.type === 'aws_cloudwatch_log_metric_filter');
        const alarm = c.resources.some((r) => r.type === 'aws_cloudwatch_metric_alarm');
        rows.push(filter && alarm ? ok(e.path, 'authentication-failure metric filter and alarm') : bad(e.path, `MON-2[${e.id}:auth-alarm]`, 'no authentication-failure alarm for the cluster'));
      }
      return rowsOr(rows, c.stack, 'no broker or cluster in this stack');
    },
  },
  {
    id: 'MON-3',
    level: 'error',
    info: 'Connection, authentication and subscription events logged to stdout/stderr with timestamps.',
    explanation: 'Log-based alerts and incident timelines need these lines.',
    fix: 'log_dest stderr, log_timestamp true, connection_messages true, log_type subscribe.',
    check: (c) =>
      rowsOr(
        c.brokers
          .map((b) => {
            const g = b.conf.global;
            const missing = [
              (g.get('log_dest') ?? []).some((v) => v === 'stderr' || v === 'stdout') ? '' : 'log_dest stderr',
              one(g, 'log_timestamp') === 'true' ? '' : 'log_timestamp true',
              one(g, 'connection_messages') === 'true' ? '' : 'connection_messages true',
              (g.get('log_type') ?? []).includes('subscribe') ? '' : 'log_type subscribe',
            ].filter(Boolean);
            return missing.length ? bad(b.path, `MON-3[${b.name}]`, `missing ${missing.join(', ')}`) : ok(b.path, 'connections, refusals and subscriptions logged with timestamps');
          })
          .concat(emqxMon3(c)),
        c.stack,
        'no broker in this stack',
      ),
  },
  {
    id: 'REV-2',
    level: 'error',
    info: 'The audit sees the final output whatever produced it: every resource is of a type it reads, and every suppression names what it covers.',
    explanation:
      'A resource the audit cannot read (an unknown type, a raw manifest of an unknown kind, a mutating webhook, another provider that applies manifests) could open what every other rule checks; an ambiguous suppression could hide a finding nobody reviewed.',
    fix: "Use the Kubernetes provider's typed resources or kubernetes_manifest for the kinds the audit reads; for anything else, review it and suppress REV-2 for that one resource with appliesTo naming its finding key. Name the findings a suppression covers in appliesTo.",
    check: (c) => {
      // One finding per resource, with every reason the audit cannot read it.
      const byRes = new Map<string, UnseenResource[]>();
      for (const u of c.unseen) byRes.set(`${u.type}.${u.id}`, [...(byRes.get(`${u.type}.${u.id}`) ?? []), u]);
      const rows: RuleRow[] = [...byRes].map(([k, us]) => bad(us[0]!.path, `REV-2[${k}]`, us.map((u) => u.why).join('; ')));
      // A module creates resources the stack's JSON does not show; a provisioner runs commands at apply.
      for (const [name, m] of Object.entries<any>(c.json?.module ?? {}))
        rows.push(bad(m?.['//']?.metadata?.path ?? `module.${name}`, `REV-2[module.${name}]`, `module ${name} (${m?.source}) creates resources the audit cannot see in this stack's output`));
      for (const r of c.resources)
        if (r.config?.provisioner !== undefined)
          rows.push(bad(r.path, `REV-2[${r.type}.${r.id}:provisioner]`, `${r.type}.${r.id} has a provisioner: it runs commands at apply that can change anything, unseen by the audit`));
      rows.push(...brokerProgramRows(c));
      for (const b of c.brokers)
        for (const d of b.conf.includes) rows.push(bad(b.path, `REV-2[${b.name}:include_dir]`, `the config of ${b.name} includes every .conf file in ${d}: Mosquitto reads them, the audit does not`));
      // Only the AWS and Kubernetes providers are read; any other provider (helm, kubectl, null_resource) can apply anything.
      for (const r of c.resources)
        if (!r.type.startsWith('aws_') && !r.type.startsWith('kubernetes_'))
          rows.push(bad(r.path, `REV-2[${r.type}.${r.id}]`, `resource type ${r.type} belongs to a provider the audit does not read`));
      if (!rows.length) rows.push(ok(c.stack, `all ${c.resources.length} resources are of types the audit reads`));
      return rows;
    },
  },
];

export const RULE_IDS = new Set(RULES.map((r) => r.id));
