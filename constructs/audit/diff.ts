/**
 * What changed in exposure between two synthesized outputs, widening changes first: new ports and
 * endpoints, wider source ranges, new identities, wider ACLs, weaker TLS, new suppressions.
 */
import { ipv4Range } from '../network/plan.js';
import { type AccessDiff, renderAccessDiff } from '../review/access-diff.js';
import { type ReachabilityDiff, renderReachabilityDiff } from '../review/reachability.js';
import type { AuditResult } from './engine.js';
import { mdCode, mdText } from './escape.js';
import type { Exposure } from './exposure.js';

export interface ExposureChange {
  readonly widens: boolean;
  readonly area: 'endpoint' | 'source range' | 'identity' | 'ACL' | 'TLS' | 'network' | 'finding' | 'suppression' | 'secret' | 'certificate' | 'revocation';
  readonly text: string;
}

const covered = (cidr: string, by: string[]) => {
  if (cidr.includes(':')) return by.includes(cidr);
  try {
    const r = ipv4Range('cidr', cidr);
    return by
      .filter((b) => !b.includes(':'))
      .some((b) => {
        const x = ipv4Range('cidr', b);
        return x.start <= r.start && r.end <= x.end;
      });
  } catch {
    return by.includes(cidr);
  }
};

export function diffExposure(before: Exposure | undefined, after: Exposure | undefined, auditBefore?: AuditResult, auditAfter?: AuditResult): ExposureChange[] {
  const ch: ExposureChange[] = [];
  const b = before;
  const a = after;
  const add = (widens: boolean, area: ExposureChange['area'], text: string) => ch.push({ widens, area, text });
  const epKey = (e: Exposure['endpoints'][number]) => `${e.namespace}/${e.name}`;
  for (const e of a?.endpoints ?? []) {
    const old = b?.endpoints.find((x) => epKey(x) === epKey(e));
    if (!old)
      add(
        true,
        'endpoint',
        `new endpoint ${epKey(e)} (${e.type}) on ${e.ports.join(', ')}${e.type === 'LoadBalancer' ? `, ${e.scheme ?? 'default'} load balancer from ${e.sourceRanges.join(', ') || 'every address'}` : ''}`,
      );
    else {
      for (const p of e.ports.filter((p) => !old.ports.includes(p))) add(true, 'endpoint', `${epKey(e)}: new port ${p}`);
      if (old.type !== 'LoadBalancer' && e.type === 'LoadBalancer') add(true, 'endpoint', `${epKey(e)}: now a ${e.scheme ?? 'default'} load balancer`);
      // A scheme only matters while the endpoint is a load balancer on both sides.
      if (old.type === 'LoadBalancer' && e.type === 'LoadBalancer' && old.scheme === 'internal' && e.scheme !== 'internal')
        add(true, 'endpoint', `${epKey(e)}: load balancer scheme ${old.scheme} -> ${e.scheme ?? 'default (internet-facing)'}`);
      if (old.type === 'LoadBalancer' && e.type !== 'LoadBalancer') add(false, 'endpoint', `${epKey(e)}: no longer a load balancer (${e.type})`);
      for (const r of e.sourceRanges.filter((r) => !covered(r, old.sourceRanges))) add(true, 'source range', `${epKey(e)}: source range ${r} added`);
    }
  }
  for (const e of b?.endpoints ?? []) if (!a?.endpoints.some((x) => epKey(x) === epKey(e))) add(false, 'endpoint', `endpoint ${epKey(e)} removed`);
  const ruleKey = (r: Exposure['securityGroupRules'][number]) => `${r.port} from ${r.source}`;
  const oldSg = (b?.securityGroupRules ?? []).map(ruleKey);
  for (const r of a?.securityGroupRules ?? [])
    if (!oldSg.includes(ruleKey(r)) && !(b?.securityGroupRules ?? []).some((o) => o.port === r.port && covered(r.source, [o.source])))
      add(true, 'source range', `security group admits ${ruleKey(r)} (${r.description})`);
  const npKey = (n: Exposure['networkPolicies'][number], i: number) => `${n.namespace}/${n.name}#${i}`;
  const oldSources = new Map((b?.networkPolicies ?? []).flatMap((n) => n.ingress.map((r, i) => [npKey(n, i), r.sources] as const)));
  for (const n of a?.networkPolicies ?? [])
    n.ingress.forEach((r, i) => {
      const old = oldSources.get(npKey(n, i)) ?? [];
      for (const s of r.sources.filter((s) => !old.includes(s))) add(true, 'network', `NetworkPolicy ${n.namespace}/${n.name} admits ${s} on ${r.ports.join(', ') || 'all ports'}`);
    });
  const idKey = (i: Exposure['identities'][number]) => `${i.broker}/${i.listenerFile}/${i.username}`;
  for (const i of a?.identities ?? []) {
    const old = b?.identities.find((x) => idKey(x) === idKey(i));
    // What each identity may do is compared by meaning in the access diff (constructs/review).
    if (!old) add(true, 'identity', `new identity ${i.username} on ${i.broker}: ${i.rules.map((r) => `${r.access} ${JSON.stringify(r.topic)}`).join('; ') || 'no rules'}`);
  }
  for (const i of b?.identities ?? []) if (!a?.identities.some((x) => idKey(x) === idKey(i))) add(false, 'identity', `identity ${i.username} removed from ${i.broker}`);
  const lk = (l: Exposure['listeners'][number]) => `${l.broker}:${l.port}`;
  for (const l of a?.listeners ?? []) {
    const old = b?.listeners.find((x) => lk(x) === lk(l));
    if (!old) add(true, 'TLS', `new listener ${lk(l)} bound to ${l.bind}, ${l.tlsVersion ? `TLS ${l.tlsVersion}+` : 'plaintext'}`);
    else {
      if ((old.tlsVersion ?? '') > (l.tlsVersion ?? '')) add(true, 'TLS', `${lk(l)}: minimum TLS ${old.tlsVersion} -> ${l.tlsVersion ?? 'plaintext'}`);
      if (old.clientCertificate && !l.clientCertificate) add(true, 'TLS', `${lk(l)}: client certificates no longer required`);
      if (!old.anonymous && l.anonymous) add(true, 'TLS', `${lk(l)}: anonymous access now allowed`);
    }
  }
  for (const s of a?.secrets ?? []) {
    const old = b?.secrets.find((x) => x.name === s.name);
    if (old && (s.rotationDays ?? Infinity) > (old.rotationDays ?? Infinity)) add(true, 'secret', `${s.name}: rotation every ${old.rotationDays} -> ${s.rotationDays ?? 'never'} days`);
  }
  for (const c of a?.certificates ?? []) {
    const old = b?.certificates.find((x) => x.name === c.name && x.namespace === c.namespace);
    if (old && old.duration !== c.duration) add(c.duration > old.duration, 'certificate', `${c.namespace}/${c.name}: lifetime ${old.duration} -> ${c.duration}`);
  }
  // A certificate revoked in BEFORE and not in AFTER is accepted again: the widening nobody sees
  // in a one-line removal from the declared list.
  const revKey = (r: { broker: string; serial: string }) => `${r.broker}\u0000${r.serial}`;
  // EMQX's listener rows name the broker with the listener, "mqtt/emqx (ssl.default)".
  const afterBrokers = new Set((a?.listeners ?? []).map((l) => l.broker.replace(/ \([^)]*\)$/, '')));
  const afterRevoked = new Set((a?.revocations ?? []).map(revKey));
  const beforeRevoked = new Set((b?.revocations ?? []).map(revKey));
  const when = (t: string) => (/^\d{12}Z$/.test(t) ? `20${t.slice(0, 2)}-${t.slice(2, 4)}-${t.slice(4, 6)}T${t.slice(6, 8)}:${t.slice(8, 10)}:${t.slice(10, 12)}Z` : t);
  for (const r of b?.revocations ?? [])
    if (afterBrokers.has(r.broker) && !afterRevoked.has(revKey(r)))
      add(true, 'revocation', `${r.broker}: revocation of certificate serial ${r.serial} (CN ${r.identity}, ${r.reason}, revoked ${when(r.revokedAt)}) removed: that certificate is accepted again`);
  for (const r of a?.revocations ?? []) if (!beforeRevoked.has(revKey(r))) add(false, 'revocation', `${r.broker}: certificate serial ${r.serial} (CN ${r.identity}, ${r.reason}) revoked`);
  for (const l of a?.listeners ?? []) {
    const old = b?.listeners.find((x) => lk(x) === lk(l));
    const checked = (x: typeof l | undefined) => x?.crlFile !== undefined || x?.revocation !== undefined;
    if (checked(old) && !checked(l) && l.clientCertificate)
      add(true, 'revocation', `${lk(l)}: client certificates no longer checked against the revocation list (${old?.crlFile !== undefined ? 'crlfile' : 'CRL check'} removed)`);
  }
  const openKeys = (r?: AuditResult) => new Set((r?.rows ?? []).filter((x) => x.status === 'non-compliant' && !x.suppressed).map((x) => x.finding!));
  const suppKeys = (r?: AuditResult) => new Map((r?.rows ?? []).filter((x) => x.suppressed).map((x) => [x.finding!, x.suppressed!.reason]));
  const [ob, oa] = [openKeys(auditBefore), openKeys(auditAfter)];
  for (const f of oa) if (!ob.has(f)) add(true, 'finding', `new finding ${f}`);
  for (const f of ob) if (!oa.has(f)) add(false, 'finding', `finding ${f} resolved`);
  const [sb, sa] = [suppKeys(auditBefore), suppKeys(auditAfter)];
  for (const [f, reason] of sa) if (!sb.has(f)) add(true, 'suppression', `new suppression of ${f}: ${reason}`);
  return ch.sort((x, y) => Number(y.widens) - Number(x.widens));
}

