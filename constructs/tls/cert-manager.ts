/**
 * cert-manager objects for a broker (baseline TLS-3, TLS-5, AUTH-3), pure: the issuer chosen
 * with one prop, the server Certificate, and client certificates for mutual TLS. Every object is
 * validated against the cert-manager CRD schemas; durations and key sizes outside policy are
 * synth-time errors.
 */

import { assertRegion } from '../aws/region.js';
import { assertDnsLabel } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';
import { type K8sObject, registerModelSchema } from '../k8s/objects.js';
import { DAYS, HOURS, parseDuration } from './duration.js';

registerModelSchema('cert-manager.io/v1', 'Issuer', '@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer');
registerModelSchema('cert-manager.io/v1', 'Certificate', '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate');
registerModelSchema('awspca.cert-manager.io/v1beta1', 'AWSPCAIssuer', '@kubernetes-models/cert-manager/awspca.cert-manager.io/v1beta1/AWSPCAIssuer');

/** Key algorithms allowed by policy: RSA below 3072 bits is refused (CA/DEVICE_CERTIFICATE_KEY_QUALITY). */
export type KeyAlgorithm = 'ECDSA-P256' | 'ECDSA-P384' | 'RSA-3072' | 'RSA-4096';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ECDSA-P256', 'ECDSA-P384', 'RSA-3072', 'RSA-4096'];

/** Where certificates come from: one prop, one strategy. */
export type IssuerStrategy =
  /** For clusters without a PKI: SelfSigned issuer -> CA Certificate -> CA Issuer, per broker. */
  | { readonly kind: 'bootstrap'; readonly caKeyAlgorithm?: KeyAlgorithm; readonly caDuration?: string }
  /** A CA you already have, as a kubernetes.io/tls Secret (tls.crt, tls.key) in the broker namespace. */
  | { readonly kind: 'existing-ca'; readonly secretName: string }
  /** ACME (e.g. Let's Encrypt) with DNS-01 through Route 53. HTTP-01 is refused. */
  | {
      readonly kind: 'acme';
      readonly email: string;
      /** @default Let's Encrypt production */
      readonly server?: string;
      readonly challenge: { readonly dns01: { readonly route53: { readonly region: string; readonly hostedZoneId: string; readonly role?: string } } } | { readonly http01: unknown };
    }
  /** AWS Private CA through the aws-privateca-issuer (awspca.cert-manager.io). */
  | { readonly kind: 'aws-pca'; readonly arn: string; readonly region: string }
  /** An existing cluster-scoped issuer by name. */
  | { readonly kind: 'cluster-issuer'; readonly name: string; readonly issuerKind?: 'ClusterIssuer' | 'AWSPCAClusterIssuer' };

export interface CertificatePolicy {
  /** At most 8760h (1 year). @default '2160h' (90 days) */
  readonly duration?: string;
  /** When to renew; less than duration, at least 1h. @default '720h' (30 days) */
  readonly renewBefore?: string;
  /** @default 'ECDSA-P256' */
  readonly keyAlgorithm?: KeyAlgorithm;
}

export interface BrokerTlsOptions {
  readonly issuer: IssuerStrategy;
  /** Broker name (object names derive from it). */
  readonly name: string;
  readonly namespace: string;
  /** Secret the server Certificate writes, the broker's tls.secretName. */
  readonly secretName: string;
  /** Names of the broker's Services (each gets its in-cluster DNS names). */
  readonly serviceNames: readonly string[];
  /** Extra DNS names, e.g. the load balancer's. @default - none */
  readonly extraDnsNames?: readonly string[];
  readonly server?: CertificatePolicy;
  /** Client certificates for mutual TLS: one per username, CN = username. @default - none */
  readonly clients?: CertificatePolicy & {
    readonly usernames: readonly string[];
    /**
     * Issuer for client certificates. Required with an ACME server issuer (public CAs do not issue
     * client certificates for private identities).
     * @default - the server issuer
     */
    readonly issuer?: IssuerStrategy;
    /**
     * The broker checks revocation through a CRL at this URL (EMQX tls.revocation): the client
     * CA issuer stamps it into every certificate it issues (cert-manager CA issuer
     * `crlDistributionPoints`), and `caSecretName` must be that issuer's CA Secret (the CA that
     * signs the CRL). Only the bootstrap and existing-ca issuers can do this.
     * @default - none
     */
    readonly revocation?: { readonly crlDistributionPoint: string; readonly caSecretName: string };
  };
  readonly clusterDomain?: string;
  /** A certificate for node-to-node traffic (EMQX distribution and RPC): server and client auth. @default - none */
  readonly nodeCertificate?: { readonly secretName: string; readonly dnsNames: readonly string[] };
}

