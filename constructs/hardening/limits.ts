/**
 * The DoS budget as code (baseline DOS-1): every limit of each broker, its value and where it is
 * enforced, read back from the synthesized configuration (so the security report shows what will
 * run, not what a prop asked for), next to AWS IoT Core's published quota for the same thing.
 * Plus an AWS IoT Core parity profile: limits props for both brokers that mirror those quotas
 * where the broker can enforce them; where it cannot, the tables say so.
 *
 * Quota values: AWS IoT Core endpoints and quotas, message broker and protocol limits,
 * https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits
 * (per connection unless "per account"; read December 2026).
 * Cross-checked on 2026-12-02 against two AWS sources: the AWS IoT developer guide's limits page
 * (1 CONNECT per second per client ID, 500 per account) and the AWS IoT Device SDK for
 * JavaScript v2 reference, `ClientExtendedValidationAndFlowControl.AwsIotCoreDefaults` (8
 * subscriptions per SUBSCRIBE, 7 slashes, 256-byte topics, 128-byte client IDs, 512 KB/s and 100
 * publishes per second per connection). The 128 KB payload, 50 subscriptions per connection and
 * 100 in-flight messages agree with secondary sources; the 1200 s keepalive rests on the quota
 * page alone.
 */
import type { Broker } from '../audit/broker-view.js';
import type { EmqxLimits } from '../emqx/config.js';
import type { MosquittoLimits } from '../mosquitto/props.js';

export const AWS_IOT_CORE_QUOTAS_SOURCE = 'https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits';

/** The AWS IoT Core quotas a broker limit can mirror. */
export const AWS_IOT_CORE_QUOTAS = {
  /** Connect requests per second per client ID. */
  connectPerSecondPerClientId: 1,
  /** Connect requests per second per account (adjustable; lower in some regions). */
  connectPerSecondPerAccount: 500,
  /** Inbound publish requests per second per connection. */
  publishPerSecondPerConnection: 100,
  /** Throughput per connection, bytes per second (512 KiB/s). */
  bytesPerSecondPerConnection: 524_288,
  /** Maximum in-flight unacknowledged QoS 1 messages per client (inbound and outbound). */
  inflightPerClient: 100,
  /** Message (PUBLISH payload) size, bytes (128 KB). */
  messageSizeBytes: 131_072,
  /** Topic size of a PUBLISH, bytes (UTF-8). */
  topicBytes: 256,
  /** Forward slashes in a topic or topic filter: 7, so 8 levels. */
  topicLevels: 8,
  /** Subscriptions per SUBSCRIBE packet. */
  subscriptionsPerSubscribe: 8,
  /** Subscriptions per connection. */
  subscriptionsPerConnection: 50,
  /** Client ID size, bytes. */
  clientIdBytes: 128,
  /** Longest keepalive a client may ask for, seconds. */
  maxKeepaliveSeconds: 1200,
} as const;
type Quota = keyof typeof AWS_IOT_CORE_QUOTAS;

/** Mosquitto limits mirroring AWS IoT Core where Mosquitto 2.0 has the setting. */
export const AWS_IOT_CORE_MOSQUITTO_LIMITS: Required<Pick<MosquittoLimits, 'messageSizeLimitBytes' | 'maxInflightMessages' | 'maxKeepaliveSeconds' | 'maxPacketSizeBytes'>> = {
  messageSizeLimitBytes: AWS_IOT_CORE_QUOTAS.messageSizeBytes,
  maxInflightMessages: AWS_IOT_CORE_QUOTAS.inflightPerClient,
  maxKeepaliveSeconds: AWS_IOT_CORE_QUOTAS.maxKeepaliveSeconds,
  // The payload limit plus room for a topic, properties and the fixed header.
  maxPacketSizeBytes: AWS_IOT_CORE_QUOTAS.messageSizeBytes + 4096,
};

/** EMQX limits mirroring AWS IoT Core (EMQX's packet size covers payload and headers: payload + 4 KiB). */
export const AWS_IOT_CORE_EMQX_LIMITS: Required<Pick<EmqxLimits, 'messagesPerSecond' | 'bytesPerSecond' | 'maxInflight' | 'maxClientIdLength' | 'maxTopicLevels' | 'maxPacketSizeBytes'>> = {
  messagesPerSecond: AWS_IOT_CORE_QUOTAS.publishPerSecondPerConnection,
  bytesPerSecond: AWS_IOT_CORE_QUOTAS.bytesPerSecondPerConnection,
  maxInflight: AWS_IOT_CORE_QUOTAS.inflightPerClient,
  maxClientIdLength: AWS_IOT_CORE_QUOTAS.clientIdBytes,
  maxTopicLevels: AWS_IOT_CORE_QUOTAS.topicLevels,
  maxPacketSizeBytes: AWS_IOT_CORE_QUOTAS.messageSizeBytes + 4096,
};

