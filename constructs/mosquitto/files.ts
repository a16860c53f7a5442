/**
 * Step 3 of 4 of a MosquittoBroker: the files the broker reads (mosquitto.conf, ACL, user list,
 * dynamic-security template), rendered from a {@link ResolvedMosquitto} only. The construct (pod
 * paths) and the local bundle (a local directory) both render through here.
 */
import { renderDynsec, renderMosquittoAcl } from '../policy/render-mosquitto.js';
import { renderRevocationIndex } from '../tls/revocation.js';
import { writeMosquittoConf } from './config.js';
import type { ResolvedMosquitto } from './resolve.js';

/** Files the broker reads, rendered from the options. */
export interface MosquittoFiles {
  readonly 'mosquitto.conf': string;
  readonly acl: string;
  /** Every identity of the policy; the init container hashes their passwords. */
  readonly users: string;
  /** dynamic-security mode: the plugin's JSON with markers where the init container puts hashes. */
  readonly 'dynamic-security-template.json'?: string;
  /** With tls.revocation: the declared revoked certificates as an openssl ca database. */
  readonly 'revoked.index'?: string;
}

/**
 * Files larger than this ship gzipped in the ConfigMap's binaryData (a ConfigMap holds at most
 * 1 MiB; the ACL of 10 000 devices is about 1.35 MB) and the init container unpacks them.
 */
export const INLINE_FILE_LIMIT = 256 * 1024;

/** Where the eclipse-mosquitto image keeps the dynamic-security plugin. */
export const IMAGE_DYNSEC_PLUGIN = '/usr/lib/mosquitto_dynamic_security.so';

/** Where the rendered files point to: the pod's paths, or a local directory's. */
export interface MosquittoFilePaths {
  readonly config: string;
  readonly tls: string;
  readonly auth: string;
  /** Persistence directory. @default - no persistence */
  readonly data?: string;
  /** @default - all addresses */
  readonly bindAddress?: string;
  /** @default IMAGE_DYNSEC_PLUGIN */
  readonly dynsecPlugin?: string;
  /** Point the ACL at the auth volume when it is too large to ship inline (the init container unpacks it). @default false */
  readonly packLargeFiles?: boolean;
}

/** Renders the broker's files for `paths` from settings {@link resolveMosquitto} produced. */
export function renderMosquittoFiles(r: ResolvedMosquitto, paths: MosquittoFilePaths): MosquittoFiles {
  const dynsec = r.aclMode === 'dynamic-security';
  // Class pattern lines apply to every authenticated client: only where the kit's password file
  // (or the plugin's client list) is the only way in, i.e. no certificate listener (docs/scale.md).
  const aclOpts = { clientIdIsUsername: r.clientIdIsUsername, classPatterns: r.tls.clientAuth === 'password' };
  const acl = renderMosquittoAcl(r.policy, aclOpts);
  // A packed ACL is unpacked and validated by the init container into the auth volume.
  const aclFile = paths.packLargeFiles && !dynsec && Buffer.byteLength(acl) > INLINE_FILE_LIMIT ? `${paths.auth}/acl` : `${paths.config}/acl`;
  const certificateOnly = r.tls.clientAuth === 'certificate';
  const conf = writeMosquittoConf({
    port: r.port,
    ...(paths.bindAddress ? { bindAddress: paths.bindAddress } : {}),
    tls: {
      certFile: `${paths.tls}/tls.crt`,
      keyFile: `${paths.tls}/tls.key`,
      caFile: `${paths.tls}/ca.crt`,
      minVersion: r.tls.minVersion,
      requireClientCertificate: certificateOnly,
      ...(r.revocation ? { crlFile: `${paths.tls}/crl.pem` } : {}),
    },
    ...(r.certificatePort !== undefined ? { certificateListener: { port: r.certificatePort } } : {}),
    passwordFile: `${paths.auth}/passwd`,
    aclFile,
    ...(dynsec ? { dynamicSecurity: { pluginPath: paths.dynsecPlugin ?? IMAGE_DYNSEC_PLUGIN, configFile: `${paths.auth}/dynamic-security.json` } } : {}),
    limits: r.limits,
    clientIdIsUsername: r.clientIdIsUsername,
    ...(paths.data ? { persistenceLocation: paths.data } : {}),
    ...(r.metricsListenerPort !== undefined ? { metricsListener: { port: r.metricsListenerPort } } : {}),
  });
  return {
    'mosquitto.conf': conf,
    acl,
    users: `${r.policy.principals.map((p) => p.username).join('\n')}\n`,
    ...(dynsec ? { 'dynamic-security-template.json': `${JSON.stringify(renderDynsec(r.policy, 'markers', aclOpts))}\n` } : {}),
    ...(r.revocation ? { 'revoked.index': renderRevocationIndex(r.revocation) } : {}),
  };
}
