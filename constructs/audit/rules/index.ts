/**
 * The audit rule pack: one rule per file in this folder, in the order the report and SARIF list
 * them (AUTH-5 came last, so the SARIF rule indexes of the others stayed as they were). docs/RULES.md is generated from these rules (npm run docs:rules).
 */
import type { AuditRule } from '../context.js';
import { rule as ACL_1 } from './acl-1.js';
import { rule as ACL_2 } from './acl-2.js';
import { rule as ACL_3 } from './acl-3.js';
import { rule as AUTH_1 } from './auth-1.js';
import { rule as AUTH_2 } from './auth-2.js';
import { rule as AUTH_3 } from './auth-3.js';
import { rule as AUTH_5 } from './auth-5.js';
import { rule as DOS_1 } from './dos-1.js';
import { rule as DOS_2 } from './dos-2.js';
import { rule as MON_1 } from './mon-1.js';
import { rule as MON_2 } from './mon-2.js';
import { rule as MON_3 } from './mon-3.js';
import { rule as NET_1 } from './net-1.js';
import { rule as NET_2 } from './net-2.js';
import { rule as NET_3 } from './net-3.js';
import { rule as POD_1 } from './pod-1.js';
import { rule as POD_2 } from './pod-2.js';
import { rule as REV_2 } from './rev-2.js';
import { rule as TLS_1 } from './tls-1.js';
import { rule as TLS_2 } from './tls-2.js';
import { rule as TLS_3 } from './tls-3.js';
import { rule as TLS_4 } from './tls-4.js';

export const RULES: readonly AuditRule[] = [
  TLS_1,
  TLS_2,
  TLS_3,
  TLS_4,
  AUTH_1,
  AUTH_2,
  AUTH_3,
  ACL_1,
  ACL_2,
  ACL_3,
  NET_1,
  NET_2,
  NET_3,
  DOS_1,
  DOS_2,
  POD_1,
  POD_2,
  MON_1,
  MON_2,
  MON_3,
  REV_2,
  AUTH_5,
];

export const RULE_IDS = new Set(RULES.map((r) => r.id));