export interface BrokerTlsBuild {
  readonly objects: K8sObject[];
  /** The objects the broker must wait for (server Certificate). */
  readonly serverCertificateName: string;
  readonly clientSecretNames: Record<string, string>;
  /** For the report: issuer kind and lifetimes. */
  readonly summary: { issuer: string; serverDurationHours: number; serverRenewBeforeHours: number; clientDurationHours?: number; keyAlgorithm: KeyAlgorithm };
}

export const MAX_LEAF_SECONDS = 365 * DAYS;
export const MAX_CA_SECONDS = 10 * 365 * DAYS;

function privateKey(prop: string, alg: KeyAlgorithm | undefined, rotationPolicy: 'Always' | 'Never'): Record<string, unknown> {
  const a = alg ?? 'ECDSA-P256';
  if (!KEY_ALGORITHMS.includes(a)) {
    throw new FortressError('TLS_KEY', `${prop} must be one of ${KEY_ALGORITHMS.join(', ')}, got ${show(alg)}: RSA below 3072 bits is refused by policy (key quality).`);
  }
  const [algorithm, size] = a === 'ECDSA-P256' ? ['ECDSA', 256] : a === 'ECDSA-P384' ? ['ECDSA', 384] : a === 'RSA-3072' ? ['RSA', 3072] : ['RSA', 4096];
  return { algorithm, size, encoding: 'PKCS8', rotationPolicy };
}

function lifetimes(prop: string, p: CertificatePolicy | undefined, max: number): { duration: string; renewBefore: string; d: number; r: number } {
  const duration = p?.duration ?? '2160h';
  const renewBefore = p?.renewBefore ?? '720h';
  const d = parseDuration(`${prop}.duration`, duration);
  const r = parseDuration(`${prop}.renewBefore`, renewBefore);
  if (d > max) throw new FortressError('TLS_DURATION', `${prop}.duration ${show(duration)} exceeds ${max / HOURS}h (${max / DAYS} days), the longest lifetime policy allows (baseline TLS-3, AUTH-3).`);
  if (d < DAYS) throw new FortressError('TLS_DURATION', `${prop}.duration ${show(duration)} is shorter than 24h; cert-manager would renew almost continuously.`);
  if (r < HOURS || r >= d) throw new FortressError('TLS_DURATION', `${prop}.renewBefore ${show(renewBefore)} must be at least 1h and shorter than duration ${show(duration)}.`);
  return { duration, renewBefore, d, r };
}

interface IssuerRef {
  readonly ref: { name: string; kind: string; group: string };
  readonly objects: K8sObject[];
  readonly label: string;
  /** The Secret holding the CA certificate and key, for the issuers the kit runs as a cert-manager CA issuer. */
  readonly caSecretName?: string;
}

/**
 * A CRL distribution point URL as EMQX 5.8 fetches it: plain http (emqx_ssl_crl_cache caches only
 * `http` URLs; a CRL is signed, so it needs no TLS), a host name, an optional port, a path.
 */
