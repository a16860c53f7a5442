/** Row builders and small predicates the rule files share. */
import type { RuleRow } from '../context.js';

export const ok = (path: string, detail: string): RuleRow => ({ status: 'compliant', path, detail });
export const bad = (path: string, finding: string, detail: string): RuleRow => ({ status: 'non-compliant', path, finding, detail });
export const na = (path: string, detail: string): RuleRow => ({ status: 'not-applicable', path, detail });
/** The rows, or one not-applicable row when there are none. */
export const rowsOr = (rows: RuleRow[], path: string, detail: string): RuleRow[] => (rows.length ? rows : [na(path, detail)]);
/** Hours of a Go duration such as `8760h` or `2160h0m0s`. */
export const hours = (d: string | undefined) => (d ? [...d.matchAll(/(\d+)(h|m|s)/g)].reduce((a, m) => a + Number(m[1]) / (m[2] === 'h' ? 1 : m[2] === 'm' ? 60 : 3600), 0) : NaN);
/** A value or list as a list. */
export const list = (v: any): any[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
/** Names of the requirements not met. */
export const unmet = (rs: readonly { name: string; met: boolean }[]) => rs.filter((r) => !r.met).map((r) => r.name);
