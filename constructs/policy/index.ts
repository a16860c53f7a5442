/**
 * The policy model alone (no construct, no provider): topic filters, `Policy`, the YAML loader
 * and the renderers: `import { Policy } from 'mqtt-fortress/policy'`.
 * @module mqtt-fortress/policy
 */

// Access assertions, checked when the policy is built (docs/assertions.md).
export type { AccessAssertion, AccessCase, AssertionResult } from './assertions.js';
export { PolicyAssertionError } from './assertions.js';
export { examplesFor } from './examples.js';
// The model: roles, identities, exceptions, what a user may do.
export type {
  AccessContext,
  Action,
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
} from './model.js';
export { IDENTITY_KINDS, Policy, PolicyError, validatePolicy } from './model.js';
// The broker files a policy renders to, and example topics for an identity.
export type { EmqxAclOptions } from './render-emqx.js';
export { renderEmqxAcl } from './render-emqx.js';
export type { DynsecCredential, MosquittoAclOptions } from './render-mosquitto.js';
export { renderDynsec, renderMosquittoAcl } from './render-mosquitto.js';
// Topic filters.
export type { FilterCheckOptions, FilterProblem, Placeholder } from './topic.js';
export { checkFilter, filterCovers, filtersIntersect, hasWildcard, isBroad, isDollarTopic, isSharedSubscription, MAX_TOPIC_BYTES, PLACEHOLDERS, substitute, topicMatches } from './topic.js';
// Loading a policy from YAML.
export { policyFromYaml, policyFromYamlFile, policySourceOf } from './yaml.js';