export function assertCrlUrl(prop: string, url: unknown): string {
  if (typeof url !== 'string' || url.length > 512 || !/^http:\/\/([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?(:[1-9][0-9]{0,4})?\/[A-Za-z0-9._~/-]*$/.test(url)) {
    throw new FortressError(
      'REVOCATION_URL',
      `${prop} must be an http:// URL with a lower-case host name and a path (at most 512 characters), got ${show(url)}, e.g. "http://emqx-crl.mqtt.svc.cluster.local:8080/crl.pem".`,
    );
  }
  const port = /:(\d+)\//.exec(url)?.[1];
  if (port && Number(port) > 65535) throw new FortressError('REVOCATION_URL', `${prop} has port ${port}, above 65535.`);
  return url;
}

function issuerFor(prop: string, s: IssuerStrategy, o: BrokerTlsOptions, suffix: string, labels: Record<string, string>): IssuerRef {
  const ns = o.namespace;
  const meta = (name: string) => ({ name, namespace: ns, labels: { ...labels } });
  const cm = 'cert-manager.io';
  switch (s?.kind) {
    case 'bootstrap': {
      const ca = lifetimes(`${prop}.caDuration`, { duration: s.caDuration ?? '26280h', renewBefore: '2160h' }, MAX_CA_SECONDS);
      const base = `${o.name}${suffix}`;
      return {
        ref: { name: `${base}-ca`, kind: 'Issuer', group: cm },
        label: `bootstrap CA ${base}-ca (${ca.d / DAYS} days, self-signed root kept in Secret ${base}-ca)`,
        caSecretName: `${base}-ca`,
        objects: [
          { apiVersion: `${cm}/v1`, kind: 'Issuer', metadata: meta(`${base}-selfsigned`), spec: { selfSigned: {} } },
          {
            apiVersion: `${cm}/v1`,
            kind: 'Certificate',
            metadata: meta(`${base}-ca`),
            spec: {
              isCA: true,
              commonName: `${base} MQTT CA (mqtt-fortress)`,
              secretName: `${base}-ca`,
              duration: ca.duration,
              renewBefore: ca.renewBefore,
              // The CA keeps its key on renewal so every issued certificate keeps verifying.
              privateKey: privateKey(`${prop}.caKeyAlgorithm`, s.caKeyAlgorithm, 'Never'),
              usages: ['cert sign', 'crl sign', 'digital signature'],
              issuerRef: { name: `${base}-selfsigned`, kind: 'Issuer', group: cm },
            },
          },
          { apiVersion: `${cm}/v1`, kind: 'Issuer', metadata: meta(`${base}-ca`), spec: { ca: { secretName: `${base}-ca` } } },
        ],
      };
    }
    case 'existing-ca':
      assertDnsLabel(`${prop}.secretName`, s.secretName);
      return {
        ref: { name: `${o.name}${suffix}-ca`, kind: 'Issuer', group: cm },
        label: `existing CA in Secret ${s.secretName}`,
        caSecretName: s.secretName,
        objects: [{ apiVersion: `${cm}/v1`, kind: 'Issuer', metadata: meta(`${o.name}${suffix}-ca`), spec: { ca: { secretName: s.secretName } } }],
      };
    case 'acme': {
      if ('http01' in s.challenge) {
        throw new FortressError(
          'TLS_ACME_HTTP01',
          `${prop}.challenge is HTTP-01, which needs an HTTP server on port 80 reachable from the internet for the broker's names; an MQTT-only broker serves no HTTP and must not open port 80. Use { dns01: { route53: { region, hostedZoneId } } }.`,
        );
      }
      if (typeof s.email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s.email))
        throw new FortressError('TLS_ACME', `${prop}.email must be an e-mail address for expiry notices, got ${show(s.email)}.`);
      const r53 = s.challenge?.dns01?.route53;
      if (!r53) throw new FortressError('TLS_ACME', `${prop}.challenge must be { dns01: { route53: { region, hostedZoneId } } }.`);
      assertRegion(`${prop}.challenge.dns01.route53.region`, r53.region);
      if (!/^Z[A-Z0-9]{1,31}$/.test(r53.hostedZoneId ?? ''))
        throw new FortressError('TLS_ACME', `${prop}.challenge.dns01.route53.hostedZoneId must be a Route 53 hosted zone id such as "Z0123456789ABC", got ${show(r53.hostedZoneId)}.`);
      const server = s.server ?? 'https://acme-v02.api.letsencrypt.org/directory';
      if (!server.startsWith('https://')) throw new FortressError('TLS_ACME', `${prop}.server must be an https:// ACME directory URL, got ${show(server)}.`);
      const name = `${o.name}${suffix}-acme`;
      return {
        ref: { name, kind: 'Issuer', group: cm },
        label: `ACME ${server} (DNS-01, Route 53 zone ${r53.hostedZoneId})`,
        objects: [
          {
            apiVersion: `${cm}/v1`,
            kind: 'Issuer',
            metadata: meta(name),
            spec: {
              acme: {
                email: s.email,
                server,
                privateKeySecretRef: { name: `${name}-account` },
                // Credentials come from cert-manager's own IRSA / Pod Identity role, never from a Secret.
                solvers: [{ dns01: { route53: { region: r53.region, hostedZoneID: r53.hostedZoneId, ...(r53.role ? { role: r53.role } : {}) } } }],
              },
            },
          },
        ],
      };
    }
    case 'aws-pca':
      if (!/^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[0-9a-f-]{36}$/.test(s.arn ?? '')) {
        throw new FortressError('TLS_PCA', `${prop}.arn must be an AWS Private CA ARN (arn:aws:acm-pca:<region>:<account>:certificate-authority/<uuid>), got ${show(s.arn)}.`);
      }
      assertRegion(`${prop}.region`, s.region);
      return {
        ref: { name: `${o.name}${suffix}-pca`, kind: 'AWSPCAIssuer', group: 'awspca.cert-manager.io' },
        label: `AWS Private CA ${s.arn}`,
        objects: [{ apiVersion: 'awspca.cert-manager.io/v1beta1', kind: 'AWSPCAIssuer', metadata: meta(`${o.name}${suffix}-pca`), spec: { arn: s.arn, region: s.region } }],
      };
    case 'cluster-issuer': {
      if (typeof s.name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s.name))
        throw new FortressError('TLS_ISSUER', `${prop}.name must be the name of an existing ClusterIssuer, got ${show(s.name)}.`);
      const kind = s.issuerKind ?? 'ClusterIssuer';
      return { ref: { name: s.name, kind, group: kind === 'ClusterIssuer' ? cm : 'awspca.cert-manager.io' }, label: `existing ${kind} ${s.name}`, objects: [] };
    }
    default:
      throw new FortressError('TLS_ISSUER', `${prop}.kind must be one of bootstrap, existing-ca, acme, aws-pca, cluster-issuer, got ${show((s as { kind?: unknown })?.kind)}.`);
  }
}

