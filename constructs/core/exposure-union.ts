/**
 * How much of the internet a set of declared sources admits, judged on their UNION (baseline
 * NET-2): `0.0.0.0/1` + `128.0.0.0/1`, `::/1` + `8000::/1` or a thousand small ranges that
 * together cover the internet are as open as `0.0.0.0/0`, and a namespace selector without
 * labels selects every namespace of the cluster. Every place that declares peers or CIDRs
 * (broker `allowFrom`, load balancer source ranges, the load balancer's security group, the EKS
 * API endpoint) asks this one function.
 *
 * A union is world-open when it admits at least {@link WORLD_THRESHOLD} public addresses: a /8
 * of public IPv4 (16,777,216 addresses; private, loopback, link-local, shared and multicast
 * ranges do not count) or a /32 of global IPv6 (`2000::/3`), the size of a whole internet
 * provider's allocation. No list of client ranges is that large without a reason a reviewer
 * should read.
 */
import { assertReason, parseCidr } from './checks.js';
import { FortressError, show } from './errors.js';

type Interval = readonly [bigint, bigint];

export const WORLD_THRESHOLD = { ipv4: 2n ** 24n, ipv6: 2n ** 96n } as const;

/** Address ranges that are not reachable from the internet; they never count as world-open. */
const NOT_PUBLIC_V4 = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/3'];
/** Global unicast; everything else in IPv6 (ULA, link-local, multicast) does not count as IPv6. */
const GLOBAL_V6 = '2000::/3';
/** IPv6 prefixes whose last 32 bits are an IPv4 address (NAT64 well-known prefix, IPv4-mapped). */
const EMBEDDED_V4 = ['64:ff9b::/96', '::ffff:0:0/96'];

function parseV6(addr: string): bigint {
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) throw new Error('malformed');
  return groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** The interval of a CIDR (host bits ignored for IPv6, refused for IPv4 by parseCidr). */
export function cidrInterval(prop: string, cidr: string): { family: 4 | 6; range: Interval } {
  const { family, prefix } = parseCidr(prop, cidr);
  const addr = cidr.split('/')[0]!;
  let start: bigint;
  if (family === 4) start = addr.split('.').reduce((a, p) => (a << 8n) | BigInt(Number(p)), 0n);
  else {
    try {
      start = parseV6(addr);
    } catch {
      throw new FortressError('INVALID_CIDR', `${prop} must be a CIDR such as "10.0.0.0/16" or "fd00::/64", got ${show(cidr)}: malformed IPv6 address.`);
    }
  }
  const bits = family === 4 ? 32n : 128n;
  const size = 1n << (bits - BigInt(prefix));
  start = (start / size) * size;
  return { family, range: [start, start + size - 1n] };
}

/** Sorted, merged intervals. */
function merge(xs: readonly Interval[]): Interval[] {
  const s = [...xs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    // biome-ignore lint/complexity/useMathMinMax: bigint, which Math.max does not take
    if (last && a <= last[1] + 1n) last[1] = b > last[1] ? b : last[1];
    else out.push([a, b]);
  }
  return out;
}

function subtract(xs: readonly Interval[], cut: readonly Interval[]): Interval[] {
  let cur = merge(xs);
  for (const [c0, c1] of merge(cut)) {
    cur = cur.flatMap(([a, b]): Interval[] => {
      if (c1 < a || c0 > b) return [[a, b]];
      return [...(a < c0 ? [[a, c0 - 1n] as Interval] : []), ...(c1 < b ? [[c1 + 1n, b] as Interval] : [])];
    });
  }
  return cur;
}

function intersect(xs: readonly Interval[], ys: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const [a, b] of merge(xs))
    for (const [c, d] of merge(ys)) {
      // biome-ignore lint/complexity/useMathMinMax: bigint, which Math.max does not take
      const lo = a > c ? a : c;
      // biome-ignore lint/complexity/useMathMinMax: bigint, which Math.min does not take
      const hi = b < d ? b : d;
      if (lo <= hi) out.push([lo, hi]);
    }
  return out;
}

const count = (xs: readonly Interval[]) => xs.reduce((n, [a, b]) => n + (b - a + 1n), 0n);

