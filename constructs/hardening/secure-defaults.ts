/**
 * Secure defaults (baseline REV-1): every default of Mosquitto 2.0 and EMQX 5.8 that a hardening
 * guide would change, the vendor's default, the kit's value, and the test that proves it. The
 * kit's value is read from the configuration the kit renders with its defaults (not typed here),
 * EMQX's vendor defaults from the shipped EMQX 5.8 schema where it states them
 * (templates/emqx/emqx-5.8-config-schema.json), Mosquitto's from its 2.0.21 source
 * (src/conf.c config__init_reload, man/mosquitto.conf.5.xml). Rendered into
 * docs/secure-defaults.md; a drift test checks the file, the schema defaults and that every named
 * test exists.
 */
import { type TestRef, testRef } from './test-ref.js';

/** What the rows read: the kit's rendered configuration with its defaults. */
export interface RenderedDefaults {
  /** mosquitto.conf of the default MosquittoBroker. */
  readonly mosquittoConf: string;
  /** Names of the listeners the default MosquittoBroker's pod exposes as container ports. */
  readonly mosquittoPorts: readonly number[];
  /** emqx.conf (as an object) as the kit renders it by default (renderEmqxConfig). */
  readonly emqx: Readonly<Record<string, unknown>>;
}

export interface SecureDefault {
  readonly broker: 'Mosquitto 2.0' | 'EMQX 5.8';
  readonly setting: string;
  /** Why a hardening guide changes it. */
  readonly risk: string;
  /** The vendor's default, in words. */
  readonly vendorDefault: string;
  /** EMQX: path in the shipped schema whose `default` must equal vendorSchemaDefault. */
  readonly schemaPath?: string;
  readonly vendorSchemaDefault?: string;
  /** The kit's value, read from the rendered defaults. */
  readonly kit: (r: RenderedDefaults) => string;
  readonly proof: TestRef;
}

/** Values of a global Mosquitto directive (before the first listener), in order. */
export function mosquittoGlobal(conf: string, key: string): string[] {
  const head = conf.split(/^listener /m)[0]!;
  return [...head.matchAll(new RegExp(`^${key} (.*)$`, 'gm'))].map((m) => m[1]!);
}
/** Values of a directive in every listener block. */
function mosquittoListeners(conf: string, key: string): string[] {
  return conf
    .split(/^listener /m)
    .slice(1)
    .map((block) => `${block.split('\n')[0]}: ${new RegExp(`^${key} (.*)$`, 'm').exec(block)?.[1] ?? 'unset'}`);
}
const g1 = (r: RenderedDefaults, key: string) => mosquittoGlobal(r.mosquittoConf, key).at(-1) ?? 'unset';
const at = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((x, k) => (x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), o);
const e = (r: RenderedDefaults, path: string) => {
  const v = at(r.emqx, path);
  return v === undefined ? 'unset' : typeof v === 'string' ? v : JSON.stringify(v);
};

const MOSQ_INT = 'test/integration/mosquitto.int.test.ts';
const EMQX_UNIT = 'test/emqx/emqx.test.ts';

