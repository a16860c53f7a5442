/**
 * The policy model alone (no construct, no provider): topic filters, `Policy`, the YAML loader
 * and the renderers: `import { Policy } from 'mqtt-fortress/policy'`.
 * @module mqtt-fortress/policy
 */
export * from './assertions.js';
export * from './examples.js';
export * from './model.js';
export * from './render-emqx.js';
export * from './render-mosquitto.js';
export * from './topic.js';
export * from './yaml.js';
