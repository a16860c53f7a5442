/**
 * Monitoring against a real Mosquitto: the $SYS topics the metric catalog relies on are
 * published; the monitoring identity reads broker statistics and nothing else; failed logins
 * produce exactly the log lines the alert pipelines match.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CATALOG_NAMES, EXPORTER_IGNORED_TOPICS, exporterMetricName, MOSQUITTO_SYS_TOPICS } from '../../constructs/monitoring/catalog.js';
import { AUTH_FAILURE, cloudwatchMatches, logqlMatches } from '../../constructs/monitoring/logs.js';
import { mosquittoAlertRules } from '../../constructs/monitoring/rules.js';
import { collect, connect, publishCode, type RunningBroker, startBroker, subscribeCode, tryConnect } from '../helpers/broker.js';
import { missingBroker } from '../helpers/peers.js';
import { promql } from '../monitoring/rules.test.js';

describe('monitoring against a real Mosquitto', { skip: missingBroker }, () => {
  let b: RunningBroker;
  let sysTopics: string[] = [];
  before(async () => {
    b = await startBroker();
    const port = b.bundle.extraListeners.find((l) => l.purpose === 'metrics')!.port;
    const m = await connect(b.bundle, b.user('monitor'), { protocol: 'mqtt', port });
    // Mosquitto publishes $SYS every 10 s (sys_interval), some topics (clients/maximum) only when
    // their value changed since the last tick: wait past one full interval after connecting.
    const got = collect(m, 12_500);
    await subscribeCode(m, '$SYS/#');
    sysTopics = [...new Set((await got).map((x) => x.topic))];
    await m.endAsync();
  });
  after(async () => b?.stop());

  it('every $SYS topic of the catalog is published by the broker', () => {
    for (const t of MOSQUITTO_SYS_TOPICS) assert.ok(sysTopics.includes(t), `${t} not published`);
  });
  it('every exporter metric the alert rules use comes from a published topic', () => {
    const published = new Set(sysTopics.filter((t) => !EXPORTER_IGNORED_TOPICS.includes(t)).map(exporterMetricName));
    const rules = mosquittoAlertRules({ namespace: 'mqtt', name: 'mosquitto', maxConnections: 1000, exporter: true, certificates: true });
    const used = rules.flatMap((r) => promql(r.expr).metrics).filter((m) => m.startsWith('broker_'));
    assert.ok(used.length >= 4);
    for (const m of used) {
      assert.ok(published.has(m), `${m} is not exported from any published topic`);
      assert.ok(CATALOG_NAMES.has(m));
    }
  });
  it('the monitoring identity reads $SYS/broker/clients/connected and is refused everywhere else', async () => {
    const port = b.bundle.extraListeners.find((l) => l.purpose === 'metrics')!.port;
    const m = await connect(b.bundle, b.user('monitor'), { protocol: 'mqtt', port });
    const d = await connect(b.bundle, b.user('device'));
    const got = collect(m, 11_000);
    await subscribeCode(m, '$SYS/broker/clients/connected');
    await subscribeCode(m, 'devices/#');
    await publishCode(d, `devices/${b.user('device').username}/telemetry`, 'secret-reading');
    const msgs = await got;
    assert.ok(
      msgs.some((x) => x.topic === '$SYS/broker/clients/connected' && Number(String(x.payload)) >= 1),
      'reads the connected-clients count',
    );
    assert.deepEqual(
      msgs.filter((x) => !x.topic.startsWith('$SYS')),
      [],
      'receives no device traffic',
    );
    for (const t of ['devices/sensor-0001/commands/reboot', '$SYS/broker/uptime', 'monitoring/x']) assert.equal(await publishCode(m, t, 'x'), 135, t);
    await Promise.all([m.endAsync(), d.endAsync()]);
  });
  it('failed logins produce exactly the log lines the CloudWatch and Loki patterns match', async () => {
    const before = b.logs().split('\n').length;
    const failures = [
      { username: 'intruder', password: 'x'.repeat(40) },
      { username: b.user('device').username, password: 'wrong-password-'.repeat(3) },
      undefined,
      { username: b.user('service').username },
      { username: 'root', password: 'root' },
    ];
    for (const f of failures) assert.equal(await tryConnect(b.bundle, f, { clientId: `attack-${Math.random().toString(36).slice(2)}` }), 'rc135');
    for (const u of b.bundle.users.slice(0, 3)) assert.equal(await tryConnect(b.bundle, u), 'ok');
    await b.waitForLog(/disconnected, not authorised\.\n(.*\n)*.*New client connected/);
    await new Promise((r) => setTimeout(r, 200));
    const lines = b
      .logs()
      .split('\n')
      .slice(before - 1);
    const cw = lines.filter((l) => cloudwatchMatches(AUTH_FAILURE.cloudwatch, l));
    const loki = lines.filter((l) => logqlMatches(AUTH_FAILURE.logql, l));
    assert.equal(cw.length, failures.length, `CloudWatch pattern matched:\n${cw.join('\n')}`);
    assert.deepEqual(loki, cw);
    for (const l of cw) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: Client \S+ disconnected, not authorised\.$/);
  });
});
