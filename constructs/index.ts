// Public API of mqtt-fortress: a curated list of re-exports, one group per area. A name not
// listed here is internal (scripts/ and test/ import it from its module). Every type an exported
// signature references is exported too (`npm run docs:api` warns otherwise).

/**
 * Constructs that provision hardened MQTT brokers (Mosquitto, EMQX) on Kubernetes and AWS, the
 * audit, the report and their helpers: `import { MosquittoBroker } from 'mqtt-fortress'`.
 * @module mqtt-fortress
 */

export type { Level, RuleRow, Status } from './audit/context.js';
export type { ExposureChange } from './audit/diff.js';
export { diffExposure, renderDiff } from './audit/diff.js';
// Audit, report and review: the rule pack as an aspect, suppressions and relaxations, the
// security report, SARIF, the exposure diff.
export type { AssertionRow, AuditResult, AuditRow, DeclaredPeerRow, Suppression, SuppressionRecord } from './audit/engine.js';
export { FortressAudit, SUPPRESSION_FORMAT_VERSION, Suppressions } from './audit/engine.js';
export type { Exposure, Revocation } from './audit/exposure.js';
export { exposureOf } from './audit/exposure.js';
export type { Operations } from './audit/operations.js';
export { renderReport } from './audit/report.js';
export type { SarifInput, SourceLocation } from './audit/sarif.js';
export { constructSourceLocator, renderSarif } from './audit/sarif.js';
// Brokers: Mosquitto and EMQX on Kubernetes, the contract they share, images and peers.
export type { ClientAuth } from './broker/client-auth.js';
export { CLIENT_AUTH_MODES } from './broker/client-auth.js';
export type { DeclaredPeer, IBroker, IMonitoredBroker, MonitoredSettings } from './broker/target.js';
export type { AttackCanaryProps } from './canary/attack-canary.js';
export { AttackCanary } from './canary/attack-canary.js';
export type { AttackCanaryOptions, CanaryBroker, CanaryBuild, CanaryCredentialDelivery } from './canary/objects.js';
export { canaryPeer } from './canary/objects.js';
export type { CostProfile } from './core/cost-profile.js';
export { COST_PROFILE_TAG } from './core/cost-profile.js';
// Errors: every refusal carries a stable code.
export { FortressError, ValidationError } from './core/errors.js';
export type { ContainerImage, ImageRegistry } from './core/image.js';
export { mirroredImage } from './core/image.js';
export type { IRelaxed, Relaxation } from './core/relaxation.js';
export { Relaxations } from './core/relaxation.js';
// Credentials: Secrets Manager store, rotation, delivery into the cluster.
export { CredentialStore } from './credentials/credential-store.js';
export type { SecretsManagerDeliveryProps } from './credentials/delivery.js';
export { SecretsManagerDelivery } from './credentials/delivery.js';
export type { SecretsReaderAuth } from './credentials/external-secrets.js';
export type { CredentialSecret, PasswordShards } from './credentials/layout.js';
export { passwordShards, shardSecretName } from './credentials/layout.js';
export type { AdminSecret, CredentialStoreProps, SecretsReader } from './credentials/store-props.js';
export { EmqxCluster } from './emqx/cluster.js';
export type { EmqxLimits } from './emqx/config.js';
export type { EmqxFiles } from './emqx/files.js';
export type { EmqxJwtAuth, EmqxJwtKeySecret } from './emqx/jwt.js';
export type { EmqxBuild } from './emqx/objects.js';
export type { EmqxClusterOptions, EmqxClusterProps } from './emqx/props.js';
export { EMQX_IMAGE, EMQX_SYNC_API_KEY } from './emqx/props.js';
export type { ResolvedEmqx } from './emqx/resolve.js';
export type { EmqxRevocationProps, ResolvedEmqxRevocation } from './emqx/revocation.js';
// Hardening: the AWS IoT Core limits the brokers can match (docs/dos-limits.md).
export type { LimitRow } from './hardening/limits.js';
export { AWS_IOT_CORE_EMQX_LIMITS, AWS_IOT_CORE_MOSQUITTO_LIMITS, AWS_IOT_CORE_QUOTAS, AWS_IOT_CORE_QUOTAS_SOURCE } from './hardening/limits.js';
export type { K8sObject } from './k8s/objects.js';
// Kubernetes gateway: the provider the broker stacks use, with or without EKS.
export type { EksConnection, KubernetesAccessProps } from './k8s/provider.js';
export { kubernetesProvider } from './k8s/provider.js';
export type { MqttPeer, ResourceAmounts, ResourceRequirements } from './k8s/values.js';
export type { AlarmTarget, BrokerLogAlarmsProps } from './monitoring/cloudwatch.js';
export { BrokerLogAlarms } from './monitoring/cloudwatch.js';
// Monitoring: Prometheus rules, CloudWatch log alarms, the attack canary.
export type { BrokerMonitoringProps } from './monitoring/monitoring.js';
export { BrokerMonitoring } from './monitoring/monitoring.js';
export type { MonitoringBuild, MonitoringObjectsOptions } from './monitoring/objects.js';
export type { AlertRule } from './monitoring/rules.js';
export type { IMosquittoBroker } from './mosquitto/broker.js';
export { MosquittoBroker } from './mosquitto/broker.js';
export type { MosquittoFiles } from './mosquitto/files.js';
export type {
  AclMode,
  MetricsExporterOptions,
  MosquittoBrokerOptions,
  MosquittoBrokerProps,
  MosquittoLimits,
  MosquittoPersistenceProps,
  MosquittoServiceProps,
  MosquittoTlsProps,
} from './mosquitto/props.js';
export { ACL_MODES, DEFAULT_LIMITS, EXPORTER_IMAGE, MIN_MOSQUITTO_VERSION, MOSQUITTO_IMAGE, REFUSED_CLIENT_AUTH, SUPPORTED_CLIENT_AUTH_MODES } from './mosquitto/props.js';
export type { ResolvedMosquitto } from './mosquitto/resolve.js';
export type { ApiClient, PrivateEksClusterProps } from './network/eks.js';
export { PrivateEksCluster } from './network/eks.js';
// Network: VPC, private EKS, security groups, image pull-through cache.
export type { BrokerNetworkProps, ImportedVpc } from './network/network.js';
export { BrokerNetwork } from './network/network.js';
export type { PullThroughCacheProps } from './network/pull-through-cache.js';
export { PullThroughCache } from './network/pull-through-cache.js';
export type { BrokerSecurityGroupProps, MqttClientSource } from './network/security-group.js';
export { BrokerSecurityGroup } from './network/security-group.js';
// Policy: who may publish and subscribe where (the whole model is also `mqtt-fortress/policy`).
export type {
  AccessAssertion,
  AccessCase,
  AccessContext,
  Action,
  AssertionResult,
  Effect,
  IdentityKind,
  IdentitySpec,
  PolicyException,
  PolicyIssue,
  PolicySpec,
  Principal,
  RelaxableRule,
  ResolvedRule,
  RoleSpec,
  RuleSpec,
} from './policy/index.js';
export { Policy, PolicyAssertionError, PolicyError, policyFromYaml, policyFromYamlFile, policySourceOf } from './policy/index.js';
export type { BrokerTlsBuild, CertificatePolicy, IssuerStrategy, KeyAlgorithm } from './tls/cert-manager.js';
export { KEY_ALGORITHMS } from './tls/cert-manager.js';
// TLS: certificates through cert-manager, certificate revocation.
export type { BrokerCertificatesProps } from './tls/certificates.js';
export { BrokerCertificates } from './tls/certificates.js';
export type { CertificateRevocationProps, ResolvedRevocation, RevocationReason, RevokedCertificate } from './tls/revocation.js';
export { REVOCATION_REASONS } from './tls/revocation.js';
