/**
 * Both brokers in one shape for the audit rules. Each broker's files are read in its own dialect
 * (Mosquitto: mosquitto.conf, the ACL file, dynamic security; EMQX: emqx.conf as JSON, acl.conf),
 * then translated into the words the rules use: MQTT listeners with their TLS settings, the
 * limits, log events, metrics and alerts the baseline asks for, each as set or not set. A rule
 * reads `c.all` and judges every broker with one check; only the finding keys and sentences keep
 * each dialect's wording (suppressions and reports name them).
 */
import { readFileSync } from 'node:fs';
import { templatePath } from '../templates.js';
import { withPatternUsers } from './mosquitto-view.js';
import { type AclView, type K8sView, type MosquittoConfView, type PodView, parseMosquittoAcl, parseMosquittoConf, type TfResource } from './view.js';

export type BrokerKind = 'mosquitto' | 'emqx';

/** A Mosquitto broker in its own dialect. */
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

/** An EMQX cluster in its own dialect. */
export interface EmqxView {
  readonly path: string;
  readonly name: string;
  readonly config: any;
  readonly acl: string;
}

/** A requirement of the baseline as a broker meets it or not, named in the broker's own words. */
export interface Requirement {
  readonly name: string;
  readonly met: boolean;
}

/** An MQTT listener, whatever the broker. */
export interface MqttListener {
  /** How findings name it: Mosquitto the port (`8883`), EMQX type and name (`ssl.default`). */
  readonly name: string;
  readonly port: number | undefined;
  /** Address it binds, undefined for every address. */
  readonly bind: string | undefined;
  /** Bound to the pod's loopback only. */
  readonly loopback: boolean;
  /** Serves TLS (Mosquitto: certfile and keyfile; EMQX: an ssl or wss listener). */
  readonly tls: boolean;
  /** Has TLS settings to judge (Mosquitto: certfile; EMQX: an ssl or wss listener). */
  readonly tlsConfigured: boolean;
  /** Protocol versions offered (Mosquitto `tls_version` is a minimum, EMQX `versions` a list); empty: the library's default. */
  readonly tlsVersions: readonly string[];
  /** TLS 1.2 cipher suites in OpenSSL names. */
  readonly ciphers: readonly string[];
  /** TLS 1.3 suites given in the same list (EMQX's `TLS_*` names); empty for Mosquitto. */
  readonly tls13Suites: readonly string[];
  /** A connection limit is set on it. */
  readonly maxConnections: boolean;
  /** The client id is replaced by the authenticated username on this listener. */
  readonly clientIdIsUsername: boolean;
}

