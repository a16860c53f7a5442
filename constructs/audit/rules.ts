/**
 * The audit rule pack's public face: the rule type and context (context.ts), the normalised
 * broker view (broker-view.ts) and the rules, one per file under rules/ (rules/index.ts).
 */
export {
  type AuditContext,
  type AuditRule,
  aclUsers,
  auditContext,
  type Broker,
  type BrokerKind,
  type BrokerView,
  type EmqxView,
  forEachLocal,
  type Level,
  type MqttListener,
  type Requirement,
  type RuleRow,
  type Status,
} from './context.js';
export { RULE_IDS, RULES } from './rules/index.js';
