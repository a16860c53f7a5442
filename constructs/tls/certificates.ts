/**
 * BrokerCertificates: cert-manager issuer, server Certificate and client certificates for a
 * MosquittoBroker, as kubernetes_manifest resources (they need cert-manager's CRDs at plan
 * time: a data source checks that they exist and fails the plan with a clear message otherwise).
 */
import { dependable, type TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { IBroker } from '../broker/target.js';
import { FortressError, scoped, show } from '../core/errors.js';
import { crdCheck } from '../k8s/crd-check.js';
import { addK8sObject } from '../k8s/resources.js';
import { type BrokerTlsBuild, buildBrokerTls, type CertificatePolicy, type IssuerStrategy } from './cert-manager.js';

export interface BrokerCertificatesProps {
  readonly broker: IBroker;
  /** Where the certificates come from. */
  readonly issuer: IssuerStrategy;
  /** @default 90 days, renewed 30 days before expiry, ECDSA P-256, new key on every renewal */
  readonly server?: CertificatePolicy;
  /** DNS names beyond the Services' in-cluster names, e.g. the load balancer's. @default - none */
  readonly extraDnsNames?: readonly string[];
  /**
   * Client certificates (CN = username) for mutual TLS.
   * @default - one per identity of the policy when the broker's clientAuth uses certificates, else none
   */
  readonly clientCertificates?: CertificatePolicy & { readonly usernames?: readonly string[]; readonly issuer?: IssuerStrategy };
}

export class BrokerCertificates extends Construct {
  public readonly build: BrokerTlsBuild;
  public readonly serverCertificate: TerraformResource;

  constructor(scope: Construct, id: string, props: BrokerCertificatesProps) {
    super(scope, id);
    const b = props.broker;
    const usesCerts = b.clientAuth !== 'password';
    const usernames = props.clientCertificates?.usernames ?? (usesCerts ? b.policy.principals.map((p) => p.username) : undefined);
    this.build = scoped(this, () => {
      // A client certificate's CN is the MQTT username: only the broker's own identities get one.
      for (const [i, u] of (props.clientCertificates?.usernames ?? []).entries()) {
        if (typeof u !== 'string' || !b.policy.principal(u)) {
          throw new FortressError(
            'TLS_CLIENTS',
            `clientCertificates.usernames[${i}] ${show(u)} is not an identity of the broker's policy; a certificate whose CN names no identity (or a future one) would log in as it. List usernames from the policy.`,
          );
        }
      }
      return buildBrokerTls({
        issuer: props.issuer,
        name: b.serviceName,
        namespace: b.namespace,
        secretName: b.tlsSecretName,
        serviceNames: b.serviceNames,
        ...(props.extraDnsNames ? { extraDnsNames: props.extraDnsNames } : {}),
        ...(props.server ? { server: props.server } : {}),
        ...(usernames ? { clients: { ...props.clientCertificates, usernames, ...(b.revocationEndpoint ? { revocation: b.revocationEndpoint } : {}) } } : {}),
        ...(b.nodeCertificate ? { nodeCertificate: b.nodeCertificate } : {}),
      });
    });
    // Prerequisite: cert-manager's CRDs. Every object below waits for this check.
    const crd = crdCheck(
      this,
      'CertManagerInstalled',
      'certificates.cert-manager.io',
      'cert-manager is not installed in this cluster (no CRD certificates.cert-manager.io). Install cert-manager v1.13 or later before deploying this stack (docs/default-stacks.md).',
    );
    let server: TerraformResource | undefined;
    for (const obj of this.build.objects) {
      const res = addK8sObject(this, `${obj.kind}-${obj.metadata.name}`, obj, { dependsOn: [...(b.namespaceResource ? [b.namespaceResource] : [])], asManifest: true });
      res.dependsOn = [...(res.dependsOn ?? []), dependable(crd)];
      if (obj.kind === 'Certificate' && obj.metadata.name === this.build.serverCertificateName) server = res;
    }
    this.serverCertificate = server!;
    // The broker starts only once its certificate Secret exists.
    this.serverCertificate.addOverride('wait', { condition: [{ type: 'Ready', status: 'True' }] });
    b.addDependency(this.serverCertificate);
  }
}
