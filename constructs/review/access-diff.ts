/**
 * The access diff: for each broker, identity and action, the topic filters gained and lost
 * between two synthesized outputs, computed from what the rules mean (the sets of topic names
 * allowed, denials and evaluation order included; see access-model.ts and filter-algebra.ts),
 * not from their text. Reordering rules, splitting a role or renaming it changes nothing here;
 * removing one filter of several, a broader wildcard, a removed denial or a new member of an
 * identity class does.
 *
 * Each change names a filter. `extent: 'whole'` when everything that filter allows on its side
 * is new (or gone); `'part'` when only some of it is, with an example topic name in the changed
 * part. Where a removed (or added) denial explains a change, the filter reported is the allowed
 * filter narrowed to that denial. A filter that another reported filter covers is not reported
 * again.
 */
import type { AssertionRow } from '../audit/engine.js';
import { mdCode, mdText } from '../audit/escape.js';
import { type AccessModel, type IdentityAccess, identityAllows, type Op, type OrderedRule } from './access-model.js';
import { filterSubset, findTopic, meetFilters } from './filter-algebra.js';

export interface AccessChange {
  readonly stack: string;
  /** `namespace/name` of the broker. */
  readonly broker: string;
  /** The MQTT username (each member of an identity class is its own username). */
  readonly identity: string;
  /** The listener's port, when the broker's listeners admit different things (Mosquitto `per_listener_settings`). */
  readonly listener?: number;
  readonly action: Op;
  /** A topic filter: the topic names gained or lost lie in it. */
  readonly topic: string;
  /** `whole`: all the filter allows on that side changed; `part`: some of it (see `example`). */
  readonly extent: 'whole' | 'part';
  /** A topic name whose access changed, for `part`. */
  readonly example?: string;
}

/** A case of BEFORE's access assertions that AFTER's deployed rules no longer hold. */
export interface BrokenAssertion {
  readonly stack: string;
  readonly broker: string;
  /** The listener's port, when the broker's listeners admit different things. */
  readonly listener?: number;
  /** The assertion's identity (a class name, or the username). */
  readonly identity: string;
  readonly username: string;
  /** Where the case is in the policy, e.g. `assertions[0].deny[1]`. */
  readonly case: string;
  readonly action: string;
  readonly topic: string;
  readonly expect: 'allow' | 'deny';
}

export interface AccessDiff {
  readonly gained: readonly AccessChange[];
  readonly lost: readonly AccessChange[];
  readonly brokenAssertions: readonly BrokenAssertion[];
  /** What the reader could not interpret on either side; new ones count as widening. */
  readonly unread: readonly { readonly stack: string; readonly side: 'before' | 'after'; readonly broker: string; readonly text: string; readonly new: boolean }[];
}

type Lists = readonly (readonly OrderedRule[])[];

/** Evaluates "every list's first match allows" from the matches of the lists' filters, laid out in order from `at`. */
function evaluator(lists: Lists | undefined, at: number): (m: readonly boolean[]) => boolean {
  if (!lists?.length) return () => false;
  const spans: [number, readonly OrderedRule[]][] = [];
  let o = at;
  for (const l of lists) {
    spans.push([o, l]);
    o += l.length;
  }
  return (m) =>
    spans.every(([start, l]) => {
      for (let i = 0; i < l.length; i++) if (m[start + i]) return l[i]!.allow;
      return false;
    });
}

const flat = (lists: Lists | undefined) => (lists ?? []).flatMap((l) => l.map((r) => r.topic));

