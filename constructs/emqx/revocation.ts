/**
 * Certificate revocation for an EmqxCluster (Device Defender REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE).
 *
 * EMQX 5.8 does not read a CRL file: with `ssl_options.enable_crl_check = true` a listener checks
 * each client certificate against the CRL it fetches over HTTP from the certificate's CRL
 * distribution point (emqx_listeners.erl `inject_crl_config/2`: OTP ssl `crl_check => peer`,
 * `crl_cache => {emqx_ssl_crl_cache, {internal, [{http, Timeout}]}}`), caches it per URL and
 * fetches it again every `crl_cache.refresh_interval` (emqx_crl_cache.erl; at least 1 minute).
 *
 * So the kit runs a CRL server: two pods (a StatefulSet) in the EMQX image (already pinned by digest) that
 * signs the declared list with the client CA (templates/emqx/fortress-crl.erl, Erlang public_key)
 * and serves it at `http://<name>-crl.<namespace>.svc.cluster.local:8080/crl.pem`. Only its pods
 * mount the CA key, under their own UID; a NetworkPolicy admits only the EMQX pods. The client
 * CA's issuer stamps that URL into every client certificate (BrokerCertificates does it for the
 * bootstrap and existing-ca issuers: cert-manager `spec.ca.crlDistributionPoints`).
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { assertInt } from '../core/checks.js';
import { FortressError } from '../core/errors.js';
import type { K8sObject } from '../k8s/objects.js';
import { restrictedContainer, restrictedPod } from '../k8s/values.js';
import { templatePath } from '../templates.js';
import { type CertificateRevocationProps, crlCaVolume, type ResolvedRevocation, renderRevocationIndex, resolveRevocation } from '../tls/revocation.js';

export interface EmqxRevocationProps extends CertificateRevocationProps {
  /**
   * How often every EMQX node fetches the CRL again (`crl_cache.refresh_interval`). A revoked
   * certificate is refused at its next TLS handshake once its node has fetched the new CRL.
   * EMQX raises values below 1 minute to 1 minute (emqx_crl_cache.erl MIN_REFRESH_PERIOD).
   * @default 1
   */
  readonly refreshIntervalMinutes?: number;
}

export interface ResolvedEmqxRevocation extends ResolvedRevocation {
  readonly refreshIntervalMinutes: number;
  /** The CRL distribution point URL every client certificate must carry. */
  readonly url: string;
}

/** A list larger than this ships gzipped in the ConfigMap's binaryData (as Mosquitto's large files do). */
const INLINE_FILE_LIMIT = 256 * 1024;

/** Port of the CRL server's HTTP listener. */
export const EMQX_CRL_PORT = 8080;
/** How often the CRL server reads the list and the CA again (ms). */
export const EMQX_CRL_CHECK_MS = 10_000;
/** EMQX's timeout for one CRL fetch (`crl_cache.http_timeout`); a handshake that misses the cache waits up to this long. */
export const EMQX_CRL_HTTP_TIMEOUT = '5s';

const MOUNT = { config: '/opt/emqx/etc/fortress-crl', ca: '/run/fortress/crl-ca', trust: '/run/fortress/crl-trust' } as const;

