/**
 * Proves a policy's access assertions over the wire, against a running broker started from a
 * local bundle: each asserted identity connects with its bundle credentials over TLS and every
 * case is acted out with a witness, so that "refused" cannot be confused with "nobody listened".
 *
 * - publish: the identity publishes at QoS 1 a fresh payload; an identity the policy lets receive
 *   the topic watches it. Allowed = PUBACK success and delivered to the watcher; refused = PUBACK
 *   "not authorized" (or a disconnect) and not delivered.
 * - subscribe: the identity subscribes the filter; an identity the policy lets publish a topic the
 *   filter matches publishes a fresh payload (a `$SYS` filter uses the broker's own retained
 *   `$SYS/broker/version`). Allowed = SUBACK granted and delivered; refused = not delivered
 *   (Mosquitto's ACL file grants every SUBACK and filters on delivery, so delivery is the proof).
 *
 * Used by `npm run local -- --verify` and by the integration test; it takes the cases as data,
 * so a test can also hand it a deliberately wrong case and see it caught.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { type AssertionResult, describeResult } from '../../constructs/policy/assertions.js';
import { examplesFor } from '../../constructs/policy/examples.js';
import { formatPath, type Policy } from '../../constructs/policy/model.js';
import { hasWildcard, topicMatches } from '../../constructs/policy/topic.js';
import type { LocalBundle } from '../local-bundle.js';

/** Above this many members, a class's case is acted out for this many of the checked members (first, last and evenly spaced). */
export const WIRE_SAMPLE_SIZE = 10;

/** The broker's own retained topic that witnesses a `$SYS` subscription. */
const SYS_WITNESS = '$SYS/broker/version';

export interface WireCase {
  /** e.g. `assertions[0].deny[1]` */
  readonly label: string;
  readonly username: string;
  readonly action: 'publish' | 'subscribe';
  /** Topic name (publish) or filter (subscribe), placeholders filled. */
  readonly topic: string;
  readonly expect: 'allow' | 'deny';
  /** publish: who watches the topic. subscribe: who publishes what (or the broker's $SYS tree). */
  readonly witness:
    | { readonly kind: 'watch'; readonly username: string }
    | { readonly kind: 'publish'; readonly username: string; readonly topic: string }
    | { readonly kind: 'sys'; readonly topic: string }
    | { readonly kind: 'none'; readonly why: string };
  /** The synth-time explanation (rule that grants or blocks). */
  readonly because: string;
}

export interface WireResult {
  readonly case: WireCase;
  /** true: the broker did what the assertion says; false: it did not; undefined: not observable (no witness). */
  readonly holds: boolean | undefined;
  /** What was seen on the wire, e.g. `PUBACK 135 (not authorized), not delivered to backend`. */
  readonly evidence: string;
}

/** Candidate concrete topics a filter matches, from what the policy's identities may publish. */
function candidateTopics(policy: Policy, filter: string): { username: string; topic: string }[] {
  const out: { username: string; topic: string }[] = [];
  const levels = filter.split('/');
  for (const p of policy.principals) {
    const own = levels.map((l) => (l === '+' ? p.username : l === '#' ? 'wire-check' : l)).join('/');
    const named = levels.map((l) => (l === '+' ? 'x1' : l === '#' ? 'example' : l)).join('/');
    for (const t of [...examplesFor(policy, p.username).publish, own, named]) {
      if (!hasWildcard(t) && topicMatches(filter, t) && policy.allows(p.username, 'publish', t)) out.push({ username: p.username, topic: t });
    }
  }
  return out;
}

/** One wire case per evaluated assertion case (a class's members sampled down to {@link WIRE_SAMPLE_SIZE}). */
export function planWireCases(policy: Policy): WireCase[] {
  const byCase = new Map<string, AssertionResult[]>();
  for (const r of policy.assertionResults) byCase.set(r.path.join('.'), [...(byCase.get(r.path.join('.')) ?? []), r]);
  const out: WireCase[] = [];
  for (const rs of byCase.values()) {
    const step = rs.length > WIRE_SAMPLE_SIZE ? (rs.length - 1) / (WIRE_SAMPLE_SIZE - 1) : 1;
    const picked = rs.length > WIRE_SAMPLE_SIZE ? Array.from({ length: WIRE_SAMPLE_SIZE }, (_, i) => rs[Math.round(i * step)]!) : rs;
    for (const r of picked) out.push(planCase(policy, { label: formatPath(r.path), username: r.username, action: r.action, topic: r.topic, expect: r.expect, because: describeResult(r) }));
  }
  return out;
}