/** Adds the CRL distribution point to the client CA issuer; refuses an issuer that cannot carry it or a CRL signed by another CA. */
function stampCrlDistributionPoint(rev: { readonly crlDistributionPoint: string; readonly caSecretName: string }, client: IssuerRef, objects: K8sObject[]): void {
  const url = assertCrlUrl('clients.revocation.crlDistributionPoint', rev.crlDistributionPoint);
  const issuer = objects.find((x) => x.kind === 'Issuer' && x.metadata.name === client.ref.name && (x as { spec?: { ca?: unknown } }).spec?.ca);
  if (!issuer || !client.caSecretName) {
    throw new FortressError(
      'REVOCATION',
      `the broker checks client certificates against a CRL at ${url}, but their issuer (${client.label}) is not a CA issuer the kit runs, so it cannot stamp that URL into them. Use clientCertificates.issuer { kind: "bootstrap" } or { kind: "existing-ca" }, or issue certificates carrying that CRL distribution point yourself and do not use BrokerCertificates for clients.`,
    );
  }
  if (client.caSecretName !== rev.caSecretName) {
    throw new FortressError(
      'REVOCATION',
      `the broker's tls.revocation.caSecretName is ${show(rev.caSecretName)}, but the client certificates are issued by the CA in Secret ${show(client.caSecretName)}: a CRL signed by another CA would refuse every device. Set tls.revocation.caSecretName to ${show(client.caSecretName)}.`,
    );
  }
  const spec = (issuer as unknown as { spec: { ca: Record<string, unknown> } }).spec;
  spec.ca = { ...spec.ca, crlDistributionPoints: [url] };
}

