/**
 * Renders a hardened EMQX 5.8 configuration (pure). Every insecure default of EMQX 5.8 is
 * overridden explicitly (see docs/emqx-cluster.md); secrets never appear here: the Erlang cookie and
 * the dashboard password come from environment variables (EMQX_NODE__COOKIE,
 * EMQX_DASHBOARD__DEFAULT_PASSWORD) fed by a Secret, API keys from a file in a Secret volume.
 */

import type { ClientAuth } from '../broker/client-auth.js';
import { FortressError, show } from '../core/errors.js';
import { TLS12_SUITES, TLS13_SUITES } from '../core/tls-suites.js';
import { type EmqxJwtAuth, renderJwtAuthenticator } from './jwt.js';
import { EMQX_PORTS } from './props.js';

export const EMQX_PATHS = {
  conf: '/opt/emqx/etc/emqx.conf',
  fortress: '/opt/emqx/etc/fortress',
  tls: '/opt/emqx/etc/fortress-tls',
  nodeTls: '/opt/emqx/etc/fortress-node-tls',
  sslDist: '/opt/emqx/etc/ssl_dist.conf',
  auth: '/run/fortress/auth',
  admin: '/run/fortress/admin',
  data: '/opt/emqx/data',
} as const;

/** EMQX `ciphers`: the TLS 1.3 suites first, then the TLS 1.2 ones (constructs/core/tls-suites.ts). */
export const EMQX_CIPHERS: readonly string[] = [...TLS13_SUITES, ...TLS12_SUITES];

export interface EmqxLimits {
  /** @default 10000 */
  readonly maxConnections?: number;
  /** New connections per second per node. @default 500 */
  readonly maxConnRatePerSecond?: number;
  /** PUBLISH messages per second per connection (AWS IoT Core: 100). @default 100 */
  readonly messagesPerSecond?: number;
  /** Bytes per second per connection (AWS IoT Core: 512 KB/s). @default 524288 */
  readonly bytesPerSecond?: number;
  /** @default 262144 */
  readonly maxPacketSizeBytes?: number;
  /** @default 20 */
  readonly maxInflight?: number;
  /** @default 1000 */
  readonly maxQueuedMessages?: number;
  /** Longest client id (AWS IoT Core: 128). @default 128 */
  readonly maxClientIdLength?: number;
  /** @default 16 */
  readonly maxTopicLevels?: number;
}

export interface EmqxConfigInput {
  readonly clusterName: string;
  /** DNS name of the headless Service (SRV discovery). */
  readonly discoveryDnsName: string;
  readonly clientAuth: ClientAuth;
  readonly minTlsVersion: '1.2' | '1.3';
  /** Validated, every default applied: resolveEmqxLimits (constructs/emqx/resolve.ts). */
  readonly limits: Required<EmqxLimits>;
  /** MQTT over secure WebSockets on this port. @default - off */
  readonly wssPort?: number;
  /** Token authentication after the password database (constructs/emqx/jwt.ts). @default - none */
  readonly jwt?: EmqxJwtAuth;
  /**
   * CRL checking of client certificates (constructs/emqx/revocation.ts): the root `crl_cache`
   * settings. Needs client certificates (verify_peer). @default - off
   */
  readonly crlCache?: Record<string, unknown>;
}

