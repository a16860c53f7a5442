/**
 * BrokerLogAlarms (baseline MON-2, MON-3, AWS): container logs of the cluster shipped by the EKS
 * CloudWatch Observability add-on into a KMS-encrypted log group with retention, a metric filter
 * counting MQTT authentication failures (Mosquitto has no counter for them) and an alarm, an alarm
 * on missing log events (log shipping broken), both notifying an SNS topic that is required.
 */

import type * as P_cloudwatch_log_group from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import type * as P_cloudwatch_log_metric_filter from '@cdktf/provider-aws/lib/cloudwatch-log-metric-filter/index.js';
import type * as P_cloudwatch_metric_alarm from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import type * as P_eks_addon from '@cdktf/provider-aws/lib/eks-addon/index.js';
import type * as P_iam_role from '@cdktf/provider-aws/lib/iam-role/index.js';
import type * as P_iam_role_policy_attachment from '@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js';
import type * as P_kms_key from '@cdktf/provider-aws/lib/kms-key/index.js';
import type * as P_sns_topic from '@cdktf/provider-aws/lib/sns-topic/index.js';
import type * as P_sns_topic_subscription from '@cdktf/provider-aws/lib/sns-topic-subscription/index.js';
import { Construct } from 'constructs';
import { policyDocument } from '../aws/iam.js';
import { accountOf, logsKey } from '../aws/logs-key.js';
import { assertInt } from '../core/checks.js';
import { assertCostProfile, COST_PROFILE_TAG, type CostProfile } from '../core/cost-profile.js';
import { FortressError, scoped, show } from '../core/errors.js';
import { providerModule } from '../core/provider-module.js';
import { type IRelaxed, type Relaxation, Relaxations } from '../core/relaxation.js';
import { AUTH_FAILURE, CANARY_FAILURE, INCOMPLETE_IDENTITY, type LogPattern } from './logs.js';

const { CloudwatchLogGroup } = providerModule<typeof P_cloudwatch_log_group>('@cdktf/provider-aws/lib/cloudwatch-log-group/index.js');
type CloudwatchLogGroup = P_cloudwatch_log_group.CloudwatchLogGroup;
const { CloudwatchLogMetricFilter } = providerModule<typeof P_cloudwatch_log_metric_filter>('@cdktf/provider-aws/lib/cloudwatch-log-metric-filter/index.js');
const { CloudwatchMetricAlarm } = providerModule<typeof P_cloudwatch_metric_alarm>('@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js');
type CloudwatchMetricAlarm = P_cloudwatch_metric_alarm.CloudwatchMetricAlarm;
const { EksAddon } = providerModule<typeof P_eks_addon>('@cdktf/provider-aws/lib/eks-addon/index.js');
const { IamRole } = providerModule<typeof P_iam_role>('@cdktf/provider-aws/lib/iam-role/index.js');
const { IamRolePolicyAttachment } = providerModule<typeof P_iam_role_policy_attachment>('@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js');
const { KmsKey } = providerModule<typeof P_kms_key>('@cdktf/provider-aws/lib/kms-key/index.js');
const { SnsTopic } = providerModule<typeof P_sns_topic>('@cdktf/provider-aws/lib/sns-topic/index.js');
const { SnsTopicSubscription } = providerModule<typeof P_sns_topic_subscription>('@cdktf/provider-aws/lib/sns-topic-subscription/index.js');

/**
 * Where the alarms notify: an existing SNS topic, or a topic created here (encrypted with its own
 * KMS key, which CloudWatch may use to publish) with e-mail subscriptions. A created topic with
 * no subscriber pages nobody: it needs `noSubscriberReason`, shown in the security report.
 */
export type AlarmTarget = { readonly topicArn: string } | { readonly createTopic: { readonly emails: readonly string[]; readonly noSubscriberReason?: string } };

export interface BrokerLogAlarmsProps {
  readonly region: string;
  /** The EKS cluster (name, or a reference to the cluster's name). */
  readonly clusterName: string;
  /** Where both alarms notify (alarm and OK). Required: an alarm without an action pages nobody. */
  readonly alarmTarget: AlarmTarget;
  /** Days container logs are kept. @default 365 (non-production: 90) */
  readonly retentionDays?: number;
  /** Authentication failures in 5 minutes that raise the alarm. @default 20 */
  readonly authFailureThreshold?: number;
  /** Minutes without a single container log event before the log-shipping alarm fires (multiple of 5). @default 15 */
  readonly logSilenceMinutes?: number;
  /**
   * Turn on CloudWatch Application Signals of the add-on (the add-on's default): it instruments
   * Java, Python, .NET and Node.js workloads and sends traces to X-Ray, none of which the brokers
   * are, and the VPC has no X-Ray endpoint. Billed separately.
   * @default false
   */
  readonly applicationSignals?: boolean;
  /** `non-production`: container logs kept 90 days, Container Insights without enhanced metrics. @default 'production' */
  readonly costProfile?: CostProfile;
}