/** Validates `tls.revocation` for a cluster; the URL derives from the cluster's name and namespace. */
export function resolveEmqxRevocation(
  prop: string,
  r: EmqxRevocationProps | undefined,
  clientAuth: string,
  name: string,
  namespace: string,
  wssPort: number | undefined,
): ResolvedEmqxRevocation | undefined {
  if (r === undefined) return undefined;
  if (wssPort !== undefined) {
    throw new FortressError(
      'REVOCATION',
      `${prop} is set together with wssPort: EMQX 5.8 checks CRLs on the MQTT-over-TLS listener only. Its WebSocket listeners run on ranch/cowboy and their ssl_options have no enable_crl_check (emqx_schema.erl server_ssl_opts_schema/2 adds it only when not IsRanchListener), so a revoked certificate would still connect over WSS. Remove wssPort or ${prop}.`,
    );
  }
  if (clientAuth === 'password') {
    throw new FortressError(
      'REVOCATION',
      `${prop} is set but tls.clientAuth is "password": no listener takes client certificates, so there is nothing to revoke. Use clientAuth "certificate" or "password-and-certificate", or remove ${prop} (for passwords, remove the identity from the policy).`,
    );
  }
  const base = resolveRevocation(prop, r);
  const refreshIntervalMinutes = r.refreshIntervalMinutes ?? 1;
  assertInt(
    `${prop}.refreshIntervalMinutes`,
    refreshIntervalMinutes,
    1,
    1440,
    'EMQX fetches the CRL at most once a minute (shorter values are raised to 1); the time until a revoked certificate is refused grows with this value.',
  );
  if (refreshIntervalMinutes * 60 * 2 > base.crlValidityHours * 3600) {
    throw new FortressError(
      'REVOCATION',
      `${prop}.refreshIntervalMinutes (${refreshIntervalMinutes}) must be at most half of crlValidityHours (${base.crlValidityHours}h): EMQX would keep a CRL past its nextUpdate and then refuse every client certificate. Lower refreshIntervalMinutes.`,
    );
  }
  return { ...base, refreshIntervalMinutes, url: `http://${name}-crl.${namespace}.svc.cluster.local:${EMQX_CRL_PORT}/crl.pem` };
}

/** The root `crl_cache` of emqx.conf (emqx_schema.erl fields("crl_cache"), a hidden root). */
export function emqxCrlCache(r: ResolvedEmqxRevocation): Record<string, unknown> {
  return { refresh_interval: `${r.refreshIntervalMinutes}m`, http_timeout: EMQX_CRL_HTTP_TIMEOUT };
}

export interface EmqxCrlParts {
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  /** UID of the CRL server (its own, not the broker's). */
  readonly runAsUser: number;
  /** Secret of the listener certificate; its ca.crt is the client CA bundle EMQX trusts. */
  readonly tlsSecretName: string;
  readonly labels: Record<string, string>;
  /** Selector of the EMQX pods, the only clients of the CRL server. */
  readonly emqxSelector: Record<string, string>;
}