/** The emqx.conf content as an object; HOCON is a superset of JSON, so JSON.stringify renders it. */
export function renderEmqxConfig(i: EmqxConfigInput): Record<string, unknown> {
  const l = i.limits;
  if (!['password', 'password-and-certificate', 'certificate'].includes(i.clientAuth)) {
    throw new FortressError('EMQX_CLIENT_AUTH', `tls.clientAuth ${show(i.clientAuth)} is not offered for EMQX: use password, password-and-certificate or certificate.`);
  }
  const certs = i.clientAuth !== 'password';
  const versions = i.minTlsVersion === '1.3' ? ['tlsv1.3'] : ['tlsv1.3', 'tlsv1.2'];
  const ssl = (dir: string) => ({ certfile: `${dir}/tls.crt`, keyfile: `${dir}/tls.key`, cacertfile: `${dir}/ca.crt` });
  const listenerSsl = {
    ...ssl(EMQX_PATHS.tls),
    verify: certs ? 'verify_peer' : 'verify_none',
    fail_if_no_peer_cert: certs,
    versions,
    ciphers: i.minTlsVersion === '1.3' ? EMQX_CIPHERS.filter((c) => c.startsWith('TLS_')) : EMQX_CIPHERS,
    honor_cipher_order: true,
    secure_renegotiate: true,
    // CRL check at every full handshake (emqx_listeners.erl inject_crl_config: crl_check = peer).
    // No TLS 1.2 session resumption then: an abbreviated handshake carries no certificate, so a
    // revoked certificate with a cached session would skip the check.
    ...(i.crlCache ? { enable_crl_check: true, reuse_sessions: false } : {}),
  };
  if (i.crlCache && !certs) throw new FortressError('REVOCATION', 'CRL checking needs client certificates: tls.clientAuth must be "certificate" or "password-and-certificate".');
  const limits = {
    max_connections: l.maxConnections,
    max_conn_rate: `${l.maxConnRatePerSecond}/s`,
    messages_rate: `${l.messagesPerSecond}/s`,
    bytes_rate: `${Math.floor(l.bytesPerSecond / 1024)}KB/s`,
  };
  return {
    node: { data_dir: EMQX_PATHS.data },
    cluster: {
      name: i.clusterName,
      discovery_strategy: 'dns',
      dns: { name: i.discoveryDnsName, record_type: 'srv' },
      // Erlang distribution over TLS (ssl_dist.conf holds the node certificate).
      proto_dist: 'inet_tls',
      autoheal: true,
      autoclean: '24h',
    },
    rpc: { protocol: 'ssl', ...ssl(EMQX_PATHS.nodeTls) },
    ...(i.crlCache ? { crl_cache: i.crlCache } : {}),
    listeners: {
      tcp: { default: { enable: false } },
      ws: { default: { enable: false } },
      ssl: { default: { enable: true, bind: '0.0.0.0:8883', enable_authn: true, ...limits, ssl_options: listenerSsl } },
      wss: { default: i.wssPort !== undefined ? { enable: true, bind: `0.0.0.0:${i.wssPort}`, enable_authn: true, ...limits, ssl_options: listenerSsl } : { enable: false } },
    },
    // Zone-level settings: every listener above is in the default zone (none sets `zone`), so
    // these apply to all of them.
    mqtt: {
      max_packet_size: `${Math.floor(l.maxPacketSizeBytes / 1024)}KB`,
      max_clientid_len: l.maxClientIdLength,
      max_topic_levels: l.maxTopicLevels,
      max_inflight: l.maxInflight,
      max_mqueue_len: l.maxQueuedMessages,
      ...emqxIdentityBinding(i.clientAuth),
    },
    authentication: [
      {
        mechanism: 'password_based',
        backend: 'built_in_database',
        // With certificate-only clients the CN is the username and no password is checked.
        enable: i.clientAuth !== 'certificate',
        user_id_type: 'username',
        password_hash_algorithm: { name: 'pbkdf2', mac_fun: 'sha256', iterations: 4096, dk_length: 32 },
        // Hashes only: the init container hashes the Secret's passwords into this file.
        bootstrap_file: `${EMQX_PATHS.auth}/bootstrap.csv`,
        bootstrap_type: 'hash',
      },
      ...(i.jwt ? [renderJwtAuthenticator(i.jwt)] : []),
    ],
    authorization: {
      no_match: 'deny',
      deny_action: 'disconnect',
      // Off: with the cache on, a connected client keeps a cached decision up to its TTL (1 min by
      // default) after a policy change. emqx_authz_cache:is_enabled/1 reads `enable`.
      cache: { enable: false },
      sources: [{ type: 'file', enable: true, path: `${EMQX_PATHS.fortress}/acl.conf` }],
    },
    flapping_detect: { enable: true, window_time: '1m', max_count: 15, ban_time: '5m' },
    force_shutdown: { max_mailbox_size: 1000, max_heap_size: '32MB' },
    // Under CPU or scheduler overload: refuse new connections, skip forced GC and hibernation.
    overload_protection: { enable: true, backoff_new_conn: true, backoff_gc: true, backoff_hibernation: true, backoff_delay: 1 },
    // Dashboard and REST API (also /api/v5/prometheus/stats): the Service does not expose it and
    // the NetworkPolicy admits only the monitoring namespace. Its password comes from a Secret.
    dashboard: { listeners: { http: { enable: true, bind: `0.0.0.0:${EMQX_PORTS.dashboard}` } } },
    api_key: { bootstrap_file: `${EMQX_PATHS.admin}/api-keys` },
    prometheus: { enable_basic_auth: true },
    log: { console: { enable: true, level: 'warning', formatter: 'json', time_offset: 'system' }, file: { default: { enable: false } } },
    // MON-3: EMQX 5.8 (open source) writes no log line per connection at any level below debug,
    // and logs authentication failures and subscribe denials throttled (once per minute). This
    // rule prints every connection result (authentication failures included), every
    // disconnection and every authorization denial to stdout, with the event's timestamp.
    rule_engine: {
      rules: {
        [EMQX_EVENT_LOG_RULE]: {
          sql: EMQX_EVENT_LOG_SQL,
          actions: [{ function: 'console' }],
          enable: true,
          description: 'mqtt-fortress: connection, authentication and authorization events to stdout (MON-3)',
        },
      },
    },
  };
}