/** Chooses the witness of one case. Exported so a test can plan a case the policy does not assert. */
export function planCase(policy: Policy, c: Omit<WireCase, 'witness'>): WireCase {
  if (c.action === 'publish') {
    const readers = policy.principals.filter((p) => policy.allows(p.username, 'receive', c.topic));
    // Prefer another identity: the publisher's own read access is not what is asserted.
    const w = readers.find((p) => p.username !== c.username) ?? readers[0];
    return { ...c, witness: w ? { kind: 'watch', username: w.username } : { kind: 'none', why: `no identity of the policy may receive ${JSON.stringify(c.topic)}` } };
  }
  if (c.topic.startsWith('$SYS')) {
    if (topicMatches(c.topic, SYS_WITNESS)) return { ...c, witness: { kind: 'sys', topic: SYS_WITNESS } };
    return { ...c, witness: { kind: 'none', why: `the filter does not match ${SYS_WITNESS}, the broker's retained witness` } };
  }
  const cands = candidateTopics(policy, c.topic).filter((x) => x.username !== c.username || c.expect === 'allow');
  // Allow: a topic the subscriber may receive. Deny: preferably one it may not receive at all.
  // (A wrong assertion gets a witness too, so that the broker can contradict it.)
  const pick = (c.expect === 'allow' ? cands.find((x) => policy.allows(c.username, 'receive', x.topic)) : cands.find((x) => !policy.allows(c.username, 'receive', x.topic))) ?? cands[0];
  return {
    ...c,
    witness: pick ? { kind: 'publish', username: pick.username, topic: pick.topic } : { kind: 'none', why: `no identity of the policy may publish a topic ${JSON.stringify(c.topic)} matches` },
  };
}

interface Conn {
  client: MqttClient;
  got: { topic: string; payload: string }[];
}

export interface WireOptions {
  /** How long a refused case waits for a delivery that must not come. @default 500 */
  readonly quietMs?: number;
  /** How long an allowed case waits for its delivery. @default 3000 */
  readonly deliveryMs?: number;
}