/** Namespace and service account of the amazon-cloudwatch-observability add-on's agent. */
export const CLOUDWATCH_AGENT = { namespace: 'amazon-cloudwatch', serviceAccount: 'cloudwatch-agent' } as const;

export class BrokerLogAlarms extends Construct implements IRelaxed {
  public readonly logGroup: CloudwatchLogGroup;
  public readonly alarm: CloudwatchMetricAlarm;
  /** Fires when no container log event arrives: log shipping is broken and the other alarm is blind. */
  public readonly logShippingAlarm: CloudwatchMetricAlarm;
  /** The SNS topic ARN the alarms notify. */
  public readonly alarmTopicArn: string;
  public readonly relaxations: Relaxation[] = [];
  /** Identities the credentials reloader could not apply (a missing or invalid Secret value). */
  public readonly incompleteIdentityAlarm: CloudwatchMetricAlarm;
  /** Alarm on the attack canary's "canary FAILED:" line (docs/canary.md). */
  public readonly canaryAlarm: CloudwatchMetricAlarm;
  public static readonly METRIC_NAMESPACE = 'MqttFortress';

  constructor(scope: Construct, id: string, props: BrokerLogAlarmsProps) {
    super(scope, id);
    Relaxations.register(this);
    const threshold = props.authFailureThreshold ?? 20;
    const silence = props.logSilenceMinutes ?? 15;
    const { retention, profile, target } = scoped(this, () => {
      const profile = assertCostProfile('costProfile', props.costProfile);
      const retention = props.retentionDays ?? (profile === 'non-production' ? 90 : 365);
      if (![90, 180, 365, 400, 545, 731, 1096, 1827, 3653].includes(retention))
        throw new FortressError('INVALID_NUMBER', `retentionDays must be a CloudWatch retention of at least 90 days, got ${show(retention)}.`);
      assertInt('authFailureThreshold', threshold, 1, 100000);
      if (!Number.isInteger(silence) || silence < 10 || silence > 1440 || silence % 5 !== 0)
        throw new FortressError('INVALID_NUMBER', `logSilenceMinutes must be a multiple of 5 from 10 to 1440, got ${show(silence)}.`);
      const t = props.alarmTarget as Partial<{ topicArn: string; createTopic: { emails: readonly string[]; noSubscriberReason?: string } }> | undefined;
      if (!t || (t.topicArn === undefined) === (t.createTopic === undefined))
        throw new FortressError('ALARM_TARGET', 'alarmTarget must be { topicArn } (an existing SNS topic) or { createTopic: { emails } }: an alarm without an action pages nobody.');
      if (t.topicArn !== undefined && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(t.topicArn))
        throw new FortressError('AWS_ARN', `alarmTarget.topicArn must be an SNS topic ARN, got ${show(t.topicArn)}.`);
      if (t.createTopic) {
        const emails = t.createTopic.emails ?? [];
        emails.forEach((e, i) => {
          if (typeof e !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e))
            throw new FortressError('ALARM_TARGET', `alarmTarget.createTopic.emails[${i}] must be an e-mail address, got ${show(e)}.`);
        });
        if (!emails.length) {
          const reason = t.createTopic.noSubscriberReason;
          if (typeof reason !== 'string' || reason.trim().length < 10)
            throw new FortressError(
              'ALARM_TARGET',
              'alarmTarget.createTopic.emails is empty: the alarms would page nobody. Give at least one address, pass an existing topicArn, or explain in noSubscriberReason (at least 10 characters) who subscribes to the topic and how.',
            );
          this.relaxations.push({ id: 'MON-2', prop: 'alarmTarget.createTopic.noSubscriberReason', reason: reason.trim(), appliesTo: [] }); // no audit finding is its to suppress: listed only (suppressions match whole keys)
        }
      }
      return { retention, profile, target: t };
    });
    const tags = { 'mqtt-fortress:purpose': 'broker-logs' };
    // Pod Identity trust limited by the session tags EKS sets (cluster, namespace, service
    // account), as for the secrets reader: no other pod of any cluster in the account can take it.
    const agentRole = new IamRole(this, 'AgentRole', {
      name: `${props.clusterName}-cloudwatch-agent`,
      assumeRolePolicy: policyDocument([
        {
          Effect: 'Allow',
          Principal: { Service: 'pods.eks.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: {
            StringEquals: {
              'aws:RequestTag/eks-cluster-name': props.clusterName,
              'aws:RequestTag/kubernetes-namespace': CLOUDWATCH_AGENT.namespace,
              'aws:RequestTag/kubernetes-service-account': CLOUDWATCH_AGENT.serviceAccount,
            },
          },
        },
      ]),
      tags,
    });
    new IamRolePolicyAttachment(this, 'AgentPolicy', { role: agentRole.name, policyArn: 'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy' });
    const { account, partition } = accountOf(agentRole.arn);
    // The add-on writes application logs to this group; creating it first sets retention and KMS.
    const groupName = `/aws/containerinsights/${props.clusterName}/application`;
    const key = logsKey(this, 'Key', {
      description: `Encrypts the container logs of ${props.clusterName} (mqtt-fortress)`,
      region: props.region,
      logGroupName: groupName,
      arnForAccount: agentRole.arn,
      sid: 'CloudWatchLogsEncryptsContainerLogs',
      tags,
    });
    this.logGroup = new CloudwatchLogGroup(this, 'ContainerLogs', { name: groupName, retentionInDays: retention, kmsKeyId: key.arn, tags: { ...tags, [COST_PROFILE_TAG]: profile } });
    // The add-on's default agent configuration collects Application Signals; a configuration of
    // our own replaces it (aws-observability/helm-charts, amazon-cloudwatch-observability
    // values.yaml: `agent.config` overrides `agent.defaultConfig`).
    const metricsCollected: Record<string, unknown> = { kubernetes: { enhanced_container_insights: profile === 'production' } };
    if (props.applicationSignals) metricsCollected.application_signals = {};
    const agentConfig = { logs: { metrics_collected: metricsCollected }, ...(props.applicationSignals ? { traces: { traces_collected: { application_signals: {} } } } : {}) };
    new EksAddon(this, 'CloudWatchObservability', {
      clusterName: props.clusterName,
      addonName: 'amazon-cloudwatch-observability',
      configurationValues: JSON.stringify({ agent: { config: agentConfig } }),
      podIdentityAssociation: [{ roleArn: agentRole.arn, serviceAccount: CLOUDWATCH_AGENT.serviceAccount }],
      resolveConflictsOnUpdate: 'OVERWRITE',
      dependsOn: [this.logGroup],
      tags: { ...tags, [COST_PROFILE_TAG]: profile },
    });
    // The alarms' topic: given, or created with its own KMS key. CloudWatch publishes to an
    // encrypted topic only with kms:Decrypt and kms:GenerateDataKey* on the key (Amazon SNS
    // Developer Guide, "Enable compatibility between event sources from AWS services and
    // encrypted topics", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
    if (target.createTopic) {
      const topicKey = new KmsKey(this, 'AlarmTopicKey', {
        description: `Encrypts the alarm notifications of ${props.clusterName} (mqtt-fortress)`,
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        deletionWindowInDays: 30,
        policy: policyDocument([
          { Sid: 'AccountAdministersKeyThroughIam', Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
          { Sid: 'CloudWatchPublishesAlarms', Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' },
        ]),
        tags,
      });
      const topic = new SnsTopic(this, 'AlarmTopic', { name: `${props.clusterName}-mqtt-alarms`, kmsMasterKeyId: topicKey.arn, tags });
      target.createTopic.emails.forEach((email, i) => {
        new SnsTopicSubscription(this, `AlarmEmail${i}`, { topicArn: topic.arn, protocol: 'email', endpoint: email });
      });
      this.alarmTopicArn = topic.arn;
    } else {
      this.alarmTopicArn = target.topicArn!;
    }
    const actions = { alarmActions: [this.alarmTopicArn], okActions: [this.alarmTopicArn] };
    this.alarm = this.logPatternAlarm('AuthFailures', 'AuthFailureAlarm', {
      name: 'mqtt-authentication-failures',
      pattern: AUTH_FAILURE,
      metricName: 'MqttAuthenticationFailures',
      alarmName: `${props.clusterName}-mqtt-authentication-failures`,
      alarmDescription: `More than ${threshold} MQTT authentication failures in 5 minutes: credential stuffing, a misconfigured client, or a rotation that did not reach a client. Runbook: search the log group for "${AUTH_FAILURE.text}" and group by client id.`,
      threshold,
      actions,
      tags,
    });
    // AWS/Logs IncomingLogEvents per LogGroupName (Sum): the number of events that reached the
    // group (CloudWatch Logs User Guide, "Monitoring with CloudWatch metrics"). A cluster always
    // writes some (the agents log themselves), so none for `silence` minutes means shipping broke;
    // CloudWatch publishes no data point then, hence treat_missing_data = breaching.
    this.logShippingAlarm = new CloudwatchMetricAlarm(this, 'LogShippingAlarm', {
      alarmName: `${props.clusterName}-container-logs-missing`,
      alarmDescription: `No container log event reached ${groupName} for ${silence} minutes: log shipping is broken and the authentication-failure alarm sees nothing. Runbook: kubectl -n ${CLOUDWATCH_AGENT.namespace} get pods; read the fluent-bit and cloudwatch-agent logs (AccessDenied: the agent role or the logs endpoint policy; timeouts: the logs VPC endpoint).`,
      namespace: 'AWS/Logs',
      metricName: 'IncomingLogEvents',
      dimensions: { LogGroupName: groupName },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: silence / 5,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
      ...actions,
      tags,
    });
    // An identity the reloader could not apply (INT-2): any line in 5 minutes raises the alarm; the
    // reloader repeats it every cycle while the Secret lacks a valid value.
    this.incompleteIdentityAlarm = this.logPatternAlarm('IncompleteIdentities', 'IncompleteIdentityAlarm', {
      name: 'mqtt-incomplete-identities',
      pattern: INCOMPLETE_IDENTITY,
      metricName: 'MqttIncompleteIdentities',
      alarmName: `${props.clusterName}-mqtt-incomplete-identities`,
      alarmDescription: `The credentials reloader has identities without a valid password in the credentials Secret (new identities not admitted, or rotations not applied). Runbook: search the log group for "${INCOMPLETE_IDENTITY.text}"; add or fix the Secret key it names.`,
      threshold: 0,
      actions,
      tags,
    });
    // The attack canary's failed run (docs/canary.md): one line per failed run pages the team.
    this.canaryAlarm = this.logPatternAlarm('CanaryFailures', 'CanaryFailureAlarm', {
      name: 'mqtt-canary-failures',
      pattern: CANARY_FAILURE,
      metricName: 'MqttCanaryFailures',
      alarmName: `${props.clusterName}-mqtt-canary-failures`,
      alarmDescription: `The MQTT attack canary failed: a security property of the broker is broken (anonymous or wrong-password access, plaintext, access outside its topic, $SYS) or its TLS round trip failed. Runbook: search the log group for "${CANARY_FAILURE.text}"; the line names the broken property (docs/canary.md).`,
      threshold: 0,
      actions,
      tags,
    });
  }

  /**
   * A log pattern counted by a metric filter (0 for every other event) and an alarm when the count
   * in 5 minutes exceeds `threshold`. Missing data means no log event at all: the log-shipping
   * alarm reports that, once, so these treat it as not breaching.
   */
  private logPatternAlarm(
    filterId: string,
    alarmId: string,
    o: {
      name: string;
      pattern: LogPattern;
      metricName: string;
      alarmName: string;
      alarmDescription: string;
      threshold: number;
      actions: { alarmActions: string[]; okActions: string[] };
      tags: Record<string, string> | undefined;
    },
  ): CloudwatchMetricAlarm {
    new CloudwatchLogMetricFilter(this, filterId, {
      name: o.name,
      logGroupName: this.logGroup.name,
      pattern: o.pattern.cloudwatch,
      metricTransformation: { name: o.metricName, namespace: BrokerLogAlarms.METRIC_NAMESPACE, value: '1', defaultValue: '0' },
    });
    return new CloudwatchMetricAlarm(this, alarmId, {
      alarmName: o.alarmName,
      alarmDescription: o.alarmDescription,
      namespace: BrokerLogAlarms.METRIC_NAMESPACE,
      metricName: o.metricName,
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: o.threshold,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      ...o.actions,
      tags: o.tags,
    });
  }
}
