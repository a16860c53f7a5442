export * from './topic.js';
export * from './model.js';
export * from './assertions.js';
export * from './yaml.js';
export * from './render-mosquitto.js';
export * from './render-emqx.js';
export * from './examples.js';