/** One stack's entry of an {@link ExposureDiff}. */
export interface StackDiff {
  readonly stack: string;
  /** `added` / `removed`: the stack exists on one side only. */
  readonly status: 'added' | 'removed' | 'changed' | 'unchanged';
  /** Number of changes that widen exposure. */
  readonly widening: number;
  readonly changes: readonly ExposureChange[];
}

/**
 * The result of comparing two synthesized outputs: what `report --diff --json` prints. Versioned;
 * new fields may be added, and existing fields keep their meaning within a version. Version 2
 * added `access` and `reachability` (and counts what they gain in `widening`); ACL rules
 * left `changes`.
 */
export interface ExposureDiff {
  readonly version: 2;
  readonly before: string;
  readonly after: string;
  /** Total number of widening items over every stack (changes, access gained): the gate of `--fail-on widen`. */
  readonly widening: number;
  readonly stacks: readonly StackDiff[];
  /** What each identity may publish and receive, gained and lost, by meaning (docs/review.md). */
  readonly access: AccessDiff;
  /** Who can reach which broker listener from where, gained and lost, and AFTER's contradictions. */
  readonly reachability: ReachabilityDiff;
}

/** Builds the per-stack entry from the changes of one stack. */
export function stackDiff(stack: string, changes: readonly ExposureChange[], present: { before: boolean; after: boolean }, more = { widening: 0, changed: false }): StackDiff {
  const status = !present.before ? 'added' : !present.after ? 'removed' : changes.length || more.changed ? 'changed' : 'unchanged';
  return { stack, status, widening: changes.filter((c) => c.widens).length + more.widening, changes };
}

/** The whole diff as Markdown, widening changes first in each stack. */
export function renderExposureDiff(d: ExposureDiff): string {
  return [
    `# Exposure diff`,
    '',
    `before: ${mdCode(d.before)}, after: ${mdCode(d.after)}`,
    '',
    renderAccessDiff(d.access),
    renderReachabilityDiff(d.reachability),
    ...d.stacks.map((s) => renderDiff(s.stack, s.changes)),
  ].join('\n');
}

export function renderDiff(stack: string, changes: readonly ExposureChange[]): string {
  const L = [`## Exposure changes: ${mdCode(stack)}`, ''];
  if (!changes.length) return [...L, '_no change in exposure_', ''].join('\n');
  const w = changes.filter((c) => c.widens);
  const n = changes.filter((c) => !c.widens);
  if (w.length) L.push(`### Widens exposure (${w.length})`, '', ...w.map((c) => `- **${c.area}**: ${mdText(c.text)}`), '');
  if (n.length) L.push(`### Narrows or neutral (${n.length})`, '', ...n.map((c) => `- ${c.area}: ${mdText(c.text)}`), '');
  return L.join('\n');
}