/** The filters `to` allows beyond `from` (both one identity's lists for one action). */
export function gainedFilters(from: Lists | undefined, to: Lists | undefined): { topic: string; extent: 'whole' | 'part'; example?: string }[] {
  const base = [...flat(from), ...flat(to)];
  const was = evaluator(from, 0);
  const now = evaluator(to, flat(from).length);
  const n = base.length;
  const anyGain = findTopic(base, (m) => now(m) && !was(m));
  if (anyGain === undefined) return [];
  const allows = [...new Set((to ?? []).flatMap((l) => l.filter((r) => r.allow).map((r) => r.topic)))];
  const denials = [...new Set((from ?? []).flatMap((l) => l.filter((r) => !r.allow).map((r) => r.topic)))];
  const candidates = [...new Set([...allows, ...allows.flatMap((a) => denials.map((d) => meetFilters(a, d)).filter((x): x is string => x !== undefined))])];
  const whole = candidates.filter((c) => {
    const v = [...base, c];
    return findTopic(v, (m) => m[n]! && now(m) && !was(m)) !== undefined && findTopic(v, (m) => m[n]! && now(m) && was(m)) === undefined;
  });
  const out: { topic: string; extent: 'whole' | 'part'; example?: string }[] = whole.map((topic) => ({ topic, extent: 'whole' }));
  for (const a of allows) {
    if (whole.includes(a)) continue;
    const v = [...base, ...whole, a];
    const example = findTopic(v, (m) => m[v.length - 1]! && now(m) && !was(m) && !m.slice(n, n + whole.length).some(Boolean));
    if (example !== undefined) out.push({ topic: a, extent: 'part', example });
  }
  // Reported once: a filter that another reported filter covers is dropped (of two equal, the later).
  return out.filter((x, i) => !out.some((y, j) => j !== i && filterSubset([x.topic], [y.topic]) && (j < i || !filterSubset([y.topic], [x.topic]))));
}

const where = (broker: string, listener: number | undefined) => `${broker}\u0000${listener ?? ''}`;
const key = (a: IdentityAccess) => `${where(a.broker, a.listener)}\u0000${a.identity}`;

/**
 * When one side reads a broker per listener and the other as one model for every listener, the
 * single model stands for each of those listeners: compared listener by listener.
 */
function perListener(side: AccessModel | undefined, other: AccessModel | undefined): IdentityAccess[] {
  const split = new Set((other?.identities ?? []).filter((o) => o.listener !== undefined).map((o) => o.broker));
  // The ports the one model stood for on its side (a port only on the other side is a listener added or removed).
  const ports = new Map((side?.listeners ?? []).map((l) => [l.broker, l.ports]));
  return (side?.identities ?? []).flatMap((x) => (x.listener === undefined && split.has(x.broker) ? (ports.get(x.broker) ?? []).map((listener) => ({ ...x, listener })) : [x]));
}

export function diffAccess(stack: string, before: AccessModel | undefined, after: AccessModel | undefined, assertionsBefore: readonly AssertionRow[] = []): AccessDiff {
  const b = new Map(perListener(before, after).map((x) => [key(x), x]));
  const a = new Map(perListener(after, before).map((x) => [key(x), x]));
  const gained: AccessChange[] = [];
  const lost: AccessChange[] = [];
  for (const k of [...new Set([...b.keys(), ...a.keys()])].sort()) {
    const x = b.get(k);
    const y = a.get(k);
    const who = (x ?? y)!;
    for (const action of ['publish', 'subscribe'] as const) {
      const [from, to] = [x?.[action], y?.[action]];
      if (JSON.stringify(from) === JSON.stringify(to)) continue;
      const at = { stack, broker: who.broker, identity: who.identity, ...(who.listener !== undefined ? { listener: who.listener } : {}), action };
      for (const g of gainedFilters(from, to)) gained.push({ ...at, ...g });
      for (const l of gainedFilters(to, from)) lost.push({ ...at, ...l });
    }
  }
  const brokenAssertions: BrokenAssertion[] = [];
  if (after) {
    const places = new Map([...b.values()].map((i) => [where(i.broker, i.listener), { broker: i.broker, listener: i.listener }]));
    for (const r of assertionsBefore) {
      if (r.action !== 'publish' && r.action !== 'subscribe') continue;
      for (const [w, { broker, listener }] of places) {
        if (!b.has(`${w}\u0000${r.username}`)) continue;
        const holds = identityAllows(a.get(`${w}\u0000${r.username}`), r.action, r.topic) === (r.expect === 'allow');
        if (!holds)
          brokenAssertions.push({
            stack,
            broker,
            ...(listener !== undefined ? { listener } : {}),
            identity: r.identity,
            username: r.username,
            case: r.case,
            action: r.action,
            topic: r.topic,
            expect: r.expect,
          });
      }
    }
  }
  const unreadOf = (m: AccessModel | undefined) => new Set((m?.unread ?? []).map((u) => `${u.broker}\u0000${u.text}`));
  const [ub, ua] = [unreadOf(before), unreadOf(after)];
  const unread = [
    ...(after?.unread ?? []).map((u) => ({ stack, side: 'after' as const, ...u, new: !ub.has(`${u.broker}\u0000${u.text}`) })),
    ...(before?.unread ?? []).filter((u) => !ua.has(`${u.broker}\u0000${u.text}`)).map((u) => ({ stack, side: 'before' as const, ...u, new: false })),
  ];
  return { gained, lost, brokenAssertions, unread };
}

