/**
 * A normalized view of a synthesized stack (its Terraform JSON) for the audit rules and the
 * report: resources with their construct paths, Kubernetes objects in one shape whether they are
 * typed resources (snake_case) or kubernetes_manifest (camelCase), and the broker files parsed.
 * Pure: it reads JSON, so escape hatches and hand-written resources are audited too.
 *
 * Normalize first, then check: typed resources (snake_case blocks, singular block names such as
 * `container` and `port`, one-element lists for single blocks) are rewritten into the Kubernetes
 * API's own field names (`containers`, `ports`, `hostPID`, `externalIPs`), so a rule reads one
 * shape whatever resource type, legacy or `_v1`, or manifest carried the object.
 */
export * from './k8s-view.js';
export * from './mosquitto-view.js';
export * from './view-types.js';
