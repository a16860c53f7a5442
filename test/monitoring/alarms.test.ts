/**
 * The CloudWatch side of monitoring, on the synthesized JSON: both alarms notify a topic, the
 * log-shipping alarm fires on missing data, the agent's role trusts only its own service account,
 * Application Signals stays off unless asked for.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { type App, TerraformStack, Testing } from 'cdktf';
import { ValidationError } from '../../constructs/core/errors.js';
import { BrokerLogAlarms, type BrokerLogAlarmsProps } from '../../constructs/monitoring/cloudwatch.js';
import { evaluate, resolveInterpolations } from '../helpers/iam-eval.js';

type Tf = Record<string, any>;
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:on-call';
function synthAlarms(over: Partial<BrokerLogAlarmsProps> = {}): Tf {
  const app: App = Testing.app();
  const s = new TerraformStack(app, 'mon');
  new AwsProvider(s, 'aws', { region: 'eu-west-1' });
  new BrokerLogAlarms(s, 'Logs', { region: 'eu-west-1', clusterName: 'mqtt-fortress', alarmTarget: { topicArn: TOPIC }, ...over });
  return JSON.parse(Testing.synth(s, true));
}
const res = (tf: Tf, t: string): any[] => Object.values(tf.resource?.[t] ?? {});
const alarmNamed = (tf: Tf, suffix: string) => res(tf, 'aws_cloudwatch_metric_alarm').find((a) => a.alarm_name.endsWith(suffix));

describe('CloudWatch alarms (MON-2, MON-3)', () => {
  const tf = synthAlarms();
  it('every alarm notifies the target on ALARM and on OK', () => {
    const alarms = res(tf, 'aws_cloudwatch_metric_alarm');
    assert.equal(alarms.length, 4, 'authentication failures, log shipping, incomplete identities, attack canary failures');
    for (const a of alarms) {
      assert.deepEqual(a.alarm_actions, [TOPIC], a.alarm_name);
      assert.deepEqual(a.ok_actions, [TOPIC], a.alarm_name);
    }
  });
  it('log shipping: AWS/Logs IncomingLogEvents of the container log group, Sum < 1 over 3 x 5 minutes, missing data is breaching', () => {
    const a = alarmNamed(tf, '-container-logs-missing');
    assert.deepEqual(
      {
        ns: a.namespace,
        metric: a.metric_name,
        dims: a.dimensions,
        stat: a.statistic,
        period: a.period,
        n: a.evaluation_periods,
        threshold: a.threshold,
        op: a.comparison_operator,
        missing: a.treat_missing_data,
      },
      {
        ns: 'AWS/Logs',
        metric: 'IncomingLogEvents',
        dims: { LogGroupName: '/aws/containerinsights/mqtt-fortress/application' },
        stat: 'Sum',
        period: 300,
        n: 3,
        threshold: 1,
        op: 'LessThanThreshold',
        missing: 'breaching',
      },
    );
    assert.equal(a.dimensions.LogGroupName, res(tf, 'aws_cloudwatch_log_group')[0].name, 'the group the add-on writes to');
  });
  it('authentication failures: the metric filter feeds the alarm; missing data is left to the log-shipping alarm', () => {
    const a = alarmNamed(tf, '-mqtt-authentication-failures');
    const [f] = res(tf, 'aws_cloudwatch_log_metric_filter');
    assert.equal(a.metric_name, f.metric_transformation.name);
    assert.equal(a.namespace, f.metric_transformation.namespace);
    assert.equal(f.metric_transformation.default_value, '0', 'a 0 for every non-matching event: missing data means no events at all');
    assert.equal(a.treat_missing_data, 'notBreaching');
    assert.equal(a.threshold, 20);
  });
  it('a created topic is encrypted with its own key, which CloudWatch may use, and has the e-mail subscriptions', () => {
    const t = synthAlarms({ alarmTarget: { createTopic: { emails: ['oncall@example.com', 'sre@example.com'] } } });
    const [topic] = res(t, 'aws_sns_topic');
    assert.match(topic.kms_master_key_id, /aws_kms_key\.Logs_AlarmTopicKey/);
    const subs = res(t, 'aws_sns_topic_subscription');
    assert.deepEqual(
      subs.map((s) => [s.protocol, s.endpoint]),
      [
        ['email', 'oncall@example.com'],
        ['email', 'sre@example.com'],
      ],
    );
    for (const a of res(t, 'aws_cloudwatch_metric_alarm')) assert.match(a.alarm_actions[0], /aws_sns_topic\.Logs_AlarmTopic/);
    const key = res(t, 'aws_kms_key').find((k) => /alarm notifications/.test(k.description));
    const policy = JSON.parse(resolveInterpolations(key.policy, '111122223333', {}));
    const cw = { type: 'Service' as const, id: 'cloudwatch.amazonaws.com' };
    for (const action of ['kms:Decrypt', 'kms:GenerateDataKey']) assert.equal(evaluate(policy, { action, resource: '*', principal: cw }).decision, 'allow', action);
    assert.equal(evaluate(policy, { action: 'kms:Decrypt', resource: '*', principal: { type: 'Service', id: 'sns.amazonaws.com' } }).decision, 'implicit-deny');
    assert.equal(key.enable_key_rotation, true);
  });
  it('the CloudWatch agent role trusts only the agent service account of this cluster (Pod Identity session tags)', () => {
    const role = res(tf, 'aws_iam_role').find((r) => r.name.endsWith('-cloudwatch-agent'));
    const trust = JSON.parse(role.assume_role_policy);
    const pods = { type: 'Service' as const, id: 'pods.eks.amazonaws.com' };
    const tags = (cluster: string, ns: string, sa: string) => ({
      'aws:RequestTag/eks-cluster-name': cluster,
      'aws:RequestTag/kubernetes-namespace': ns,
      'aws:RequestTag/kubernetes-service-account': sa,
    });
    assert.equal(evaluate(trust, { action: 'sts:AssumeRole', resource: '*', principal: pods, context: tags('mqtt-fortress', 'amazon-cloudwatch', 'cloudwatch-agent') }).decision, 'allow');
    assert.equal(evaluate(trust, { action: 'sts:TagSession', resource: '*', principal: pods, context: tags('mqtt-fortress', 'amazon-cloudwatch', 'cloudwatch-agent') }).decision, 'allow');
    for (const [c, n, s] of [
      ['other-cluster', 'amazon-cloudwatch', 'cloudwatch-agent'],
      ['mqtt-fortress', 'mqtt', 'cloudwatch-agent'],
      ['mqtt-fortress', 'amazon-cloudwatch', 'default'],
    ]) {
      assert.equal(evaluate(trust, { action: 'sts:AssumeRole', resource: '*', principal: pods, context: tags(c!, n!, s!) }).decision, 'implicit-deny', `${c}/${n}/${s}`);
    }
    assert.equal(evaluate(trust, { action: 'sts:AssumeRole', resource: '*', principal: pods }).decision, 'implicit-deny', 'no session tags');
    const [addon] = res(tf, 'aws_eks_addon');
    assert.equal(addon.pod_identity_association[0].service_account, 'cloudwatch-agent');
  });
  it('Application Signals off by default (agent config without it); on when asked; non-production drops enhanced Container Insights and keeps logs 90 days', () => {
    const cfg = (t: Tf) => JSON.parse(res(t, 'aws_eks_addon')[0].configuration_values).agent.config;
    assert.deepEqual(cfg(tf), { logs: { metrics_collected: { kubernetes: { enhanced_container_insights: true } } } });
    const on = cfg(synthAlarms({ applicationSignals: true }));
    assert.deepEqual(on.logs.metrics_collected.application_signals, {});
    assert.deepEqual(on.traces, { traces_collected: { application_signals: {} } });
    const cheap = synthAlarms({ costProfile: 'non-production' });
    assert.equal(cfg(cheap).logs.metrics_collected.kubernetes.enhanced_container_insights, false);
    assert.equal(res(cheap, 'aws_cloudwatch_log_group')[0].retention_in_days, 90);
    assert.equal(res(tf, 'aws_cloudwatch_log_group')[0].retention_in_days, 365);
  });
  const bad: [string, Partial<BrokerLogAlarmsProps>, string, RegExp][] = [
    ['no target', { alarmTarget: undefined as never }, 'ALARM_TARGET', /alarmTarget must be \{ topicArn \}.*pages nobody/],
    ['both targets', { alarmTarget: { topicArn: TOPIC, createTopic: { emails: ['a@b.c'] } } as never }, 'ALARM_TARGET', /alarmTarget must be/],
    ['a created topic nobody subscribes to, without a reason', { alarmTarget: { createTopic: { emails: [] } } }, 'ALARM_TARGET', /emails is empty: the alarms would page nobody/],
    ['a bad e-mail', { alarmTarget: { createTopic: { emails: ['oncall'] } } }, 'ALARM_TARGET', /emails\[0\] must be an e-mail address, got "oncall"/],
    ['a bad topic ARN', { alarmTarget: { topicArn: 'on-call' } }, 'AWS_ARN', /alarmTarget\.topicArn must be an SNS topic ARN/],
    ['a silence window of 7 minutes', { logSilenceMinutes: 7 }, 'INVALID_NUMBER', /logSilenceMinutes must be a multiple of 5/],
  ];
  for (const [name, over, code, re] of bad) {
    it(`rejects ${name}`, () =>
      assert.throws(
        () => synthAlarms(over),
        (e: unknown) => e instanceof ValidationError && e.code === code && /^\[mon\/Logs\]/.test(e.message) && re.test(e.message),
      ));
  }
  it('a created topic without subscribers is accepted with a reason and recorded as a MON-2 relaxation', () => {
    const app: App = Testing.app();
    const s = new TerraformStack(app, 'mon');
    new AwsProvider(s, 'aws', { region: 'eu-west-1' });
    const l = new BrokerLogAlarms(s, 'Logs', {
      region: 'eu-west-1',
      clusterName: 'c',
      alarmTarget: { createTopic: { emails: [], noSubscriberReason: 'PagerDuty subscribes through its own integration' } },
    });
    assert.deepEqual(
      l.relaxations.map((r) => [r.id, r.prop]),
      [['MON-2', 'alarmTarget.createTopic.noSubscriberReason']],
    );
  });
});
