// Public API of mqtt-fortress. Only re-exports.
export * from './core/errors.js';
export * from './core/checks.js';
export * from './core/image.js';
export * from './core/k8s-values.js';
export * from './core/relaxation.js';
export * from './policy/index.js';
export * from './mosquitto/config.js';
export * from './mosquitto/passwd.js';
export * from './mosquitto/manifests.js';
export * from './mosquitto/broker.js';
export * from './k8s/objects.js';
export * from './k8s/resources.js';
export * from './k8s/provider.js';