/** One limit of one broker as the synthesized configuration sets it. */
export interface LimitRow {
  readonly broker: string;
  readonly limit: string;
  /** The value in force, or why there is none. */
  readonly value: string;
  /** The setting and file that enforce it; undefined when the broker cannot enforce it. */
  readonly enforcedBy: string | undefined;
  /** AWS IoT Core's quota for the same thing, in words; undefined when AWS has none. */
  readonly awsIotCore: string | undefined;
}

const q = (k: Quota, unit: string) => `${AWS_IOT_CORE_QUOTAS[k]}${unit}`;
const AWS: Record<string, string> = {
  connections: '500,000 per account',
  connectRate: `${q('connectPerSecondPerClientId', '/s')} per client id, ${q('connectPerSecondPerAccount', '/s')} per account`,
  publishRate: q('publishPerSecondPerConnection', '/s'),
  throughput: '512 KiB/s',
  packet: '-',
  message: '128 KB',
  inflight: q('inflightPerClient', ''),
  queued: '-',
  keepalive: q('maxKeepaliveSeconds', ' s'),
  topicBytes: q('topicBytes', ' bytes'),
  topicLevels: `${AWS_IOT_CORE_QUOTAS.topicLevels} levels (7 slashes)`,
  perSubscribe: q('subscriptionsPerSubscribe', ''),
  perConnection: q('subscriptionsPerConnection', ''),
  clientId: q('clientIdBytes', ' bytes'),
};

export const NOT_ON_MOSQUITTO = 'not enforceable on Mosquitto 2.0';
export const NOT_ON_EMQX = 'not enforceable on EMQX 5.8';

function mosquittoRows(b: Broker): LimitRow[] {
  const conf = b.mosquitto!.conf;
  const g = (k: string) => conf.global.get(k)?.at(-1);
  const broker = `${b.namespace}/${b.name} (Mosquitto)`;
  const set = (limit: string, key: string, aws: string | undefined, unset: string): LimitRow => ({
    broker,
    limit,
    value: g(key) ?? unset,
    enforcedBy: `mosquitto.conf \`${key}\``,
    awsIotCore: aws,
  });
  const none = (limit: string, aws: string | undefined, why = NOT_ON_MOSQUITTO): LimitRow => ({ broker, limit, value: why, enforcedBy: undefined, awsIotCore: aws });
  const external = conf.listeners.filter((l) => !['127.0.0.1', '::1', 'localhost'].includes(l.bind ?? ''));
  const bound = external.length > 0 && external.every((l) => l.settings.get('use_username_as_clientid')?.at(-1) === 'true');
  return [
    ...external.map((l) => ({
      broker,
      limit: `Connections on listener ${l.port}`,
      value: l.settings.get('max_connections')?.at(-1) ?? 'unlimited (Mosquitto default -1)',
      enforcedBy: `mosquitto.conf \`max_connections\` (listener ${l.port})`,
      awsIotCore: AWS.connections,
    })),
    none('Connect rate', AWS.connectRate),
    none('Publish rate per connection', AWS.publishRate),
    none('Throughput per connection', AWS.throughput),
    set('Packet size (bytes)', 'max_packet_size', AWS.packet, 'unlimited (Mosquitto default)'),
    set('Message payload size (bytes)', 'message_size_limit', AWS.message, 'unlimited (Mosquitto default)'),
    set('In-flight QoS 1/2 messages per client (outgoing)', 'max_inflight_messages', AWS.inflight, '20 (Mosquitto default)'),
    set('Queued messages per client', 'max_queued_messages', AWS.queued, '1000 (Mosquitto default)'),
    set('Longest keepalive a client may ask for (s)', 'max_keepalive', AWS.keepalive, '65535 (Mosquitto default)'),
    none('Topic length', AWS.topicBytes),
    none('Topic depth', AWS.topicLevels, `${NOT_ON_MOSQUITTO} (fixed at 200 levels in its source)`),
    none('Subscriptions per SUBSCRIBE', AWS.perSubscribe),
    none('Subscriptions per connection', AWS.perConnection),
    bound
      ? {
          broker,
          limit: 'Client id length',
          value: 'the username (use_username_as_clientid): at most 128 characters by the policy',
          enforcedBy: 'mosquitto.conf `use_username_as_clientid` + policy',
          awsIotCore: AWS.clientId,
        }
      : none('Client id length', AWS.clientId),
  ];
}

