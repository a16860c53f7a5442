// Public API of mqtt-fortress. Only re-exports.

/**
 * Constructs that provision hardened MQTT brokers (Mosquitto, EMQX) on Kubernetes and AWS, the
 * audit, the report and their helpers: `import { MosquittoBroker } from 'mqtt-fortress'`.
 * @module mqtt-fortress
 */

export * from './audit/diff.js';
export * from './audit/engine.js';
export * from './audit/exposure.js';
export * from './audit/report.js';
export * from './audit/rules.js';
export * from './audit/sarif.js';
export * from './canary/attack-canary.js';
export * from './canary/objects.js';
export * from './core/checks.js';
export * from './core/cost-profile.js';
export * from './core/errors.js';
export * from './core/image.js';
export * from './core/relaxation.js';
export * from './credentials/credential-store.js';
export * from './credentials/delivery.js';
export * from './credentials/external-secrets.js';
export * from './credentials/layout.js';
export * from './credentials/secret-policy.js';
export * from './credentials/store-props.js';
export * from './emqx/cluster.js';
export * from './emqx/config.js';
export * from './emqx/files.js';
export * from './emqx/objects.js';
export * from './emqx/props.js';
export * from './emqx/resolve.js';
export * from './emqx/revocation.js';
export * from './emqx/schema.js';
export * from './hardening/device-defender.js';
export * from './hardening/limits.js';
export * from './k8s/crd-check.js';
export * from './k8s/objects.js';
export * from './k8s/provider.js';
export * from './k8s/resources.js';
export * from './k8s/values.js';
export * from './monitoring/catalog.js';
export * from './monitoring/cloudwatch.js';
export * from './monitoring/logs.js';
export * from './monitoring/monitoring.js';
export * from './monitoring/objects.js';
export * from './monitoring/rules.js';
export * from './mosquitto/broker.js';
export * from './mosquitto/config.js';
export * from './mosquitto/files.js';
export * from './mosquitto/objects.js';
export * from './mosquitto/passwd.js';
export * from './mosquitto/props.js';
export * from './mosquitto/resolve.js';
export * from './network/eks.js';
export * from './network/endpoint-policy.js';
export * from './network/network.js';
export * from './network/plan.js';
export * from './network/security-group.js';
export * from './policy/index.js';
export * from './tls/cert-manager.js';
export * from './tls/certificates.js';
export * from './tls/duration.js';
export * from './tls/revocation.js';