/** One declared source: a CIDR with optional exceptions. */
export interface DeclaredRange {
  readonly cidr: string;
  readonly except?: readonly string[];
  /** For messages, e.g. `allowFrom[2].cidr`. */
  readonly prop: string;
}

export interface WorldExposure {
  /** Public IPv4 addresses the union admits. */
  readonly publicIpv4: bigint;
  /** Global IPv6 addresses the union admits. */
  readonly globalIpv6: bigint;
  readonly worldOpen: boolean;
  /** In words, for messages and the report. */
  readonly summary: string;
}

/** Judges the union of the declared ranges (exceptions subtracted). */
export function judgeRanges(ranges: readonly DeclaredRange[]): WorldExposure {
  const v4: Interval[] = [];
  const v6: Interval[] = [];
  const cut4: Interval[] = [];
  const cut6: Interval[] = [];
  for (const r of ranges) {
    const c = cidrInterval(r.prop, r.cidr);
    (c.family === 4 ? v4 : v6).push(c.range);
    for (const [i, e] of (r.except ?? []).entries()) {
      const x = cidrInterval(`${r.prop.replace(/\.cidr$/, '')}.except[${i}]`, e);
      (x.family === 4 ? cut4 : cut6).push(x.range);
    }
  }
  // IPv6 prefixes that carry the IPv4 internet (NAT64 64:ff9b::/96, IPv4-mapped ::ffff:0:0/96)
  // admit IPv4 addresses too: they count as IPv4.
  const v6Clean = subtract(v6, cut6);
  for (const embed of EMBEDDED_V4) {
    const base = cidrInterval('', embed).range[0];
    for (const [a, b] of intersect(v6Clean, [cidrInterval('', embed).range])) v4.push([a - base, b - base]);
  }
  const publicIpv4 = count(
    subtract(
      subtract(v4, cut4),
      NOT_PUBLIC_V4.map((c) => cidrInterval('', c).range),
    ),
  );
  const globalIpv6 = count(intersect(v6Clean, [cidrInterval('', GLOBAL_V6).range]));
  const worldOpen = publicIpv4 >= WORLD_THRESHOLD.ipv4 || globalIpv6 >= WORLD_THRESHOLD.ipv6;
  const parts = [
    ...(publicIpv4 > 0n ? [`${publicIpv4} public IPv4 addresses (${share(publicIpv4, 2n ** 32n)} of the IPv4 space)`] : []),
    ...(globalIpv6 > 0n ? [`${share(globalIpv6, 2n ** 125n)} of the global IPv6 space`] : []),
  ];
  return { publicIpv4, globalIpv6, worldOpen, summary: parts.length ? parts.join(' and ') : 'no public address' };
}

function share(n: bigint, of: bigint): string {
  const pct = Number((n * 1_000_000n) / of) / 10_000;
  return `${pct >= 0.01 || pct === 0 ? pct.toFixed(2) : '<0.01'}%`;
}

/** A Kubernetes peer as the broker constructs declare it (see MqttPeer). */
interface PeerLike {
  readonly namespace?: string;
  readonly namespaceLabels?: Record<string, string>;
  readonly podLabels?: Record<string, string>;
  readonly cidr?: string;
  readonly except?: readonly string[];
  readonly openToWorldReason?: string;
}

/**
 * Checks a list of NetworkPolicy peers as a whole. A namespace selector without labels (every
 * namespace of the cluster) and a CIDR union that is world-open each need `openToWorldReason`
 * (at least 10 characters) on a peer that contributes to it; a reason where nothing is open is
 * refused as unused. Returns the relaxations to record.
 */