export function buildBrokerTls(o: BrokerTlsOptions): BrokerTlsBuild {
  assertDnsLabel('name', o.name);
  assertDnsLabel('namespace', o.namespace);
  assertDnsLabel('secretName', o.secretName);
  const labels = { 'app.kubernetes.io/part-of': 'mqtt-fortress', 'app.kubernetes.io/instance': o.name, 'app.kubernetes.io/managed-by': 'terraform' };
  const domain = o.clusterDomain ?? 'cluster.local';
  const dnsNames = [...new Set([...o.serviceNames.flatMap((s) => [s, `${s}.${o.namespace}`, `${s}.${o.namespace}.svc`, `${s}.${o.namespace}.svc.${domain}`]), ...(o.extraDnsNames ?? [])])];
  for (const [i, d] of (o.extraDnsNames ?? []).entries()) {
    if (!/^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(d)) throw new FortressError('TLS_DNS', `extraDnsNames[${i}] must be a DNS name, got ${show(d)}.`);
  }
  const server = issuerFor('issuer', o.issuer, o, '', labels);
  const sl = lifetimes('server', o.server, MAX_LEAF_SECONDS);
  const keyAlgorithm = o.server?.keyAlgorithm ?? 'ECDSA-P256';
  const serverKey = privateKey('server.keyAlgorithm', keyAlgorithm, 'Always');
  const serverName = `${o.name}-server`;
  const objects: K8sObject[] = [
    ...server.objects,
    {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: serverName, namespace: o.namespace, labels: { ...labels } },
      spec: {
        secretName: o.secretName,
        secretTemplate: { labels: { ...labels } },
        dnsNames,
        duration: sl.duration,
        renewBefore: sl.renewBefore,
        privateKey: serverKey,
        usages: ['server auth', 'digital signature', ...(String(serverKey.algorithm) === 'RSA' ? ['key encipherment'] : [])],
        revisionHistoryLimit: 3,
        issuerRef: server.ref,
      },
    },
  ];
  if (o.nodeCertificate) {
    assertDnsLabel('nodeCertificate.secretName', o.nodeCertificate.secretName);
    objects.push({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: `${o.name}-node`, namespace: o.namespace, labels: { ...labels } },
      spec: {
        secretName: o.nodeCertificate.secretName,
        dnsNames: [...o.nodeCertificate.dnsNames],
        duration: sl.duration,
        renewBefore: sl.renewBefore,
        privateKey: privateKey('server.keyAlgorithm', keyAlgorithm, 'Always'),
        usages: ['server auth', 'client auth', 'digital signature'],
        revisionHistoryLimit: 3,
        issuerRef: server.ref,
      },
    });
  }
  const clientSecretNames: Record<string, string> = {};
  let clientDurationHours: number | undefined;
  if (o.clients) {
    if (o.issuer.kind === 'acme' && !o.clients.issuer) {
      throw new FortressError(
        'TLS_CLIENT_ISSUER',
        'clients.issuer is required with an ACME server issuer: public ACME CAs do not issue client certificates for private identities. Use { kind: "bootstrap" }, an existing CA or AWS Private CA for clients.',
      );
    }
    if (o.clients.issuer?.kind === 'acme') throw new FortressError('TLS_CLIENT_ISSUER', 'clients.issuer cannot be ACME: public ACME CAs do not issue client certificates for private identities.');
    if (o.clients.usernames.length > 1000) {
      throw new FortressError(
        'TLS_CLIENTS',
        `clients.usernames has ${o.clients.usernames.length} entries; more than 1000 Certificate objects in one namespace is not a sensible way to provision a fleet. Issue device certificates from your provisioning pipeline (for example AWS Private CA) and give the broker only the client CA.`,
      );
    }
    const client = o.clients.issuer ? issuerFor('clients.issuer', o.clients.issuer, o, '-clients', labels) : server;
    if (o.clients.issuer) objects.push(...client.objects);
    if (o.clients.revocation) stampCrlDistributionPoint(o.clients.revocation, client, objects);
    const cl = lifetimes('clients', o.clients, MAX_LEAF_SECONDS);
    clientDurationHours = cl.d / HOURS;
    for (const u of o.clients.usernames) {
      const certName = `${o.name}-client-${u.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 63).replace(/-+$/, '');
      clientSecretNames[u] = certName;
      objects.push({
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: certName, namespace: o.namespace, labels: { ...labels, 'mqtt-fortress.io/identity': certName.slice(0, 63) } },
        spec: {
          secretName: certName,
          commonName: u,
          duration: cl.duration,
          renewBefore: cl.renewBefore,
          privateKey: privateKey('clients.keyAlgorithm', o.clients.keyAlgorithm, 'Always'),
          usages: ['client auth', 'digital signature'],
          revisionHistoryLimit: 3,
          issuerRef: client.ref,
        },
      });
    }
    if (new Set(Object.values(clientSecretNames)).size !== o.clients.usernames.length) {
      throw new FortressError('TLS_CLIENTS', 'two usernames map to the same Certificate name after lower-casing; rename one of them.');
    }
  }
  return {
    objects,
    serverCertificateName: serverName,
    clientSecretNames,
    summary: { issuer: server.label, serverDurationHours: sl.d / HOURS, serverRenewBeforeHours: sl.r / HOURS, ...(clientDurationHours ? { clientDurationHours } : {}), keyAlgorithm },
  };
}
