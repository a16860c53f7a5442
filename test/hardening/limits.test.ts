/**
 * The DoS budget table (constructs/hardening/limits.ts): read back from synthesized stacks of both
 * brokers into the security report, with the settings that enforce each limit and the limits
 * Mosquitto 2.0 cannot enforce said so; the AWS IoT Core parity profile renders into configuration
 * EMQX's 5.8 schema accepts and into the report; docs/dos-limits.md is what the code renders.
 * That Mosquitto reads the profile back: test/integration/limits-profile.int.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exposureOf } from '../../constructs/audit/exposure.js';
import { renderReport } from '../../constructs/audit/report.js';
import { auditContext } from '../../constructs/audit/rules.js';
import { EmqxCluster } from '../../constructs/emqx/cluster.js';
import { buildEmqx } from '../../constructs/emqx/objects.js';
import { type EmqxSchema, validateEmqxConfig } from '../../constructs/emqx/schema.js';
import { AWS_IOT_CORE_EMQX_LIMITS, AWS_IOT_CORE_MOSQUITTO_LIMITS, AWS_IOT_CORE_QUOTAS, AWS_IOT_CORE_QUOTAS_SOURCE, limitsOf, NOT_ON_MOSQUITTO } from '../../constructs/hardening/limits.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import { hardeningDocs, REPO_ROOT } from '../../scripts/hardening-docs.js';
import { emqxProps } from '../audit/rules/kit.js';
import { minimalBrokerProps, synth } from '../helpers/synth.js';

const schema = (): EmqxSchema => JSON.parse(readFileSync(join(REPO_ROOT, 'templates', 'emqx', 'emqx-5.8-config-schema.json'), 'utf8'));
const rowsOf = (tf: unknown) => limitsOf(auditContext('test', tf).all);

describe('limits table in the security report', () => {
  it('Mosquitto: every limit read back from the synthesized mosquitto.conf, the unenforceable ones said so', () => {
    const { tf } = synth((s) => new MosquittoBroker(s, 'Broker', minimalBrokerProps({ limits: { maxInflightMessages: 7, maxConnections: 123 } })));
    const rows = rowsOf(tf);
    const get = (limit: string) => rows.find((r) => r.limit === limit)!;
    assert.equal(get('In-flight QoS 1/2 messages per client (outgoing)').value, '7');
    assert.equal(get('In-flight QoS 1/2 messages per client (outgoing)').enforcedBy, 'mosquitto.conf `max_inflight_messages`');
    assert.equal(get('Connections on listener 8883').value, '123');
    assert.equal(get('Message payload size (bytes)').value, '131072');
    for (const l of ['Connect rate', 'Publish rate per connection', 'Throughput per connection', 'Topic length', 'Subscriptions per SUBSCRIBE']) {
      assert.equal(get(l).value, NOT_ON_MOSQUITTO, l);
      assert.equal(get(l).enforcedBy, undefined);
    }
    assert.match(get('Topic depth').value, /^not enforceable on Mosquitto 2\.0 \(fixed at 200 levels/);
    const report = renderReport(exposureOf('test', tf), undefined);
    assert.match(report, /## Limits \(DoS budget\)/);
    assert.match(report, /\| mqtt\/mosquitto \(Mosquitto\) \| Publish rate per connection \| \*\*not enforceable on Mosquitto 2\.0\*\* \| - \| 100\/s \|/);
    assert.match(report, /\| In-flight QoS 1\/2 messages per client \(outgoing\) \| 7 \| mosquitto\.conf `max_inflight_messages` \| 100 \|/);
  });
  it('a limit removed from the configuration (escape hatch) shows the broker default, not the prop', () => {
    const { tf } = synth((s) => new MosquittoBroker(s, 'Broker', minimalBrokerProps()));
    const cm = Object.values<any>(tf.resource.kubernetes_config_map_v1)[0];
    cm.data['mosquitto.conf'] = cm.data['mosquitto.conf'].replace(/^message_size_limit .*$/m, '');
    assert.equal(rowsOf(tf).find((r) => r.limit === 'Message payload size (bytes)')!.value, 'unlimited (Mosquitto default)');
  });
  it('EMQX: rates, sizes, depth and client id length read from emqx.conf', () => {
    const { tf } = synth((s) => new EmqxCluster(s, 'Emqx', emqxProps({ limits: { ...AWS_IOT_CORE_EMQX_LIMITS } })));
    const rows = rowsOf(tf);
    const get = (limit: string) => rows.find((r) => r.limit === limit)!;
    assert.equal(get('Publish rate per connection').value, '100/s');
    assert.equal(get('Throughput per connection').value, '512KB/s');
    assert.equal(get('Topic depth (levels)').value, '8');
    assert.equal(get('In-flight QoS 1/2 messages per client').value, '100');
    assert.equal(get('Client id length').value, '128');
    assert.equal(get('Packet size').value, '132KB');
    assert.equal(get('Subscriptions per SUBSCRIBE').enforcedBy, undefined);
    assert.match(get('Reconnects of one client id').value, /^15 in 1m, then banned 5m$/);
  });
  it('EMQX kit defaults: client ids at most 128, topics at most 16 levels', () => {
    const { tf } = synth((s) => new EmqxCluster(s, 'Emqx', emqxProps()));
    const get = (limit: string) => rowsOf(tf).find((r) => r.limit === limit)!;
    assert.equal(get('Client id length').value, '128');
    assert.equal(get('Topic depth (levels)').value, '16');
  });
  it('a hostile broker name cannot break the table (cells escaped)', () => {
    const { tf } = synth((s) => new MosquittoBroker(s, 'Broker', minimalBrokerProps()));
    const rows = rowsOf(tf).map((r) => ({ ...r, broker: 'a|b\n| x | y |' }));
    const report = renderReport({ ...exposureOf('test', tf), limits: rows }, undefined);
    const section = report.slice(report.indexOf('## Limits'));
    for (const line of section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !l.startsWith('| Broker'))) {
      assert.equal(line.split(/(?<!\\)\|/).length, 7, line);
    }
  });
});

describe('AWS IoT Core parity profile', () => {
  it('cites the quota page and keeps the published values', () => {
    assert.match(AWS_IOT_CORE_QUOTAS_SOURCE, /^https:\/\/docs\.aws\.amazon\.com\/general\/latest\/gr\/iot-core\.html/);
    assert.equal(AWS_IOT_CORE_QUOTAS.messageSizeBytes, 128 * 1024);
    assert.equal(AWS_IOT_CORE_QUOTAS.subscriptionsPerSubscribe, 8);
    assert.equal(AWS_IOT_CORE_QUOTAS.topicLevels, 8);
  });
  it('Mosquitto: the profile renders into mosquitto.conf', () => {
    const conf = buildMosquitto(minimalBrokerProps({ limits: { ...AWS_IOT_CORE_MOSQUITTO_LIMITS } })).files['mosquitto.conf'];
    for (const line of ['message_size_limit 131072', 'max_inflight_messages 100', 'max_keepalive 1200', 'max_packet_size 135168']) assert.match(conf, new RegExp(`^${line}$`, 'm'));
  });
  it('EMQX: the profile renders into emqx.conf that the EMQX 5.8 schema accepts', () => {
    const b = buildEmqx(emqxProps({ limits: { ...AWS_IOT_CORE_EMQX_LIMITS } }));
    assert.deepEqual(validateEmqxConfig(schema(), b.config), []);
    const cfg = b.config as any;
    assert.equal(cfg.listeners.ssl.default.messages_rate, '100/s');
    assert.equal(cfg.listeners.ssl.default.bytes_rate, '512KB/s');
    assert.deepEqual([cfg.mqtt.max_inflight, cfg.mqtt.max_topic_levels, cfg.mqtt.max_clientid_len, cfg.mqtt.max_packet_size], [100, 8, 128, '132KB']);
  });
  it('docs/dos-limits.md is what the code renders (npm run docs:hardening)', () => {
    assert.equal(readFileSync(join(REPO_ROOT, 'docs/dos-limits.md'), 'utf8'), hardeningDocs()['docs/dos-limits.md'], 'docs/dos-limits.md is stale: run npm run docs:hardening');
  });
});
