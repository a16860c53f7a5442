/**
 * BrokerLogAlarms (baseline MON-2, MON-3, AWS): container logs of the cluster shipped by the EKS
 * CloudWatch Observability add-on into a KMS-encrypted log group with retention, a metric filter
 * counting MQTT authentication failures (Mosquitto has no counter for them) and an alarm.
 */
import { Construct } from 'constructs';
import type * as P_cloudwatch_log_group from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import type * as P_cloudwatch_log_metric_filter from '@cdktf/provider-aws/lib/cloudwatch-log-metric-filter/index.js';
import type * as P_cloudwatch_metric_alarm from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import type * as P_eks_addon from '@cdktf/provider-aws/lib/eks-addon/index.js';
import type * as P_iam_role from '@cdktf/provider-aws/lib/iam-role/index.js';
import type * as P_iam_role_policy_attachment from '@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js';
import { providerModule } from '../core/provider-module.js';
import { logsKey } from '../core/logs-key.js';
import { assertInt } from '../core/checks.js';
import { FortressError, scoped, show } from '../core/errors.js';
import { policyDocument } from '../credentials/iam.js';
import { AUTH_FAILURE } from './logs.js';
const { CloudwatchLogGroup } = providerModule<typeof P_cloudwatch_log_group>('@cdktf/provider-aws/lib/cloudwatch-log-group/index.js');
type CloudwatchLogGroup = P_cloudwatch_log_group.CloudwatchLogGroup;
const { CloudwatchLogMetricFilter } = providerModule<typeof P_cloudwatch_log_metric_filter>('@cdktf/provider-aws/lib/cloudwatch-log-metric-filter/index.js');
const { CloudwatchMetricAlarm } = providerModule<typeof P_cloudwatch_metric_alarm>('@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js');
type CloudwatchMetricAlarm = P_cloudwatch_metric_alarm.CloudwatchMetricAlarm;
const { EksAddon } = providerModule<typeof P_eks_addon>('@cdktf/provider-aws/lib/eks-addon/index.js');
const { IamRole } = providerModule<typeof P_iam_role>('@cdktf/provider-aws/lib/iam-role/index.js');
const { IamRolePolicyAttachment } = providerModule<typeof P_iam_role_policy_attachment>('@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js');

export interface BrokerLogAlarmsProps {
  readonly region: string;
  /** The EKS cluster (name, or a reference to the cluster's name). */
  readonly clusterName: string;
  /** Days container logs are kept. @default 365 */
  readonly retentionDays?: number;
  /** Authentication failures in 5 minutes that raise the alarm. @default 20 */
  readonly authFailureThreshold?: number;
  /** SNS topic the alarm notifies. @default - none (the alarm shows in the console and in the report) */
  readonly alarmTopicArn?: string;
}

export class BrokerLogAlarms extends Construct {
  public readonly logGroup: CloudwatchLogGroup;
  public readonly alarm: CloudwatchMetricAlarm;
  public static readonly METRIC_NAMESPACE = 'MqttFortress';

  constructor(scope: Construct, id: string, props: BrokerLogAlarmsProps) {
    super(scope, id);
    const retention = props.retentionDays ?? 365;
    const threshold = props.authFailureThreshold ?? 20;
    scoped(this, () => {
      if (![90, 180, 365, 400, 545, 731, 1096, 1827, 3653].includes(retention)) throw new FortressError('INVALID_NUMBER', `retentionDays must be a CloudWatch retention of at least 90 days, got ${show(retention)}.`);
      assertInt('authFailureThreshold', threshold, 1, 100000);
      if (props.alarmTopicArn !== undefined && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(props.alarmTopicArn)) throw new FortressError('AWS_ARN', `alarmTopicArn must be an SNS topic ARN, got ${show(props.alarmTopicArn)}.`);
    });
    const tags = { 'mqtt-fortress:purpose': 'broker-logs' };
    const agentRole = new IamRole(this, 'AgentRole', {
      name: `${props.clusterName}-cloudwatch-agent`,
      assumeRolePolicy: policyDocument([{ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }]),
      tags,
    });
    new IamRolePolicyAttachment(this, 'AgentPolicy', { role: agentRole.name, policyArn: 'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy' });
    // The add-on writes application logs to this group; creating it first sets retention and KMS.
    const groupName = `/aws/containerinsights/${props.clusterName}/application`;
    const key = logsKey(this, 'Key', { description: `Encrypts the container logs of ${props.clusterName} (mqtt-fortress)`, region: props.region, logGroupName: groupName, arnForAccount: agentRole.arn, sid: 'CloudWatchLogsEncryptsContainerLogs', tags });
    this.logGroup = new CloudwatchLogGroup(this, 'ContainerLogs', { name: groupName, retentionInDays: retention, kmsKeyId: key.arn, tags });
    new EksAddon(this, 'CloudWatchObservability', {
      clusterName: props.clusterName,
      addonName: 'amazon-cloudwatch-observability',
      podIdentityAssociation: [{ roleArn: agentRole.arn, serviceAccount: 'cloudwatch-agent' }],
      resolveConflictsOnUpdate: 'OVERWRITE',
      dependsOn: [this.logGroup],
      tags,
    });
    new CloudwatchLogMetricFilter(this, 'AuthFailures', {
      name: 'mqtt-authentication-failures',
      logGroupName: this.logGroup.name,
      pattern: AUTH_FAILURE.cloudwatch,
      metricTransformation: { name: 'MqttAuthenticationFailures', namespace: BrokerLogAlarms.METRIC_NAMESPACE, value: '1', defaultValue: '0' },
    });
    this.alarm = new CloudwatchMetricAlarm(this, 'AuthFailureAlarm', {
      alarmName: `${props.clusterName}-mqtt-authentication-failures`,
      alarmDescription: `More than ${threshold} MQTT authentication failures in 5 minutes: credential stuffing, a misconfigured client, or a rotation that did not reach a client. Runbook: search the log group for "${AUTH_FAILURE.text}" and group by client id.`,
      namespace: BrokerLogAlarms.METRIC_NAMESPACE,
      metricName: 'MqttAuthenticationFailures',
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      ...(props.alarmTopicArn ? { alarmActions: [props.alarmTopicArn], okActions: [props.alarmTopicArn] } : {}),
      tags,
    });
  }
}