/** Several stacks' diffs as one. */
export function concatAccess(diffs: readonly AccessDiff[]): AccessDiff {
  return {
    gained: diffs.flatMap((d) => d.gained),
    lost: diffs.flatMap((d) => d.lost),
    brokenAssertions: diffs.flatMap((d) => d.brokenAssertions),
    unread: diffs.flatMap((d) => d.unread),
  };
}

/**
 * Widening items of an access diff: gained filters, new terms the reader cannot interpret, and
 * deny assertions of BEFORE that AFTER breaks (what BEFORE promised to refuse is now allowed,
 * whether or not a gained filter shows it: dynamic security's SUBSCRIBE check, for one, is not
 * the delivery check the gained filters compare).
 */
export function accessWidening(d: AccessDiff): number {
  return d.gained.length + d.unread.filter((u) => u.new).length + d.brokenAssertions.filter((x) => x.expect === 'deny').length;
}

const VERB: Record<Op, string> = { publish: 'publish to', subscribe: 'subscribe to and receive' };

function line(c: AccessChange, now: 'may now' | 'may no longer'): string {
  const extent = c.extent === 'whole' ? '' : ` (in part, e.g. ${mdCode(c.example)})`;
  return `- ${mdCode(c.identity)} on ${mdCode(c.broker)}${c.listener !== undefined ? ` listener ${c.listener}` : ''} (stack ${mdCode(c.stack)}) ${now} ${VERB[c.action]} ${mdCode(c.topic)}${extent}`;
}

/** The "Access changes" section: widening first, every user-controlled string escaped. */
export function renderAccessDiff(d: AccessDiff): string {
  const L = ['## Access changes', ''];
  const newUnread = d.unread.filter((u) => u.new);
  if (!d.gained.length && !d.lost.length && !d.brokenAssertions.length && !newUnread.length) return [...L, '_no change in what any identity may publish or receive_', ''].join('\n');
  if (d.gained.length) L.push(`### Access gained (${d.gained.length})`, '', ...d.gained.map((c) => line(c, 'may now')), '');
  if (newUnread.length)
    L.push(`### Rules the diff cannot read (${newUnread.length}), counted as widening`, '', ...newUnread.map((u) => `- ${mdCode(u.broker)} (stack ${mdCode(u.stack)}): ${mdText(u.text)}`), '');
  if (d.brokenAssertions.length)
    L.push(
      `### Assertions of BEFORE that AFTER breaks (${d.brokenAssertions.length})${d.brokenAssertions.some((x) => x.expect === 'deny') ? ', a broken deny counted as widening' : ''}`,
      '',
      ...d.brokenAssertions.map(
        (x) =>
          `- ${mdCode(x.case)} (identity ${mdCode(x.identity)}): ${mdCode(x.username)} on ${mdCode(x.broker)}${x.listener !== undefined ? ` listener ${x.listener}` : ''} ${x.expect === 'deny' ? 'may now' : 'may no longer'} ${x.action === 'publish' ? 'publish to' : 'subscribe to'} ${mdCode(x.topic)}, but BEFORE asserted ${x.expect}`,
      ),
      '',
    );
  if (d.lost.length) L.push(`### Access lost (${d.lost.length})`, '', ...d.lost.map((c) => line(c, 'may no longer')), '');
  return L.join('\n');
}