export function checkPeerUnion(prop: string, peers: readonly PeerLike[]): { prop: string; reason: string; appliesTo?: string }[] {
  const out: { prop: string; reason: string }[] = [];
  // A reason given is checked (length, one line of text) wherever it is; undefined when absent.
  const reasonOf = (p: PeerLike): string | undefined => (p.openToWorldReason === undefined ? undefined : assertReason(`${prop}[${peers.indexOf(p)}].openToWorldReason`, p.openToWorldReason));
  const used = new Set<number>();
  peers.forEach((p, i) => {
    if (p.namespaceLabels !== undefined && Object.keys(p.namespaceLabels).length === 0) {
      const reason = reasonOf(p);
      if (!reason) {
        throw new FortressError(
          'PEER_OPEN_TO_WORLD',
          `${prop}[${i}].namespaceLabels is {}, which selects every namespace of the cluster (baseline NET-2). Name the client namespaces (namespace: "...") or their labels, or set ${prop}[${i}].openToWorldReason to a reason of at least 10 characters; it is shown in the security report.`,
        );
      }
      used.add(i);
      out.push({ prop: `${prop}[${i}].openToWorldReason`, reason });
    }
  });
  const cidrPeers = peers.map((p, i) => ({ p, i })).filter(({ p }) => p.cidr !== undefined);
  const judged = judgeRanges(cidrPeers.map(({ p, i }) => ({ cidr: p.cidr!, ...(p.except ? { except: p.except } : {}), prop: `${prop}[${i}].cidr` })));
  if (judged.worldOpen) {
    const given = cidrPeers.find(({ p }) => reasonOf(p));
    const whole = cidrPeers.find(({ p }) => /\/0$/.test(p.cidr!));
    if (!given && whole) {
      throw new FortressError(
        'PEER_OPEN_TO_WORLD',
        `${prop}[${whole.i}].cidr is ${whole.p.cidr}, which admits every address (baseline NET-2). Declare the real client ranges, or set ${prop}[${whole.i}].openToWorldReason to a reason of at least 10 characters; it is shown in the security report.`,
      );
    }
    if (!given) {
      throw new FortressError(
        'PEER_OPEN_TO_WORLD',
        `${prop} admits, taken together, ${judged.summary} (${cidrPeers.map(({ p }) => p.cidr).join(', ')}): that is open to the internet (baseline NET-2; a /8 of public IPv4 or a /32 of global IPv6 counts as open). Declare the real client ranges, or set openToWorldReason on one of these peers to a reason of at least 10 characters; it is shown in the security report.`,
      );
    }
    used.add(given.i);
    out.push({ prop: `${prop}[${given.i}].openToWorldReason`, reason: reasonOf(given.p)! });
  }
  peers.forEach((p, i) => {
    if (p.openToWorldReason !== undefined && !used.has(i)) {
      reasonOf(p);
      throw new FortressError(
        'REASON_UNUSED',
        `${prop}[${i}].openToWorldReason is set, but ${prop} is not open to the internet (${judged.summary}) and selects no namespace without labels; remove the reason.`,
      );
    }
  });
  return out;
}

/**
 * Checks a plain CIDR list (security group sources, load balancer source ranges): a world-open
 * union needs `reason` (the relaxation returned), a reason without one is refused as unused.
 * With `reason` undefined and `never` set, a world-open union is refused outright.
 */
export function checkCidrUnion(prop: string, cidrs: readonly string[], reasonProp: string, reason: string | undefined, options: { never?: string } = {}): { prop: string; reason: string } | undefined {
  const judged = judgeRanges(cidrs.map((cidr, i) => ({ cidr, prop: `${prop}[${i}]` })));
  if (judged.worldOpen) {
    if (options.never)
      throw new FortressError(
        options.never,
        `${prop} (${cidrs.join(', ')}) admits, taken together, ${judged.summary}: that is open to the internet, which is never allowed here. Declare the real ranges.`,
      );
    if (reason !== undefined) assertReason(reasonProp, reason);
    if (reason === undefined) {
      throw new FortressError(
        'PEER_OPEN_TO_WORLD',
        `${prop} (${cidrs.join(', ')}) admits, taken together, ${judged.summary}: that is open to the internet (baseline NET-2; a /8 of public IPv4 or a /32 of global IPv6 counts as open). Declare the real client ranges, or set ${reasonProp} to a reason of at least 10 characters; it is shown in the security report.`,
      );
    }
    return { prop: `${prop} (${cidrs.join(', ')})`, reason: assertReason(reasonProp, reason) };
  }
  return undefined;
}