export const SECURE_DEFAULTS: readonly SecureDefault[] = [
  {
    broker: 'Mosquitto 2.0',
    setting: 'allow_anonymous',
    risk: 'anonymous clients',
    vendorDefault: 'false once a listener is configured (true in 1.x)',
    kit: (r) => g1(r, 'allow_anonymous'),
    proof: testRef(MOSQ_INT, 'refuses anonymous, wrong password, unknown user (MQTT 5 and 3.1.1)'),
  },
  {
    broker: 'Mosquitto 2.0',
    setting: 'listeners',
    risk: 'plaintext MQTT on 1883',
    vendorDefault: 'the configuration you write; the usual example is `listener 1883` in plaintext',
    kit: (r) =>
      `${r.mosquittoConf
        .split(/^listener /m)
        .slice(1)
        .map((b) => `${b.split('\n')[0]}${/^certfile /m.test(b) ? ' (TLS)' : ' (plaintext)'}`)
        .join(', ')}; container ports ${r.mosquittoPorts.join(', ')}`,
    proof: testRef(MOSQ_INT, 'refuses plaintext MQTT on the TLS port'),
  },
  {
    broker: 'Mosquitto 2.0',
    setting: 'ciphers',
    risk: 'CBC and non-forward-secret TLS 1.2 suites',
    vendorDefault: "the TLS library's default list",
    kit: (r) => mosquittoListeners(r.mosquittoConf, 'ciphers').filter((x) => !x.endsWith('unset'))[0] ?? 'unset',
    proof: testRef('test/audit/rules/tls-2.test.ts', 'Mosquitto: a CBC suite in the cipher list'),
  },
  {
    broker: 'Mosquitto 2.0',
    setting: 'acl_file',
    risk: 'without an ACL every authenticated client may publish and subscribe everywhere',
    vendorDefault: 'none: full access for every authenticated client',
    kit: (r) => `${g1(r, 'acl_file')} (default deny, rendered from the policy)`,
    proof: testRef(MOSQ_INT, "a device cannot publish to or read another device's subtree"),
  },
  {
    broker: 'Mosquitto 2.0',
    setting: 'use_username_as_clientid',
    risk: "a client takes over another identity's session with its client id",
    vendorDefault: 'false',
    kit: (r) => mosquittoListeners(r.mosquittoConf, 'use_username_as_clientid').join('; '),
    proof: testRef('test/integration/attack-matrix.int.test.ts', 'client id spoofing: a device reuses another device client id'),
  },
  {
    broker: 'Mosquitto 2.0',
    setting: 'max_connections',
    risk: 'connection exhaustion',
    vendorDefault: '-1 (unlimited)',
    kit: (r) => mosquittoListeners(r.mosquittoConf, 'max_connections').join('; '),
    proof: testRef('test/audit/rules/dos-1.test.ts', 'compliant: the Mosquitto and the EMQX base stacks'),
  },
  {
    broker: 'Mosquitto 2.0',
    setting: 'max_packet_size / message_size_limit',
    risk: 'memory exhaustion with huge packets',
    vendorDefault: '0 / 0 (unlimited, up to the MQTT maximum of 256 MiB)',
    kit: (r) => `${g1(r, 'max_packet_size')} / ${g1(r, 'message_size_limit')}`,
    proof: testRef(MOSQ_INT, 'an oversize message is not delivered; a packet over max_packet_size disconnects'),
  },
  {
    broker: 'Mosquitto 2.0',
    setting: 'max_keepalive',
    risk: 'idle half-open connections held for hours',
    vendorDefault: '65535 s',
    kit: (r) => `${g1(r, 'max_keepalive')} s`,
    proof: testRef('test/integration/limits-profile.int.test.ts', 'an MQTT 5 keepalive above 1200 s is lowered to 1200 s'),
  },
  {
    broker: 'Mosquitto 2.0',
    setting: 'log_type / log_timestamp_format',
    risk: 'no record of subscriptions; timestamps in Unix seconds',
    vendorDefault: 'error, warning, notice, information / seconds since the Unix epoch',
    kit: (r) => `${mosquittoGlobal(r.mosquittoConf, 'log_type').join(', ')} / ${g1(r, 'log_timestamp_format')}`,
    proof: testRef(MOSQ_INT, 'logs connections and refusals with ISO timestamps to stderr (MON-3)'),
  },
  {
    broker: 'Mosquitto 2.0',
    setting: 'persistence',
    risk: 'queued QoS 1/2 messages lost on restart',
    vendorDefault: 'false',
    kit: (r) => g1(r, 'persistence'),
    proof: testRef('test/integration/queued-delivery.int.test.ts', 'both listeners: delivered after the broker restarts from its persistence directory'),
  },
  {
    broker: 'Mosquitto 2.0',
    setting: 'crlfile',
    risk: 'a leaked client certificate stays valid until it expires',
    vendorDefault: 'none',
    kit: () => 'a CRL signed in the pod when tls.revocation is set (certificate modes); none otherwise',
    proof: testRef('test/integration/certificate-revocation.int.test.ts', 'revoking a certificate cuts its open session within interval + poll + apply; it is refused, a re-issued one is accepted'),
  },
  // EMQX 5.8
  {
    broker: 'EMQX 5.8',
    setting: 'listeners.tcp.default / listeners.ws.default',
    risk: 'plaintext MQTT on 1883 and 8083',
    vendorDefault: 'enabled on 1883 / 8083',
    schemaPath: 'listeners.tcp.*.bind',
    vendorSchemaDefault: '1883',
    kit: (r) => `enable ${e(r, 'listeners.tcp.default.enable')} / enable ${e(r, 'listeners.ws.default.enable')}`,
    proof: testRef(EMQX_UNIT, 'plaintext TCP and WS listeners on'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'authentication',
    risk: 'with no authenticator every client is admitted',
    vendorDefault: '[] (no authenticator: anonymous access)',
    kit: (r) =>
      `${((r.emqx.authentication ?? []) as { mechanism: string; backend: string }[]).map((a) => `${a.mechanism}/${a.backend}`).join(', ')}; ssl listener enable_authn ${e(r, 'listeners.ssl.default.enable_authn')}`,
    proof: testRef(EMQX_UNIT, 'anonymous access (no authenticator)'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'authorization.no_match',
    risk: 'a topic no rule covers is allowed',
    vendorDefault: 'allow',
    schemaPath: 'authorization.no_match',
    vendorSchemaDefault: 'allow',
    kit: (r) => e(r, 'authorization.no_match'),
    proof: testRef(EMQX_UNIT, 'authorization.no_match = allow'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'authorization.deny_action',
    risk: 'a denied client stays connected and keeps trying',
    vendorDefault: 'ignore',
    schemaPath: 'authorization.deny_action',
    vendorSchemaDefault: 'ignore',
    kit: (r) => e(r, 'authorization.deny_action'),
    proof: testRef(EMQX_UNIT, 'deny_action = ignore'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'authorization.cache.enable',
    risk: 'a revoked right stays usable for the cache TTL (1 minute)',
    vendorDefault: 'true (ttl 1m)',
    kit: (r) => e(r, 'authorization.cache.enable'),
    proof: testRef(EMQX_UNIT, 'the authorization cache is off, so a policy change applies to the next check'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'dashboard.default_password',
    risk: 'dashboard login admin/public',
    vendorDefault: 'public',
    schemaPath: 'dashboard.default_password',
    vendorSchemaDefault: 'public',
    kit: (r) => `${e(r, 'dashboard.default_password')} in emqx.conf; set from the admin Secret (key dashboard-password) through EMQX_DASHBOARD__DEFAULT_PASSWORD`,
    proof: testRef(EMQX_UNIT, 'dashboard admin/public'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'node.cookie',
    risk: 'a known Erlang cookie gives full control of a node reachable on the distribution port',
    vendorDefault: 'emqxsecretcookie',
    kit: (r) => `${e(r, 'node.cookie')} in emqx.conf; set from the admin Secret (key cookie) through EMQX_NODE__COOKIE`,
    proof: testRef(EMQX_UNIT, 'cookie emqxsecretcookie'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'cluster.proto_dist / rpc.protocol',
    risk: 'node-to-node traffic in the clear',
    vendorDefault: 'inet_tcp / tcp',
    schemaPath: 'cluster.proto_dist',
    vendorSchemaDefault: 'inet_tcp',
    kit: (r) => `${e(r, 'cluster.proto_dist')} / ${e(r, 'rpc.protocol')}`,
    proof: testRef(EMQX_UNIT, 'node-to-node traffic in the clear'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'prometheus.enable_basic_auth',
    risk: 'metrics readable without credentials',
    vendorDefault: 'false',
    schemaPath: 'prometheus.enable_basic_auth',
    vendorSchemaDefault: 'false',
    kit: (r) => e(r, 'prometheus.enable_basic_auth'),
    proof: testRef(EMQX_UNIT, 'unauthenticated /api/v5/prometheus/stats'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'mqtt.use_username_as_clientid',
    risk: "a client takes over another identity's session with its client id",
    vendorDefault: 'false',
    schemaPath: 'mqtt.use_username_as_clientid',
    vendorSchemaDefault: 'false',
    kit: (r) => e(r, 'mqtt.use_username_as_clientid'),
    proof: testRef(EMQX_UNIT, 'every enabled listener binds the client id to the authenticated identity'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'flapping_detect.enable',
    risk: 'reconnect storms from one client id',
    vendorDefault: 'false',
    schemaPath: 'flapping_detect.enable',
    vendorSchemaDefault: 'false',
    kit: (r) => `${e(r, 'flapping_detect.enable')} (${e(r, 'flapping_detect.max_count')} in ${e(r, 'flapping_detect.window_time')}, ban ${e(r, 'flapping_detect.ban_time')})`,
    proof: testRef(EMQX_UNIT, 'flapping detection off'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'listener max_connections / max_conn_rate / messages_rate / bytes_rate',
    risk: 'connection and message floods',
    vendorDefault: 'infinity / infinity / infinity / infinity',
    kit: (r) => ['max_connections', 'max_conn_rate', 'messages_rate', 'bytes_rate'].map((k) => e(r, `listeners.ssl.default.${k}`)).join(' / '),
    proof: testRef(EMQX_UNIT, 'unlimited connection and message rates'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'mqtt.max_packet_size',
    risk: 'memory exhaustion with large packets',
    vendorDefault: '1MB',
    schemaPath: 'mqtt.max_packet_size',
    vendorSchemaDefault: '"1MB"',
    kit: (r) => e(r, 'mqtt.max_packet_size'),
    proof: testRef(EMQX_UNIT, 'max_packet_size 1 MB'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'mqtt.max_clientid_len / mqtt.max_topic_levels',
    risk: 'oversized client ids and topic trees',
    vendorDefault: '65535 / 128',
    schemaPath: 'mqtt.max_clientid_len',
    vendorSchemaDefault: '65535',
    kit: (r) => `${e(r, 'mqtt.max_clientid_len')} / ${e(r, 'mqtt.max_topic_levels')}`,
    proof: testRef('test/hardening/limits.test.ts', 'EMQX kit defaults: client ids at most 128, topics at most 16 levels'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'listeners.ssl.*.ssl_options.enable_crl_check / crl_cache',
    risk: 'a leaked client certificate stays valid until it expires',
    vendorDefault: 'false / refresh_interval 15m, http_timeout 15s',
    schemaPath: 'listeners.ssl.*.ssl_options.enable_crl_check',
    vendorSchemaDefault: 'false',
    kit: (r) =>
      `${e(r, 'listeners.ssl.default.ssl_options.enable_crl_check')} by default; with tls.revocation (certificate modes, no WSS listener) true, reuse_sessions false, crl_cache refresh_interval 1m (tls.revocation.refreshIntervalMinutes), http_timeout 5s, and a CRL server of the kit`,
    proof: testRef('test/emqx/crl-server.int.test.ts', 'the revoked certificate is refused at the handshake (TLS 1.2 and 1.3), the others are accepted'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'overload_protection.enable',
    risk: 'an overloaded node keeps accepting connections',
    vendorDefault: 'false',
    kit: (r) => e(r, 'overload_protection.enable'),
    proof: testRef(EMQX_UNIT, 'overload protection off'),
  },
  {
    broker: 'EMQX 5.8',
    setting: 'log.console.enable / log.file',
    risk: 'logs in a file inside the container instead of the container log; no per-connection events',
    vendorDefault: 'false / a file handler on',
    schemaPath: 'log.console.enable',
    vendorSchemaDefault: 'false',
    kit: (r) => `${e(r, 'log.console.enable')} / file handler enable ${e(r, 'log.file.default.enable')}; connection, disconnection and authorization events by a console rule`,
    proof: testRef(EMQX_UNIT, 'connection results, disconnections and authorization denials are logged to stdout by a console rule (MON-3)'),
  },
];

/** docs/secure-defaults.md from the rendered defaults. */
export function renderSecureDefaultsDoc(r: RenderedDefaults): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const L = [
    '# Secure defaults: what the kit changes in Mosquitto 2.0 and EMQX 5.8',
    '',
    '<!-- Generated from constructs/hardening/secure-defaults.ts by `npm run docs:hardening`. Do not edit. -->',
    '',
    "Every default a hardening guide would change, the vendor's default, the kit's value and the test that",
    "proves it. The kit's value is read from the configuration the kit renders with its defaults; EMQX's",
    "defaults are checked against the shipped EMQX 5.8 schema where it states them, Mosquitto's come from",
    'its 2.0.21 source (src/conf.c, man/mosquitto.conf.5). A test fails when this file, a schema default or',
    'a named test drifts.',
    '',
  ];
  for (const broker of ['Mosquitto 2.0', 'EMQX 5.8'] as const) {
    L.push(`## ${broker}`, '', '| Setting | Risk | Vendor default | Kit | Proven by |', '| --- | --- | --- | --- | --- |');
    for (const d of SECURE_DEFAULTS.filter((x) => x.broker === broker)) {
      L.push(`| \`${d.setting}\` | ${cell(d.risk)} | ${cell(d.vendorDefault)} | ${cell(d.kit(r))} | \`${d.proof.file}\`: ${cell(d.proof.title)} |`);
    }
    L.push('');
  }
  return `${L.join('\n').trimEnd()}\n`;
}