/** ConfigMap, StatefulSet, Service and NetworkPolicy of the CRL server. */
export function emqxCrlObjects(r: ResolvedEmqxRevocation, p: EmqxCrlParts): K8sObject[] {
  const n = `${p.name}-crl`;
  const labels = { ...p.labels, 'app.kubernetes.io/component': 'crl-server' };
  const selector = { 'app.kubernetes.io/name': 'emqx-crl', 'app.kubernetes.io/instance': p.name };
  const meta = { name: n, namespace: p.namespace, labels: { ...labels, ...selector } };
  const index = renderRevocationIndex(r);
  const packed = Buffer.byteLength(index) > INLINE_FILE_LIMIT;
  const script = readFileSync(templatePath('emqx/fortress-crl.erl'), 'utf8');
  const launcher = readFileSync(templatePath('emqx/fortress-crl.sh'), 'utf8');
  const data: Record<string, string> = { 'fortress-crl.erl': script, 'fortress-crl.sh': launcher, ...(packed ? {} : { 'revoked.index': index }) };
  const binaryData = packed ? { 'revoked.index.gz': gzipSync(index, { level: 9 }).toString('base64') } : undefined;
  const size = Object.values(data).reduce((s, v) => s + Buffer.byteLength(v), 0) + Object.values(binaryData ?? {}).reduce((s, v) => s + v.length, 0);
  if (size > 1_000_000) {
    throw new FortressError(
      'REVOCATION',
      `tls.revocation.revoked has ${r.revoked.length} entries: ${size} bytes even compressed, over Kubernetes' 1 MiB ConfigMap limit. Issue a new client CA and retire the old one instead.`,
    );
  }
  // The list reloads without a restart (the volume has no subPath); the program restarts the pod.
  const restartHash = createHash('sha256').update(script).update(launcher).digest('hex').slice(0, 16);
  const small = { requests: { cpu: '20m', memory: '64Mi', 'ephemeral-storage': '16Mi' }, limits: { cpu: '250m', memory: '192Mi', 'ephemeral-storage': '32Mi' } };
  const probe = { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 };
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...meta }, data, ...(binaryData ? { binaryData } : {}) },
    {
      apiVersion: 'apps/v1',
      // A StatefulSet without volumes of its own (the kit's typed resources cover StatefulSets).
      kind: 'StatefulSet',
      metadata: { ...meta },
      spec: {
        // Two replicas: EMQX refuses client certificates whose CRL it cannot fetch and has not cached.
        replicas: 2,
        serviceName: n,
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        selector: { matchLabels: { ...selector } },
        template: {
          metadata: { labels: { ...labels, ...selector }, annotations: { 'mqtt-fortress.io/restart-hash': restartHash } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: restrictedPod(p.runAsUser, p.runAsUser),
            containers: [
              {
                name: 'crl-server',
                image: p.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/sh', `${MOUNT.config}/fortress-crl.sh`],
                env: [
                  { name: 'FORTRESS_CRL_INDEX', value: `${MOUNT.config}/revoked.index${packed ? '.gz' : ''}` },
                  { name: 'FORTRESS_CRL_CA', value: MOUNT.ca },
                  { name: 'FORTRESS_CRL_TRUST', value: `${MOUNT.trust}/ca.crt` },
                  { name: 'FORTRESS_CRL_HOURS', value: String(r.crlValidityHours) },
                  { name: 'FORTRESS_CRL_REFRESH', value: String(r.refreshHours * 3600) },
                  { name: 'FORTRESS_CRL_PORT', value: String(EMQX_CRL_PORT) },
                  { name: 'FORTRESS_CRL_CHECK_MS', value: String(EMQX_CRL_CHECK_MS) },
                  { name: 'ERL_CRASH_DUMP_BYTES', value: '0' },
                ],
                ports: [{ name: 'http', containerPort: EMQX_CRL_PORT, protocol: 'TCP' }],
                securityContext: restrictedContainer(),
                resources: small,
                readinessProbe: { ...probe, initialDelaySeconds: 5 },
                livenessProbe: { tcpSocket: { port: 'http' }, initialDelaySeconds: 30, periodSeconds: 30 },
                volumeMounts: [
                  { name: 'config', mountPath: MOUNT.config, readOnly: true },
                  { name: 'ca', mountPath: MOUNT.ca, readOnly: true },
                  { name: 'trust', mountPath: MOUNT.trust, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: n, defaultMode: 0o440 } },
              // The client CA's certificate and key: only this pod mounts them.
              crlCaVolume('ca', r),
              { name: 'trust', secret: { secretName: p.tlsSecretName, defaultMode: 0o440, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { ...meta },
      spec: { type: 'ClusterIP', selector: { ...selector }, ports: [{ name: 'http', port: EMQX_CRL_PORT, targetPort: 'http', protocol: 'TCP' }] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { ...meta },
      spec: {
        podSelector: { matchLabels: { ...selector } },
        // Ingress from the EMQX pods only; no egress at all (it reads files and answers).
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { ...p.emqxSelector } } }], ports: [{ protocol: 'TCP', port: EMQX_CRL_PORT }] }],
      },
    },
  ];
}

/** The EMQX pods' egress rule to the CRL server. */
export function emqxCrlEgress(name: string): Record<string, unknown> {
  return { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'emqx-crl', 'app.kubernetes.io/instance': name } } }], ports: [{ protocol: 'TCP', port: EMQX_CRL_PORT }] };
}
