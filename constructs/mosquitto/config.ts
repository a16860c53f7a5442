/**
 * Renders `mosquitto.conf` for Mosquitto 2.0 from typed options (baseline TLS-1, TLS-2, AUTH-1,
 * ACL-2, DOS-1, MON-3). Pure: no cdktf. The construct and the local bundle call the same
 * function, so what the tests start is what the cluster runs.
 *
 * Security options are global (`per_listener_settings false`): one password file (or the
 * dynamic-security plugin) and one ACL for every listener. With `per_listener_settings true`,
 * Mosquitto 2.0 up to 2.0.22 forgets a client's listener when it disconnects and then refuses
 * every ACL check for it, so QoS 1/2 messages for an offline client with a persistent session
 * are never queued (Mosquitto issue 2618; measured on 2.0.21). What must differ per listener
 * stays per listener in Mosquitto whatever that setting says: TLS files and versions,
 * `require_certificate`, `use_identity_as_username`, `use_username_as_clientid`,
 * `max_connections` and the bind address (src/conf.c, 2.0.21).
 */
import { assertInt } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';
import { assertTlsPort } from '../core/ports.js';
import { assertRenderable } from '../core/text.js';
import { TLS12_SUITES, TLS13_SUITES } from '../core/tls-suites.js';
import type { MosquittoLimits } from './props.js';
import { resolveLimits } from './resolve.js';

/** TLS 1.2 suites: AEAD with forward secrecy only (baseline TLS-2). */
export const TLS12_CIPHERS = TLS12_SUITES.join(':');
export const TLS13_CIPHERS = TLS13_SUITES.join(':');

export interface MosquittoTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

export interface MosquittoConfigInput {
  /** TLS listener port. @default 8883 */
  readonly port?: number;
  /** Address the TLS listener binds. @default - all addresses */
  readonly bindAddress?: string;
  readonly tls: MosquittoTlsFiles & {
    /** Lowest TLS version accepted. @default '1.2' */
    readonly minVersion?: '1.2' | '1.3';
    /**
     * Require a client certificate signed by the CA in caFile (baseline TLS-5). Only together with
     * useIdentityAsUsername: Mosquitto cannot bind a certificate to a password's identity.
     * @default false
     */
    readonly requireClientCertificate?: boolean;
    /** With client certificates: the certificate CN becomes the MQTT username (the password is ignored). @default false */
    readonly useIdentityAsUsername?: boolean;
    /** CRL (PEM) checked on every listener that requires a client certificate (constructs/tls/revocation.ts). @default - none */
    readonly crlFile?: string;
  };
  /** Password file of every listener that checks passwords. */
  readonly passwordFile: string;
  /** ACL file of every listener. */
  readonly aclFile: string;
  /**
   * Authenticate and authorize every listener with the dynamic-security plugin instead of the
   * password and ACL files (it refuses SUBSCRIBE at SUBACK time; it does not reload on SIGHUP).
   * @default - password_file and acl_file
   */
  readonly dynamicSecurity?: { readonly pluginPath: string; readonly configFile: string };
  readonly limits?: MosquittoLimits;
  /** Force client id = username on every listener, so a client cannot take another's session. @default false */
  readonly clientIdIsUsername?: boolean;
  /** Persistence directory; omit to run without persistence. @default - no persistence */
  readonly persistenceLocation?: string;
  /**
   * A second TLS listener that authenticates by client certificate only (CN = username), for
   * `clientAuth: 'password-or-certificate'`: Mosquitto cannot make certificates optional on one
   * listener (measured: with require_certificate false a presented certificate is not verified).
   * @default - none
   */
  readonly certificateListener?: { readonly port: number };
  /**
   * An authenticated plaintext listener on 127.0.0.1 for an in-pod exporter (baseline TLS-1
   * allows it only on loopback). It authenticates and authorizes like every listener (global
   * password file or plugin, global ACL), so only a process inside the pod can use it.
   * @default - none
   */
  readonly metricsListener?: { readonly port: number };
}

/** A complete configuration input: what {@link writeMosquittoConf} writes, every default applied. */
export interface MosquittoConf extends Omit<MosquittoConfigInput, 'port' | 'limits' | 'tls' | 'clientIdIsUsername'> {
  readonly port: number;
  readonly limits: Required<MosquittoLimits>;
  readonly tls: MosquittoTlsFiles & { readonly minVersion: '1.2' | '1.3'; readonly requireClientCertificate: boolean; readonly crlFile?: string };
  readonly clientIdIsUsername: boolean;
}

/**
 * The `mosquitto.conf` text of a standalone input: validates it, applies its defaults, writes it.
 * A MosquittoBroker's files come from {@link writeMosquittoConf} through files.ts instead, from
 * settings resolve.ts already validated.
 */