/** One broker of the stack, normalised. */
export interface Broker {
  readonly kind: BrokerKind;
  /** Construct path of its ConfigMap: where its findings are reported. */
  readonly path: string;
  readonly name: string;
  readonly namespace: string;
  /** The workload that mounts its configuration (Mosquitto; EMQX's is not looked up). */
  readonly pod: PodView | undefined;
  /** Every MQTT listener that is on, plaintext ones included (EMQX's defaults when not configured). */
  readonly listeners: readonly MqttListener[];
  /** Connection, size, queue and rate limits (DOS-1). */
  readonly limits: readonly Requirement[];
  /** Events logged with timestamps to the container log (MON-3). */
  readonly logging: readonly Requirement[];
  /** Metrics exported and scraped (MON-1). */
  readonly metrics: readonly Requirement[];
  /** Alert rules on the broker's metrics (MON-2). */
  readonly alerts: readonly Requirement[];
  /** The dialect view, for what exists in one broker only. */
  readonly mosquitto?: BrokerView;
  readonly emqx?: EmqxView;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const one = (m: Map<string, string[]>, k: string) => m.get(k)?.at(-1);
const req = (name: string, met: boolean): Requirement => ({ name, met });

export function mosquittoViewOf(cm: K8sView, files: Record<string, string>, podViews: PodView[]): BrokerView {
  return {
    path: cm.path,
    namespace: cm.namespace ?? 'default',
    name: cm.name.replace(/-config$/, ''),
    files,
    configMap: cm.name,
    conf: parseMosquittoConf(files['mosquitto.conf']!),
    acls: files.acl ? [{ file: 'acl', acl: withPatternUsers(parseMosquittoAcl(files.acl), files.users) }] : [],
    dynsec: files['dynamic-security-template.json'] ? JSON.parse(files['dynamic-security-template.json']) : undefined,
    pod: podViews.find((p) => p.owner.namespace === cm.namespace && p.volumes.some((v) => (v.configMap?.name ?? v.config_map?.name) === cm.name)),
  };
}

export function emqxViewOf(cm: K8sView, files: Record<string, string>): EmqxView {
  let config: any;
  try {
    config = JSON.parse(files['emqx.conf']!.replace(/^#.*$/gm, ''));
  } catch {
    config = { unparsable: true };
  }
  return { path: cm.path, name: cm.name.replace(/-config$/, ''), config, acl: files['acl.conf'] ?? '' };
}

/** EMQX listeners of a type that are not switched off (EMQX 5.8 enables a `default` of each type when none is configured). */
export const emqxOn = (cfg: any, type: string) => Object.entries<any>(cfg?.listeners?.[type] ?? { default: {} }).filter(([, l]) => l !== 'marked_for_deletion' && l?.enable !== false);

function mosquittoBroker(b: BrokerView, c: { k8s: K8sView[] }): Broker {
  const g = b.conf.global;
  const podMonitor = c.k8s.some((o) => o.kind === 'PodMonitor' && o.namespace === b.namespace);
  return {
    kind: 'mosquitto',
    path: b.path,
    name: b.name,
    namespace: b.namespace,
    pod: b.pod,
    mosquitto: b,
    listeners: b.conf.listeners.map((l) => {
      const v = one(l.settings, 'tls_version');
      return {
        name: String(l.port),
        port: l.port,
        bind: l.bind,
        loopback: LOOPBACK.has(l.bind ?? ''),
        tls: l.settings.has('certfile') && l.settings.has('keyfile'),
        tlsConfigured: l.settings.has('certfile'),
        tlsVersions: v === undefined ? [] : [v],
        ciphers: (one(l.settings, 'ciphers') ?? '').split(':').filter(Boolean),
        // ciphers_tls1.3 is not read: every TLS 1.3 suite is AEAD with forward secrecy, and TLS-2
        // has always asked Mosquitto for an explicit TLS 1.2 list.
        tls13Suites: [],
        maxConnections: l.settings.has('max_connections'),
        // A listener-level setting in Mosquitto 2.0: each listener block needs its own line.
        clientIdIsUsername: one(l.settings, 'use_username_as_clientid') === 'true',
      };
    }),
    limits: [
      ...['max_packet_size', 'message_size_limit', 'max_inflight_messages', 'max_queued_messages', 'max_keepalive'].map((k) => req(k, g.has(k))),
      ...b.conf.listeners.filter((l) => !LOOPBACK.has(l.bind ?? '')).map((l) => req(`max_connections on ${l.port}`, l.settings.has('max_connections'))),
    ],
    logging: [
      req(
        'log_dest stderr',
        (g.get('log_dest') ?? []).some((v) => v === 'stderr' || v === 'stdout'),
      ),
      req('log_timestamp true', one(g, 'log_timestamp') === 'true'),
      req('connection_messages true', one(g, 'connection_messages') === 'true'),
      req('log_type subscribe', (g.get('log_type') ?? []).includes('subscribe')),
    ],
    metrics: [req('metrics exporter', Boolean(b.pod?.containers.some((k) => k.name === 'metrics-exporter'))), req('PodMonitor', podMonitor)],
    alerts: [
      req(
        'PrometheusRule',
        c.k8s.some((o) => o.kind === 'PrometheusRule' && o.namespace === b.namespace),
      ),
    ],
  };
}

const EMQX_ALERT_METRICS = ['emqx_authentication_failure', 'emqx_authorization_deny', 'emqx_live_connections_count', 'emqx_cluster_nodes_running'];

function emqxBroker(e: EmqxView, c: { k8s: K8sView[] }): Broker {
  const cfg = e.config ?? {};
  const namespace = c.k8s.find((o) => o.path === e.path)?.namespace ?? 'default';
  const ssl = cfg?.listeners?.ssl?.default ?? {};
  const exprs = c.k8s
    .filter((o) => o.kind === 'PrometheusRule' && o.namespace === namespace)
    .flatMap((o) => (o.body.spec?.groups ?? []).flatMap((g: any) => (g.rules ?? []).map((r: any) => String(r.expr ?? ''))));
  const consoleRules = Object.values<any>(cfg.rule_engine?.rules ?? {}).filter((r) => r?.enable !== false && (r?.actions ?? []).some((a: any) => a === 'console' || a?.function === 'console'));
  const sql = consoleRules.map((r) => String(r.sql ?? '')).join(' ');
  const limit = (name: string, v: unknown) => req(name, v !== undefined && v !== 'infinity');
  return {
    kind: 'emqx',
    path: e.path,
    name: e.name,
    namespace,
    pod: undefined,
    emqx: e,
    listeners: ['tcp', 'ws', 'ssl', 'wss'].flatMap((type) =>
      emqxOn(cfg, type).map(([n, l]) => {
        const tls = type === 'ssl' || type === 'wss';
        const bind = String(l?.bind ?? '');
        const suites: string[] = l?.ssl_options?.ciphers ?? [];
        return {
          name: `${type}.${n}`,
          port: bind ? Number(bind.split(':').at(-1)) : undefined,
          bind: bind.includes(':') ? bind.split(':').slice(0, -1).join(':') : undefined,
          loopback: false,
          tls,
          tlsConfigured: tls,
          tlsVersions: tls ? (l?.ssl_options?.versions ?? []) : [],
          ciphers: suites.filter((x) => !x.startsWith('TLS_')),
          tls13Suites: suites.filter((x) => x.startsWith('TLS_')),
          maxConnections: l?.max_connections !== undefined && l?.max_connections !== 'infinity',
          clientIdIsUsername: cfg.mqtt?.use_username_as_clientid === true,
        };
      }),
    ),
    limits: [
      limit('max_connections', ssl.max_connections),
      limit('max_conn_rate', ssl.max_conn_rate),
      limit('messages_rate', ssl.messages_rate),
      limit('bytes_rate', ssl.bytes_rate),
      limit('mqtt.max_packet_size', cfg.mqtt?.max_packet_size),
      limit('flapping_detect', cfg.flapping_detect?.enable === true ? 1 : undefined),
    ],
    logging: [
      req('log.console.enable', cfg.log?.console?.enable === true),
      req('connection results ($events/client_connack)', sql.includes('$events/client_connack')),
      req('disconnections ($events/client_disconnected)', sql.includes('$events/client_disconnected')),
      req('authorization results ($events/client_check_authz_complete)', sql.includes('$events/client_check_authz_complete')),
    ],
    metrics: [
      req(
        'PodMonitor on /api/v5/prometheus/stats',
        c.k8s.some((o) => o.kind === 'PodMonitor' && o.namespace === namespace && JSON.stringify(o.body.spec ?? {}).includes('/api/v5/prometheus/stats')),
      ),
    ],
    alerts: EMQX_ALERT_METRICS.map((m) =>
      req(
        m,
        exprs.some((x) => x.includes(m)),
      ),
    ),
  };
}

/** Every broker of a stack, normalised: Mosquitto brokers first, then EMQX clusters. */
export function brokersOf(c: { brokers: readonly BrokerView[]; emqx: readonly EmqxView[]; k8s: K8sView[]; resources?: TfResource[] }): Broker[] {
  return [...c.brokers.map((b) => mosquittoBroker(b, c)), ...c.emqx.map((e) => emqxBroker(e, c))];
}

/** The kit's scripts as shipped: a ConfigMap that carries other text runs code nobody reviewed. */
export const KIT_SCRIPTS = ['fortress-broker.sh', 'fortress-auth.sh'] as const;
let kitScripts: Record<string, string> | undefined;
export const kitScript = (f: string): string => {
  kitScripts ??= Object.fromEntries(KIT_SCRIPTS.map((n) => [n, readFileSync(templatePath(`mosquitto/${n}`), 'utf8')]));
  return kitScripts[f]!;
};