/** Name of the rule-engine rule that logs client events (MON-3). */
export const EMQX_EVENT_LOG_RULE = 'fortress_client_events';
/** Its SQL: connection results (reason_code not_authorized etc.), disconnections, authorization denials. */
export const EMQX_EVENT_LOG_SQL =
  'SELECT event, timestamp, clientid, username, peername, reason_code, reason, topic, action, result FROM "$events/client_connack", "$events/client_disconnected", "$events/client_check_authz_complete" WHERE event <> \'client.check_authz_complete\' or result = \'deny\'';

/**
 * Binds the client id to the authenticated identity on every listener (AUTH-5), from
 * emqx_channel.erl (5.8.9): `set_peercert_infos/3` sets username and client id from the
 * certificate when `peer_cert_as_username` / `peer_cert_as_clientid` say so; `set_username/2`
 * takes the CONNECT username only when none is set yet; `maybe_username_as_clientid/2` then
 * replaces the client id by the username. With certificates, the CN is the username, so a
 * password is checked for the CN's identity: a certificate cannot log in as another identity.
 */
export function emqxIdentityBinding(clientAuth: ClientAuth): Record<string, unknown> {
  const certs = clientAuth === 'certificate' || clientAuth === 'password-and-certificate';
  return { use_username_as_clientid: true, ...(certs ? { peer_cert_as_username: 'cn', peer_cert_as_clientid: 'cn' } : {}) };
}

/** etc/ssl_dist.conf: TLS for the Erlang distribution, mutual, with the node certificate. */
export function renderSslDist(minTlsVersion: '1.2' | '1.3'): string {
  const v = minTlsVersion === '1.3' ? "['tlsv1.3']" : "['tlsv1.3', 'tlsv1.2']";
  const files = `{certfile, "${EMQX_PATHS.nodeTls}/tls.crt"}, {keyfile, "${EMQX_PATHS.nodeTls}/tls.key"}, {cacertfile, "${EMQX_PATHS.nodeTls}/ca.crt"}`;
  return [
    '%% Rendered by mqtt-fortress: node-to-node (Erlang distribution) TLS, both sides verified.',
    `[{server, [${files}, {verify, verify_peer}, {fail_if_no_peer_cert, true}, {secure_renegotiate, true}, {versions, ${v}}]},`,
    ` {client, [${files}, {verify, verify_peer}, {secure_renegotiate, true}, {versions, ${v}}]}].`,
    '',
  ].join('\n');
}