export function renderMosquittoConf(input: MosquittoConfigInput): string {
  const port = input.port ?? 8883;
  assertTlsPort('port', port);
  const limits = resolveLimits(input.limits);
  const tls = input.tls;
  if (tls.useIdentityAsUsername && !tls.requireClientCertificate) {
    throw new FortressError(
      'TLS_IDENTITY_WITHOUT_CERT',
      `tls.useIdentityAsUsername is true but tls.requireClientCertificate is ${show(tls.requireClientCertificate)}: without a required certificate there is no identity to use. Set requireClientCertificate: true.`,
    );
  }
  if (tls.requireClientCertificate && !tls.useIdentityAsUsername) {
    throw new FortressError(
      'TLS_CERTIFICATE_NOT_BOUND',
      `tls.requireClientCertificate is true but tls.useIdentityAsUsername is ${show(tls.useIdentityAsUsername)}: Mosquitto 2.0 would check the password and never compare the certificate with the username, so one client's certificate with another identity's password logs in as that identity. Set useIdentityAsUsername: true (the certificate CN is the identity).`,
    );
  }
  if (input.certificateListener) {
    assertTlsPort('certificateListener.port', input.certificateListener.port);
    if (input.certificateListener.port === port) throw new FortressError('PORT_CLASH', `the certificate listener port ${input.certificateListener.port} equals the TLS port; pick another, e.g. 8884.`);
  }
  if (input.metricsListener) {
    assertInt('metricsListener.port', input.metricsListener.port, 1024, 65535);
    if (input.metricsListener.port === port) throw new FortressError('PORT_CLASH', `metricsListener.port ${input.metricsListener.port} equals the TLS port; pick another loopback port.`);
  }
  return writeMosquittoConf({
    ...input,
    port,
    limits,
    tls: { ...tls, minVersion: tls.minVersion ?? '1.2', requireClientCertificate: tls.requireClientCertificate === true },
    clientIdIsUsername: input.clientIdIsUsername === true,
  });
}

/**
 * Writes `mosquitto.conf` from a complete input. The only check left here is that every path
 * written as a value stays one value on its own line (paths come from the caller, e.g. the local
 * bundle's --out directory).
 */
export function writeMosquittoConf(input: MosquittoConf): string {
  const port = input.port;
  const values: [string, string | undefined][] = [
    ['bindAddress', input.bindAddress],
    ['tls.certFile', input.tls.certFile],
    ['tls.keyFile', input.tls.keyFile],
    ['tls.caFile', input.tls.caFile],
    ['tls.crlFile', input.tls.crlFile],
    ['passwordFile', input.passwordFile],
    ['aclFile', input.aclFile],
    ['persistenceLocation', input.persistenceLocation],
    ['dynamicSecurity.pluginPath', input.dynamicSecurity?.pluginPath],
    ['dynamicSecurity.configFile', input.dynamicSecurity?.configFile],
  ];
  for (const [prop, v] of values) if (v !== undefined) assertRenderable('mosquitto.conf', prop, v);
  const { limits, tls } = input;
  const crl = tls.crlFile ? [`crlfile ${tls.crlFile}`] : [];
  /** Every listener binds the client id to the authenticated identity (ACL-2). */
  const bindClientId = input.clientIdIsUsername ? ['use_username_as_clientid true'] : [];
  const L: string[] = [
    '# Rendered by mqtt-fortress. Do not edit: change the construct props.',
    '# Security options are global: one password file (or plugin) and one ACL for every listener.',
    '# per_listener_settings true loses QoS 1/2 messages queued for offline clients in Mosquitto',
    '# up to 2.0.22 (issue 2618). Per-listener options below: TLS, certificates, client ids.',
    'per_listener_settings false',
    'allow_anonymous false',
    ...(input.dynamicSecurity
      ? [`plugin ${input.dynamicSecurity.pluginPath}`, `plugin_opt_config_file ${input.dynamicSecurity.configFile}`]
      : [`password_file ${input.passwordFile}`, `acl_file ${input.aclFile}`]),
    '',
    '# Logging to stderr (unbuffered) with ISO timestamps: connections, auth and subscriptions (MON-3).',
    'log_dest stderr',
    ...['error', 'warning', 'notice', 'information', 'subscribe', 'unsubscribe'].map((t) => `log_type ${t}`),
    'connection_messages true',
    'log_timestamp true',
    'log_timestamp_format %Y-%m-%dT%H:%M:%S',
    '',
    '# Limits against resource abuse (DOS-1).',
    `max_packet_size ${limits.maxPacketSizeBytes}`,
    `message_size_limit ${limits.messageSizeLimitBytes}`,
    `max_inflight_messages ${limits.maxInflightMessages}`,
    `max_queued_messages ${limits.maxQueuedMessages}`,
    `max_keepalive ${limits.maxKeepaliveSeconds}`,
    '',
  ];
  if (input.persistenceLocation) {
    L.push('persistence true', `persistence_location ${input.persistenceLocation.endsWith('/') ? input.persistenceLocation : `${input.persistenceLocation}/`}`, 'autosave_interval 60', '');
  } else {
    L.push('persistence false', '');
  }
  /** The lines every TLS listener shares. */
  const tlsListener = (p: number) => [
    input.bindAddress ? `listener ${p} ${input.bindAddress}` : `listener ${p}`,
    'protocol mqtt',
    `max_connections ${limits.maxConnections}`,
    `certfile ${tls.certFile}`,
    `keyfile ${tls.keyFile}`,
    `cafile ${tls.caFile}`,
    `tls_version tlsv${tls.minVersion}`,
    `ciphers ${TLS12_CIPHERS}`,
    `ciphers_tls1.3 ${TLS13_CIPHERS}`,
  ];
  L.push(
    '# MQTT over TLS only (TLS-1, TLS-2). No plaintext listener is reachable from outside the pod.',
    ...tlsListener(port),
    ...(tls.requireClientCertificate ? ['require_certificate true', 'use_identity_as_username true', ...crl] : ['require_certificate false']),
    ...bindClientId,
    '',
  );
  if (input.certificateListener) {
    L.push(
      '# Client-certificate listener: the certificate CN is the username (no password).',
      ...tlsListener(input.certificateListener.port),
      'require_certificate true',
      'use_identity_as_username true',
      ...crl,
      ...bindClientId,
      '',
    );
  }
  if (input.metricsListener) {
    L.push(
      '# In-pod exporter only: loopback, authenticated like every listener (read $SYS).',
      `listener ${input.metricsListener.port} 127.0.0.1`,
      'protocol mqtt',
      'max_connections 4',
      ...bindClientId,
      '',
    );
  }
  return L.join('\n');
}