function emqxRows(b: Broker): LimitRow[] {
  const cfg = b.emqx!.config ?? {};
  const ssl = cfg.listeners?.ssl?.default ?? {};
  const mqtt = cfg.mqtt ?? {};
  const broker = `${b.namespace}/${b.name} (EMQX)`;
  const v = (x: unknown, dflt: string) => (x === undefined ? `${dflt} (EMQX default)` : x === 'infinity' ? 'unlimited' : String(x));
  const row = (limit: string, value: string, key: string, aws: string | undefined): LimitRow => ({ broker, limit, value, enforcedBy: `emqx.conf \`${key}\``, awsIotCore: aws });
  const fd = cfg.flapping_detect;
  return [
    row('Connections per node', v(ssl.max_connections, 'infinity'), 'listeners.ssl.default.max_connections', AWS.connections),
    row('New connections per second per node', v(ssl.max_conn_rate, 'infinity'), 'listeners.ssl.default.max_conn_rate', AWS.connectRate),
    fd?.enable === true
      ? row('Reconnects of one client id', `${fd.max_count} in ${fd.window_time}, then banned ${fd.ban_time}`, 'flapping_detect', AWS.connectRate)
      : { broker, limit: 'Reconnects of one client id', value: 'flapping detection off', enforcedBy: undefined, awsIotCore: AWS.connectRate },
    row('Publish rate per connection', v(ssl.messages_rate, 'infinity'), 'listeners.ssl.default.messages_rate', AWS.publishRate),
    row('Throughput per connection', v(ssl.bytes_rate, 'infinity'), 'listeners.ssl.default.bytes_rate', AWS.throughput),
    row('Packet size', v(mqtt.max_packet_size, '1MB'), 'mqtt.max_packet_size', AWS.message),
    row('In-flight QoS 1/2 messages per client', v(mqtt.max_inflight, '32'), 'mqtt.max_inflight', AWS.inflight),
    row('Queued messages per client', v(mqtt.max_mqueue_len, '1000'), 'mqtt.max_mqueue_len', AWS.queued),
    { broker, limit: 'Topic length', value: NOT_ON_EMQX, enforcedBy: undefined, awsIotCore: AWS.topicBytes },
    row('Topic depth (levels)', v(mqtt.max_topic_levels, '128'), 'mqtt.max_topic_levels', AWS.topicLevels),
    { broker, limit: 'Subscriptions per SUBSCRIBE', value: NOT_ON_EMQX, enforcedBy: undefined, awsIotCore: AWS.perSubscribe },
    row('Subscriptions per connection', v(mqtt.max_subscriptions, 'infinity'), 'mqtt.max_subscriptions', AWS.perConnection),
    row('Client id length', v(mqtt.max_clientid_len, '65535'), 'mqtt.max_clientid_len', AWS.clientId),
  ];
}

/** Every limit of every broker in a stack, read from its synthesized configuration. */
export function limitsOf(brokers: readonly Broker[]): LimitRow[] {
  return brokers.flatMap((b) => (b.kind === 'mosquitto' && b.mosquitto ? mosquittoRows(b) : b.kind === 'emqx' && b.emqx ? emqxRows(b) : []));
}

/** The AWS IoT Core parity profile as rows: quota, AWS value, what each broker sets for it. */
export interface ParityRow {
  readonly quota: string;
  readonly aws: string;
  readonly mosquitto: string;
  readonly emqx: string;
}

