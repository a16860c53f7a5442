export * from './assertions.js';
export * from './examples.js';
export * from './model.js';
export * from './render-emqx.js';
export * from './render-mosquitto.js';
export * from './topic.js';
export * from './yaml.js';