const REASON: Record<number, string> = {
  0: 'success',
  1: 'granted QoS 1',
  16: 'no matching subscribers',
  128: 'unspecified error',
  135: 'not authorized',
  143: 'topic filter invalid',
  144: 'topic name invalid',
};
const code = (rc: number) => `${rc}${REASON[rc] ? ` (${REASON[rc]})` : ''}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Acts out every case against the broker of `bundle` (already running). Connects each identity
 * once (client id = username) and reconnects one the broker disconnected. Never throws for a case
 * that fails; throws only when an identity cannot connect at all (then nothing is proven).
 */
export async function verifyOverWire(bundle: LocalBundle, cases: readonly WireCase[], o: WireOptions = {}): Promise<WireResult[]> {
  const quiet = o.quietMs ?? 500;
  const deliver = o.deliveryMs ?? 3000;
  const ca = readFileSync(bundle.caFile);
  const conns = new Map<string, Conn>();
  let nonce = 0;
  const fresh = () => `wire-check ${process.pid}-${Date.now()}-${nonce++}`;

  async function conn(username: string): Promise<Conn> {
    const have = conns.get(username);
    if (have?.client.connected) return have;
    have?.client.end(true);
    const user = bundle.users.find((u) => u.username === username);
    if (!user) throw new Error(`the bundle has no credentials for ${username}`);
    const cert = bundle.clientCertificates.find((c) => c.username === username);
    const withPassword = bundle.clientAuth !== 'certificate';
    const opts: IClientOptions = {
      host: bundle.host,
      port: bundle.port,
      protocol: 'mqtts',
      ca,
      servername: bundle.tlsServerName,
      rejectUnauthorized: true,
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      clean: true,
      clientId: username,
      ...(withPassword ? { username, password: user.password } : {}),
      ...(bundle.mtls && cert ? { cert: readFileSync(cert.cert), key: readFileSync(cert.key) } : {}),
    };
    const c: Conn = { client: mqtt.connect(opts), got: [] };
    c.client.on('message', (topic, payload) => c.got.push({ topic, payload: payload.toString() }));
    await new Promise<void>((resolve, reject) => {
      c.client.once('connect', () => resolve());
      c.client.once('error', (e) => reject(new Error(`${username} could not connect to ${bundle.host}:${bundle.port}: ${e.message}`)));
      c.client.once('close', () => reject(new Error(`${username} could not connect to ${bundle.host}:${bundle.port}: the connection closed before CONNACK`)));
    });
    c.client.removeAllListeners('error');
    c.client.on('error', () => undefined);
    conns.set(username, c);
    return c;
  }

  /** PUBACK reason code, or -1 when the broker closed the connection instead. */
  async function publish(username: string, topic: string, payload: string, retain = false): Promise<number> {
    const c = await conn(username);
    return new Promise<number>((resolve) => {
      const onClose = () => resolve(-1);
      c.client.once('close', onClose);
      c.client.publish(topic, payload, { qos: 1, retain }, (err, packet) => {
        c.client.removeListener('close', onClose);
        if (err) return resolve(typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1);
        resolve((packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0);
      });
    });
  }
  async function subscribe(username: string, filter: string): Promise<number> {
    const c = await conn(username);
    try {
      const granted = await c.client.subscribeAsync(filter, { qos: 1 });
      return granted[0]?.qos ?? -1;
    } catch (e) {
      const g = (e as { packet?: { granted?: (number | { qos: number })[] } }).packet?.granted?.[0];
      if (g === undefined) return -1;
      return typeof g === 'number' ? g : g.qos;
    }
  }
  async function unsubscribe(username: string, filter: string): Promise<void> {
    const c = conns.get(username);
    if (c?.client.connected) await c.client.unsubscribeAsync(filter).catch(() => undefined);
  }
  /** Waits until `username` received `payload` (true) or `ms` passed (false). */
  async function received(username: string, match: (m: { topic: string; payload: string }) => boolean, ms: number): Promise<boolean> {
    const t0 = Date.now();
    for (;;) {
      if (conns.get(username)?.got.some(match)) return true;
      if (Date.now() - t0 >= ms) return false;
      await sleep(20);
    }
  }

  const results: WireResult[] = [];
  try {
    for (const c of cases) {
      for (const x of conns.values()) x.got.length = 0;
      const w = c.witness;
      if (w.kind === 'none') {
        results.push({ case: c, holds: undefined, evidence: `not observable over the wire: ${w.why}` });
        continue;
      }
      if (c.action === 'publish' && w.kind === 'watch') {
        const wsub = await subscribe(w.username, c.topic);
        const payload = fresh();
        const rc = await publish(c.username, c.topic, payload);
        const seen = await received(w.username, (m) => m.payload === payload, rc >= 0 && rc < 128 && c.expect === 'allow' ? deliver : quiet);
        await unsubscribe(w.username, c.topic);
        const acked = rc >= 0 && rc < 128;
        const ack = rc === -1 ? 'the broker closed the connection' : `PUBACK ${code(rc)}`;
        const watched = wsub >= 128 ? `, ${w.username} could not watch it (SUBACK ${code(wsub)})` : `, ${seen ? 'delivered' : 'not delivered'} to ${w.username}`;
        results.push({ case: c, holds: c.expect === 'allow' ? acked && seen : !acked && !seen, evidence: `${ack}${watched}` });
        continue;
      }
      const granted = await subscribe(c.username, c.topic);
      let seen: boolean;
      let what: string;
      if (w.kind === 'sys') {
        seen = await received(c.username, (m) => m.topic.startsWith('$SYS/'), c.expect === 'allow' ? deliver : quiet);
        what = `the broker's retained ${w.topic}`;
      } else if (w.kind === 'publish') {
        const payload = fresh();
        const rc = await publish(w.username, w.topic, payload);
        if (rc < 0 || rc >= 128) {
          await unsubscribe(c.username, c.topic);
          // The policy lets the witness publish this topic (that is why it was chosen): a broker
          // that refuses it does not follow the policy, so the case fails rather than passing
          // as "not observable" (a broker refusing every witness would otherwise verify).
          results.push({
            case: c,
            holds: false,
            evidence: `the witness ${w.username} may publish ${JSON.stringify(w.topic)} by the policy, but the broker refused it (${rc === -1 ? 'disconnected' : `PUBACK ${code(rc)}`})`,
          });
          continue;
        }
        seen = await received(c.username, (m) => m.payload === payload, c.expect === 'allow' ? deliver : quiet);
        what = `${JSON.stringify(w.topic)} from ${w.username}`;
      } else {
        throw new Error(`unexpected witness ${w.kind} for ${c.action}`);
      }
      await unsubscribe(c.username, c.topic);
      const suback = granted === -1 ? 'no SUBACK' : `SUBACK ${code(granted)}`;
      const okGrant = granted >= 0 && granted < 128;
      results.push({ case: c, holds: c.expect === 'allow' ? okGrant && seen : !seen, evidence: `${suback}, ${what} ${seen ? 'delivered' : 'not delivered'}` });
    }
  } finally {
    await Promise.all([...conns.values()].map((c) => c.client.endAsync(true).catch(() => undefined)));
  }
  return results;
}

/** One line per result, as `--verify` prints them. */
export function wireLine(r: WireResult): string {
  const c = r.case;
  const verb = c.action === 'publish' ? 'publish to' : 'subscribe to';
  const status = r.holds === true ? 'ok  ' : r.holds === false ? 'FAIL' : 'n/a ';
  const says = `${c.username} ${c.expect === 'allow' ? 'may' : 'may not'} ${verb} ${JSON.stringify(c.topic)}`;
  return `${status} ${c.label}: ${says}: ${r.evidence}`;
}