export const AWS_PARITY: readonly ParityRow[] = [
  {
    quota: 'Connect requests per second per client id',
    aws: AWS.connectRate,
    mosquitto: NOT_ON_MOSQUITTO,
    emqx: 'approximated: `flapping_detect` bans a client id after 15 connects in 1 minute (5 minutes); `max_conn_rate` limits all clients per node',
  },
  {
    quota: 'Publish requests per second per connection',
    aws: AWS.publishRate,
    mosquitto: NOT_ON_MOSQUITTO,
    emqx: `\`messages_rate\` ${AWS_IOT_CORE_EMQX_LIMITS.messagesPerSecond}/s (limits.messagesPerSecond)`,
  },
  { quota: 'Throughput per connection', aws: AWS.throughput, mosquitto: NOT_ON_MOSQUITTO, emqx: `\`bytes_rate\` ${AWS_IOT_CORE_EMQX_LIMITS.bytesPerSecond / 1024}KB/s (limits.bytesPerSecond)` },
  {
    quota: 'In-flight unacknowledged messages',
    aws: AWS.inflight,
    mosquitto: `\`max_inflight_messages\` ${AWS_IOT_CORE_MOSQUITTO_LIMITS.maxInflightMessages} (limits.maxInflightMessages; outgoing)`,
    emqx: `\`mqtt.max_inflight\` ${AWS_IOT_CORE_EMQX_LIMITS.maxInflight} (limits.maxInflight)`,
  },
  {
    quota: 'Message size',
    aws: AWS.message,
    mosquitto: `\`message_size_limit\` ${AWS_IOT_CORE_MOSQUITTO_LIMITS.messageSizeLimitBytes} (limits.messageSizeLimitBytes), \`max_packet_size\` ${AWS_IOT_CORE_MOSQUITTO_LIMITS.maxPacketSizeBytes}`,
    emqx: `\`mqtt.max_packet_size\` ${AWS_IOT_CORE_EMQX_LIMITS.maxPacketSizeBytes / 1024}KB, payload and headers (limits.maxPacketSizeBytes)`,
  },
  { quota: 'Topic length', aws: AWS.topicBytes, mosquitto: NOT_ON_MOSQUITTO, emqx: NOT_ON_EMQX },
  {
    quota: 'Topic depth',
    aws: AWS.topicLevels,
    mosquitto: `${NOT_ON_MOSQUITTO} (fixed at 200 levels)`,
    emqx: `\`mqtt.max_topic_levels\` ${AWS_IOT_CORE_EMQX_LIMITS.maxTopicLevels} (limits.maxTopicLevels)`,
  },
  { quota: 'Subscriptions per SUBSCRIBE', aws: AWS.perSubscribe, mosquitto: NOT_ON_MOSQUITTO, emqx: NOT_ON_EMQX },
  {
    quota: 'Client id size',
    aws: AWS.clientId,
    mosquitto: 'the client id is the username (clientIdIsUsername), at most 128 characters by the policy',
    emqx: `\`mqtt.max_clientid_len\` ${AWS_IOT_CORE_EMQX_LIMITS.maxClientIdLength} (limits.maxClientIdLength)`,
  },
  {
    quota: 'Longest keepalive',
    aws: AWS.keepalive,
    mosquitto: `\`max_keepalive\` ${AWS_IOT_CORE_MOSQUITTO_LIMITS.maxKeepaliveSeconds} (limits.maxKeepaliveSeconds)`,
    emqx: `${NOT_ON_EMQX} (no upper bound; \`mqtt.server_keepalive\` forces one value)`,
  },
];

const cell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** The report's section (Markdown); cells are escaped for a table (values come from the stack). */
export function renderLimits(rows: readonly LimitRow[], escapeCell: (s: string) => string = cell): string[] {
  if (!rows.length) return [];
  return [
    '## Limits (DoS budget)',
    '',
    "Each limit as the synthesized configuration sets it, where it is enforced, and AWS IoT Core's quota for the same thing (docs/dos-limits.md).",
    '',
    '| Broker | Limit | Value | Enforced by | AWS IoT Core |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${escapeCell(r.broker)} | ${escapeCell(r.limit)} | ${r.enforcedBy ? escapeCell(r.value) : `**${escapeCell(r.value)}**`} | ${r.enforcedBy ? r.enforcedBy : '-'} | ${escapeCell(r.awsIotCore ?? '-')} |`,
    ),
    '',
  ];
}

/** docs/dos-limits.md. */
export function renderLimitsDoc(): string {
  return `${[
    '# Limits and the AWS IoT Core parity profile',
    '',
    '<!-- Generated from constructs/hardening/limits.ts by `npm run docs:hardening`. Do not edit. -->',
    '',
    'The security report (`npm run report`) shows every limit of every broker in a stack, read back from the',
    "synthesized configuration, with the setting that enforces it and AWS IoT Core's quota for the same thing.",
    '',
    "To run a broker with AWS IoT Core's per-connection quotas, spread the parity profile into its limits:",
    '',
    '```ts',
    "import { AWS_IOT_CORE_EMQX_LIMITS, AWS_IOT_CORE_MOSQUITTO_LIMITS } from 'mqtt-fortress';",
    'new MosquittoBroker(this, "Broker", { ...props, limits: { ...AWS_IOT_CORE_MOSQUITTO_LIMITS } });',
    'new EmqxCluster(this, "Cluster", { ...props, limits: { ...AWS_IOT_CORE_EMQX_LIMITS } });',
    '```',
    '',
    `Quota values: ${AWS_IOT_CORE_QUOTAS_SOURCE}. Where a broker has no setting for a quota, the table says so.`,
    '',
    '| Quota | AWS IoT Core | Mosquitto 2.0 | EMQX 5.8 |',
    '| --- | --- | --- | --- |',
    ...AWS_PARITY.map((r) => `| ${r.quota} | ${r.aws} | ${r.mosquitto} | ${r.emqx} |`),
  ].join('\n')}\n`;
}
