/**
 * Hostile props (issue 12): nonsensical or dangerous prop combinations across every construct.
 * Each must fail at construction with its error code and a message that names the construct
 * path: never a TypeError, never a silently wrong stack.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { TerraformStack, Testing } from 'cdktf';
import { Suppressions } from '../../constructs/audit/engine.js';
import { FortressError } from '../../constructs/core/errors.js';
import { CredentialStore } from '../../constructs/credentials/credential-store.js';
import { SecretsManagerDelivery } from '../../constructs/credentials/delivery.js';
import type { CredentialStoreProps } from '../../constructs/credentials/store-props.js';
import { EmqxCluster } from '../../constructs/emqx/cluster.js';
import type { EmqxClusterProps } from '../../constructs/emqx/props.js';
import { kubernetesProvider } from '../../constructs/k8s/provider.js';
import { BrokerMonitoring } from '../../constructs/monitoring/monitoring.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import type { MosquittoBrokerProps } from '../../constructs/mosquitto/props.js';
import { PrivateEksCluster, type PrivateEksClusterProps } from '../../constructs/network/eks.js';
import { BrokerNetwork, type BrokerNetworkProps } from '../../constructs/network/network.js';
import { BrokerSecurityGroup, type BrokerSecurityGroupProps } from '../../constructs/network/security-group.js';
import { Policy } from '../../constructs/policy/model.js';
import { BrokerCertificates, type BrokerCertificatesProps } from '../../constructs/tls/certificates.js';
import { examplePolicy, minimalBrokerProps } from '../helpers/synth.js';

const FAKE_DIGEST = `sha256:${'9a'.repeat(32)}`; // test fixture only: not a real image
const REASON = 'a reviewed reason of enough length';

function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app(), 'h');
  kubernetesProvider(s);
  new AwsProvider(s, 'aws', { region: 'eu-west-1' });
  return s;
}

const mosq = (over: Record<string, unknown>) => (s: TerraformStack) => new MosquittoBroker(s, 'Broker', { ...minimalBrokerProps(), ...over } as MosquittoBrokerProps);
const emqxBase = (): EmqxClusterProps => ({
  policy: examplePolicy(),
  credentialsSecretName: 'emqx-creds',
  adminSecretName: 'emqx-admin',
  tls: { secretName: 'emqx-tls', nodeSecretName: 'emqx-node-tls' },
  image: { digest: FAKE_DIGEST },
  allowFrom: [{ namespace: 'iot-backend' }],
});
const emqx = (over: Record<string, unknown>) => (s: TerraformStack) => new EmqxCluster(s, 'Emqx', { ...emqxBase(), ...over } as EmqxClusterProps);
const store = (over: Record<string, unknown>) => (s: TerraformStack) =>
  new CredentialStore(s, 'Store', { policy: examplePolicy(), region: 'eu-west-1', reader: { kind: 'pod-identity', clusterName: 'c' }, ...over } as CredentialStoreProps);
const certs =
  (over: Record<string, unknown>, brokerOver: Record<string, unknown> = {}) =>
  (s: TerraformStack) =>
    new BrokerCertificates(s, 'Certs', {
      broker: new MosquittoBroker(s, 'Broker', { ...minimalBrokerProps(), ...brokerOver } as MosquittoBrokerProps),
      issuer: { kind: 'bootstrap' },
      ...over,
    } as BrokerCertificatesProps);
const delivery = (over: Record<string, unknown>) => (s: TerraformStack) =>
  new SecretsManagerDelivery(s, 'Delivery', { broker: new MosquittoBroker(s, 'Broker', minimalBrokerProps()), region: 'eu-west-1', targetSecretName: 'creds', ...over } as never);
const net = (over: Record<string, unknown>) => (s: TerraformStack) => new BrokerNetwork(s, 'Network', { region: 'eu-west-1', ...over } as BrokerNetworkProps);
const sg = (over: Record<string, unknown>) => (s: TerraformStack) =>
  new BrokerSecurityGroup(s, 'Sg', {
    vpcId: 'vpc-0123456789abcdef0',
    vpcCidr: '10.0.0.0/16',
    name: 'x',
    allowedClients: [{ cidr: '192.0.2.0/24', description: 'devices' }],
    ...over,
  } as BrokerSecurityGroupProps);
const eks = (over: Record<string, unknown>) => (s: TerraformStack) =>
  new PrivateEksCluster(s, 'Eks', {
    region: 'eu-west-1',
    vpcId: 'vpc-0123456789abcdef0',
    privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    ...over,
  } as PrivateEksClusterProps);
const mon =
  (over: Record<string, unknown>, brokerOver: Record<string, unknown> = {}) =>
  (s: TerraformStack) =>
    new BrokerMonitoring(s, 'Monitoring', {
      broker: new MosquittoBroker(s, 'Broker', { ...minimalBrokerProps(), ...brokerOver } as MosquittoBrokerProps),
      prometheusLabels: { release: 'kube-prometheus-stack' },
      ...over,
    } as never);
const supp = (list: unknown) => (s: TerraformStack) => Suppressions.add(new MosquittoBroker(s, 'Broker', minimalBrokerProps()), list as never);

type Case = [construct: string, what: string, build: (s: TerraformStack) => unknown, code: string, path: string];

const CASES: Case[] = [
  // MosquittoBroker
  ['MosquittoBroker', 'policy is a plain spec, not a Policy', mosq({ policy: { roles: [], identities: [] } }), 'MOSQ_POLICY', 'h/Broker'],
  ['MosquittoBroker', 'policy missing', mosq({ policy: undefined }), 'MOSQ_POLICY', 'h/Broker'],
  ['MosquittoBroker', 'replicas 3 (Mosquitto cannot cluster)', mosq({ replicas: 3 }), 'MOSQ_REPLICAS', 'h/Broker'],
  ['MosquittoBroker', 'allowAnonymous true', mosq({ allowAnonymous: true }), 'MOSQ_ANONYMOUS', 'h/Broker'],
  ['MosquittoBroker', 'port 1883 (plaintext)', mosq({ port: 1883 }), 'PLAINTEXT_PORT', 'h/Broker'],
  ['MosquittoBroker', 'port 0', mosq({ port: 0 }), 'INVALID_NUMBER', 'h/Broker'],
  ['MosquittoBroker', 'port "8883" as a string', mosq({ port: '8883' }), 'INVALID_NUMBER', 'h/Broker'],
  ['MosquittoBroker', 'runAsUser 0 (root)', mosq({ runAsUser: 0 }), 'MOSQ_UID', 'h/Broker'],
  ['MosquittoBroker', 'runAsGroup 1.5', mosq({ runAsGroup: 1.5 }), 'MOSQ_UID', 'h/Broker'],
  ['MosquittoBroker', 'namespace with a line break', mosq({ namespace: 'mqtt\nkind: Secret' }), 'INVALID_NAME', 'h/Broker'],
  ['MosquittoBroker', 'name with upper case', mosq({ name: 'Mosquitto' }), 'INVALID_NAME', 'h/Broker'],
  ['MosquittoBroker', 'credentialsSecretName with a slash', mosq({ credentialsSecretName: '../etc' }), 'INVALID_NAME', 'h/Broker'],
  ['MosquittoBroker', 'service LoadBalancer without source ranges', mosq({ service: { type: 'LoadBalancer' } }), 'MOSQ_LB_RANGES', 'h/Broker'],
  ['MosquittoBroker', 'source ranges on a ClusterIP service', mosq({ service: { loadBalancerSourceRanges: ['192.0.2.0/24'] } }), 'MOSQ_SERVICE', 'h/Broker'],
  ['MosquittoBroker', 'service type NodePort', mosq({ service: { type: 'NodePort' } }), 'MOSQ_SERVICE', 'h/Broker'],
  ['MosquittoBroker', 'load balancer split into two /1', mosq({ service: { type: 'LoadBalancer', loadBalancerSourceRanges: ['0.0.0.0/1', '128.0.0.0/1'] } }), 'PEER_OPEN_TO_WORLD', 'h/Broker'],
  [
    'MosquittoBroker',
    'internetFacingReason of one word',
    mosq({ service: { type: 'LoadBalancer', loadBalancerSourceRanges: ['192.0.2.0/24'], internetFacingReason: 'demo' } }),
    'REASON_REQUIRED',
    'h/Broker',
  ],
  ['MosquittoBroker', 'allowFrom peer with namespace and cidr', mosq({ allowFrom: [{ namespace: 'a', cidr: '10.0.0.0/8' }] }), 'PEER_SHAPE', 'h/Broker'],
  ['MosquittoBroker', 'allowFrom is a string', mosq({ allowFrom: 'iot-backend' }), 'PEER_SHAPE', 'h/Broker'],
  ['MosquittoBroker', 'allowFrom [null]', mosq({ allowFrom: [null] }), 'PEER_SHAPE', 'h/Broker'],
  ['MosquittoBroker', 'allowFrom namespaceLabels {} (every namespace)', mosq({ allowFrom: [{ namespaceLabels: {} }] }), 'PEER_OPEN_TO_WORLD', 'h/Broker'],
  ['MosquittoBroker', 'allowFrom IPv6 halves', mosq({ allowFrom: [{ cidr: '::/1' }, { cidr: '8000::/1' }] }), 'PEER_OPEN_TO_WORLD', 'h/Broker'],
  ['MosquittoBroker', 'openToWorldReason on a small range', mosq({ allowFrom: [{ cidr: '192.0.2.0/24', openToWorldReason: REASON }] }), 'REASON_UNUSED', 'h/Broker'],
  ['MosquittoBroker', 'openToWorldReason with a line break', mosq({ allowFrom: [{ cidr: '0.0.0.0/0', openToWorldReason: 'public demo\n| fake | report row |' }] }), 'REASON_REQUIRED', 'h/Broker'],
  ['MosquittoBroker', 'allowFrom cidr with host bits', mosq({ allowFrom: [{ cidr: '10.0.0.1/8' }] }), 'INVALID_CIDR', 'h/Broker'],
  ['MosquittoBroker', 'podLabels with an invalid key', mosq({ allowFrom: [{ namespace: 'a', podLabels: { 'bad key': 'x' } }] }), 'INVALID_LABEL', 'h/Broker'],
  ['MosquittoBroker', 'clientIdIsUsername false without a reason', mosq({ clientIdIsUsername: false }), 'MOSQ_CLIENTID_REASON', 'h/Broker'],
  ['MosquittoBroker', 'clientIdChoiceReason with the default binding', mosq({ clientIdChoiceReason: REASON }), 'MOSQ_CLIENTID_REASON', 'h/Broker'],
  ['MosquittoBroker', 'aclMode "none"', mosq({ aclMode: 'none' }), 'MOSQ_ACL_MODE', 'h/Broker'],
  ['MosquittoBroker', 'reloadIntervalSeconds 1', mosq({ reloadIntervalSeconds: 1 }), 'INVALID_NUMBER', 'h/Broker'],
  ['MosquittoBroker', 'limits: message larger than packet', mosq({ limits: { maxPacketSizeBytes: 2048, messageSizeLimitBytes: 4096 } }), 'LIMITS_INCONSISTENT', 'h/Broker'],
  ['MosquittoBroker', 'limits.maxConnections negative', mosq({ limits: { maxConnections: -1 } }), 'INVALID_NUMBER', 'h/Broker'],
  ['MosquittoBroker', 'resources: request above limit', mosq({ resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } } }), 'RESOURCES_INCONSISTENT', 'h/Broker'],
  ['MosquittoBroker', 'resources: cpu "lots"', mosq({ resources: { limits: { cpu: 'lots' } } }), 'INVALID_QUANTITY', 'h/Broker'],
  ['MosquittoBroker', 'persistence.size "-1Gi"', mosq({ persistence: { size: '-1Gi' } }), 'INVALID_QUANTITY', 'h/Broker'],
  ['MosquittoBroker', 'image tag 1.6.9 (EOL)', mosq({ image: { repository: 'eclipse-mosquitto', tag: '1.6.9', digest: FAKE_DIGEST } }), 'MOSQ_VERSION', 'h/Broker'],
  ['MosquittoBroker', 'metricsExporter port equal to the TLS port', mosq({ metricsExporter: { image: { digest: FAKE_DIGEST }, port: 8883 } }), 'PORT_CLASH', 'h/Broker'],
  ['MosquittoBroker', 'certificate port equal to the TLS port', mosq({ tls: { secretName: 'tls', clientAuth: 'password-or-certificate', certificatePort: 8883 } }), 'PORT_CLASH', 'h/Broker'],
  ['MosquittoBroker', 'monitoringNamespace "*"', mosq({ monitoringNamespace: '*' }), 'INVALID_NAME', 'h/Broker'],
  ['MosquittoBroker', 'unresolved token as namespace', mosq({ namespace: '${TfToken[TOKEN.1]}' }), 'UNRESOLVED_TOKEN', 'h/Broker'],
  // EmqxCluster
  ['EmqxCluster', 'policy is a plain spec', emqx({ policy: { roles: [], identities: [] } }), 'EMQX_POLICY', 'h/Emqx'],
  ['EmqxCluster', 'replicas 2 (split brain)', emqx({ replicas: 2 }), 'EMQX_REPLICAS', 'h/Emqx'],
  ['EmqxCluster', 'replicas 0', emqx({ replicas: 0 }), 'INVALID_NUMBER', 'h/Emqx'],
  ['EmqxCluster', 'node certificate = client certificate', emqx({ tls: { secretName: 'same', nodeSecretName: 'same' } }), 'EMQX_NODE_TLS', 'h/Emqx'],
  ['EmqxCluster', 'image 5.9 (BSL)', emqx({ image: { tag: '5.9.0', digest: FAKE_DIGEST } }), 'EMQX_VERSION', 'h/Emqx'],
  ['EmqxCluster', 'password-or-certificate (not offered)', emqx({ tls: { secretName: 'a', nodeSecretName: 'b', clientAuth: 'password-or-certificate' } }), 'EMQX_CLIENT_AUTH', 'h/Emqx'],
  ['EmqxCluster', 'wssPort 1883 (the disabled plaintext listener)', emqx({ wssPort: 1883 }), 'EMQX_PORT_CLASH', 'h/Emqx'],
  ['EmqxCluster', 'allowFrom 256 /8 ranges', emqx({ allowFrom: Array.from({ length: 256 }, (_, i) => ({ cidr: `${i}.0.0.0/8` })) }), 'PEER_OPEN_TO_WORLD', 'h/Emqx'],
  ['EmqxCluster', 'singleZoneReason of two words', emqx({ singleZoneReason: 'test only' }), 'REASON_REQUIRED', 'h/Emqx'],
  ['EmqxCluster', 'runAsUser 0', emqx({ runAsUser: 0 }), 'MOSQ_UID', 'h/Emqx'],
  ['EmqxCluster', 'limits.maxClientIdLength 5', emqx({ limits: { maxClientIdLength: 5 } }), 'INVALID_NUMBER', 'h/Emqx'],
  // CredentialStore and delivery
  ['CredentialStore', 'policy is a plain spec', store({ policy: { roles: [], identities: [] } }), 'CRED_POLICY', 'h/Store'],
  ['CredentialStore', 'rotation every 365 days', store({ rotationDays: 365 }), 'INVALID_NUMBER', 'h/Store'],
  ['CredentialStore', 'rotationDays 0', store({ rotationDays: 0 }), 'INVALID_NUMBER', 'h/Store'],
  ['CredentialStore', 'region "mars-1"', store({ region: 'mars-1' }), 'AWS_REGION', 'h/Store'],
  ['CredentialStore', 'brokerName with a slash (secret name injection)', store({ brokerName: 'a/../../b' }), 'INVALID_NAME', 'h/Store'],
  ['CredentialStore', 'recoveryWindowInDays 3', store({ recoveryWindowInDays: 3 }), 'INVALID_NUMBER', 'h/Store'],
  ['CredentialStore', 'recoveryWindowInDays 0 without a reason', store({ recoveryWindowInDays: 0 }), 'REASON_REQUIRED', 'h/Store'],
  ['CredentialStore', 'logRetentionDays 2', store({ logRetentionDays: 2 }), 'INVALID_NUMBER', 'h/Store'],
  ['CredentialStore', 'admin secret key with upper case', store({ adminSecrets: [{ key: 'Cookie', description: 'x', rotate: true }] }), 'CRED_ADMIN', 'h/Store'],
  ['CredentialStore', 'admin secret not rotated without reason', store({ adminSecrets: [{ key: 'cookie', description: 'x', rotate: false }] }), 'REASON_REQUIRED', 'h/Store'],
  [
    'CredentialStore',
    'admin secret key twice',
    store({
      adminSecrets: [
        { key: 'cookie', description: 'x', rotate: true },
        { key: 'cookie', description: 'y', rotate: true },
      ],
    }),
    'CRED_ADMIN',
    'h/Store',
  ],
  ['CredentialStore', 'reader kind "anyone"', store({ reader: { kind: 'anyone' } }), 'CRED_READER', 'h/Store'],
  ['SecretsManagerDelivery', 'target Secret name with upper case', delivery({ targetSecretName: 'Creds' }), 'INVALID_NAME', 'h/Delivery'],
  ['SecretsManagerDelivery', 'refreshInterval "often"', delivery({ refreshInterval: 'often' }), 'ES_REFRESH', 'h/Delivery'],
  // BrokerCertificates / cert-manager
  ['BrokerCertificates', 'RSA-2048 key', certs({ server: { keyAlgorithm: 'RSA-2048' } }), 'TLS_KEY', 'h/Certs'],
  ['BrokerCertificates', 'server certificate for 10 years', certs({ server: { duration: '87600h' } }), 'TLS_DURATION', 'h/Certs'],
  ['BrokerCertificates', 'renewBefore longer than duration', certs({ server: { duration: '720h', renewBefore: '800h' } }), 'TLS_DURATION', 'h/Certs'],
  ['BrokerCertificates', 'extra DNS name with a space', certs({ extraDnsNames: ['mqtt example.com'] }), 'TLS_DNS', 'h/Certs'],
  [
    'BrokerCertificates',
    'client certificate for a username outside the policy',
    certs({ clientCertificates: { usernames: ['root'] } }, { tls: { secretName: 'tls', clientAuth: 'certificate' } }),
    'TLS_CLIENTS',
    'h/Certs',
  ],
  [
    'BrokerCertificates',
    'client certificates from an ACME issuer',
    certs(
      { issuer: { kind: 'acme', email: 'ops@example.com', challenge: { dns01: { route53: { region: 'eu-west-1', hostedZoneId: 'Z0123456789ABCDEFGHIJ' } } } } },
      { tls: { secretName: 'tls', clientAuth: 'certificate' } },
    ),
    'TLS_CLIENT_ISSUER',
    'h/Certs',
  ],
  // Network, VPC, EKS
  ['BrokerNetwork', 'one availability zone', net({ availabilityZones: ['eu-west-1a'] }), 'NET_AZ_COUNT', 'h/Network'],
  ['BrokerNetwork', 'VPC /8', net({ vpcCidr: '10.0.0.0/8' }), 'INVALID_CIDR', 'h/Network'],
  ['BrokerNetwork', 'internet-facing with a short reason', net({ internetFacingReason: 'x' }), 'REASON_REQUIRED', 'h/Network'],
  ['BrokerNetwork', 'internet-facing reason with a line break', net({ internetFacingReason: 'public demo broker\n## Summary: no finding' }), 'REASON_REQUIRED', 'h/Network'],
  [
    'BrokerSecurityGroup',
    'sixteen /4 ranges (the whole internet)',
    sg({ allowedClients: Array.from({ length: 16 }, (_, i) => ({ cidr: `${i * 16}.0.0.0/4`, description: 'a slice' })) }),
    'PEER_OPEN_TO_WORLD',
    'h/Sg',
  ],
  ['BrokerSecurityGroup', 'openToWorldReason without an open source', sg({ openToWorldReason: REASON }), 'REASON_UNUSED', 'h/Sg'],
  [
    'BrokerSecurityGroup',
    'source with both cidr and security group',
    sg({ allowedClients: [{ cidr: '192.0.2.0/24', securityGroupId: 'sg-0123456789abcdef0', description: 'both' }] }),
    'NET_CLIENT_SHAPE',
    'h/Sg',
  ],
  ['BrokerSecurityGroup', 'extra TLS port 8080', sg({ extraTlsPorts: [8080] }), 'PLAINTEXT_PORT', 'h/Sg'],
  ['PrivateEksCluster', 'public endpoint split into halves', eks({ publicEndpoint: { cidrs: ['0.0.0.0/1', '128.0.0.0/1'], reason: REASON } }), 'EKS_PUBLIC_ENDPOINT', 'h/Eks'],
  ['PrivateEksCluster', 'public endpoint without ranges', eks({ publicEndpoint: { cidrs: [], reason: REASON } }), 'EKS_PUBLIC_ENDPOINT', 'h/Eks'],
  ['PrivateEksCluster', 'one subnet', eks({ privateSubnetIds: ['subnet-0123456789abcdef0'] }), 'NET_AZ_COUNT', 'h/Eks'],
  ['PrivateEksCluster', 'nodes.min above nodes.max', eks({ nodes: { min: 5, max: 2 } }), 'INVALID_NUMBER', 'h/Eks'],
  // Monitoring
  ['BrokerMonitoring', 'Prometheus label key with a space', mon({ prometheusLabels: { 'bad key': 'x' } }), 'MON_PROMETHEUS_LABELS', 'h/Monitoring'],
  ['BrokerMonitoring', 'dashboardNamespace "Grafana Dashboards"', mon({ dashboard: true, dashboardNamespace: 'Grafana Dashboards' }), 'INVALID_NAME', 'h/Monitoring'],
  // Audit suppressions
  ['Suppressions', 'unknown rule id', supp([{ id: 'NET-99', reason: REASON }]), 'AUDIT_SUPPRESSION', 'h/Broker'],
  ['Suppressions', 'reason "ok"', supp([{ id: 'NET-2', reason: 'ok' }]), 'AUDIT_SUPPRESSION', 'h/Broker'],
  ['Suppressions', 'reason that forges report lines', supp([{ id: 'NET-2', reason: 'looks fine\n| NET-1 | compliant |' }]), 'AUDIT_SUPPRESSION', 'h/Broker'],
  ['Suppressions', 'list of null', supp([null]), 'AUDIT_SUPPRESSION', 'h/Broker'],
  ['Suppressions', 'appliesTo is a string', supp([{ id: 'NET-2', reason: REASON, appliesTo: 'x' }]), 'AUDIT_SUPPRESSION', 'h/Broker'],
  // Policy through a construct: the model's error, with the construct path
  [
    'MosquittoBroker',
    '{clientId} rules while clients choose their ids',
    mosq({
      policy: Policy.from({ roles: [{ name: 'r', rules: [{ action: 'all', topics: ['svc/{clientId}/#'] }] }], identities: [{ name: 's', kind: 'service', roles: ['r'] }] }),
      clientIdIsUsername: false,
      clientIdChoiceReason: REASON,
    }),
    'ACL_CLIENTID_UNSUPPORTED',
    'h/Broker',
  ],
  [
    'EmqxCluster',
    'two clusters with one name in one app',
    (s) => {
      emqx({})(s);
      new EmqxCluster(s, 'Emqx2', { ...emqxBase(), namespace: 'other' });
    },
    'BROKER_COLLISION',
    'h/Emqx2',
  ],
  [
    'MosquittoBroker',
    'Mosquitto in the EMQX namespace',
    (s) => {
      emqx({ namespace: 'mqtt' })(s);
      mosq({})(s);
    },
    'BROKER_COLLISION',
    'h/Broker',
  ],
];

describe('hostile props: every construct refuses nonsense with its code and path', () => {
  it(`${CASES.length} cases across ${new Set(CASES.map((c) => c[0])).size} constructs`, () => {
    assert.ok(CASES.length >= 60);
    assert.ok(new Set(CASES.map((c) => c[0])).size >= 9);
  });
  for (const [construct, what, build, code, path] of CASES) {
    it(`${construct}: ${what} -> ${code}`, () => {
      const s = stack();
      assert.throws(
        () => {
          build(s);
          Testing.synth(s, true);
        },
        (e: Error) => {
          assert.ok(e instanceof FortressError, `expected a FortressError ${code}, got ${e.constructor.name}: ${e.message}`);
          assert.equal(e.code, code, e.message);
          assert.ok(e.message.includes(path), `the message names ${path}: ${e.message}`);
          return true;
        },
      );
    });
  }
});
