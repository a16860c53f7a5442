/**
 * Alert rules for an EMQX cluster (MON-2) on EMQX's own counters (names in the catalog, from
 * EMQX 5.8.9's Prometheus collector), plus the broker-independent rules (pods ready, restarts,
 * certificate expiry) shared with Mosquitto. Pure: a PrometheusRule object.
 */
import type { K8sObject } from '../k8s/objects.js';
import './objects.js'; // registers the PrometheusRule schema
import { type AlertRule, mosquittoAlertRules } from './rules.js';

export interface EmqxAlertOptions {
  readonly namespace: string;
  readonly name: string;
  /** Core nodes of the StatefulSet. */
  readonly replicas: number;
  /** Per-listener max_connections of a node. */
  readonly maxConnections: number;
  /** Failed logins in 5 minutes over the cluster that alert. @default 20 */
  readonly authFailureThreshold?: number;
  /** Authorization denials in 5 minutes that alert. @default 20 */
  readonly denialThreshold?: number;
  /** Alert on certificate expiry (cert-manager metrics). @default true */
  readonly certificates?: boolean;
  /** The cluster has a CRL server (tls.revocation): alert when none of its pods is ready. @default false */
  readonly crlServer?: boolean;
}

export function emqxAlertRules(o: EmqxAlertOptions): AlertRule[] {
  const sel = `namespace="${o.namespace}",pod=~"${o.name}-[0-9]+"`;
  const inc = (m: string) => `sum(increase(${m}{${sel}}[5m]))`;
  const generic = mosquittoAlertRules({ namespace: o.namespace, name: o.name, maxConnections: o.maxConnections, exporter: false, certificates: o.certificates ?? true });
  const logs = `kubectl -n ${o.namespace} logs ${o.name}-0 -c emqx | grep fortress_client_events`;
  const crl = `namespace="${o.namespace}",statefulset="${o.name}-crl"`;
  return [
    ...generic,
    ...(o.crlServer
      ? [
          {
            alert: 'EmqxCrlServerDown',
            expr: `max(kube_statefulset_status_replicas_ready{${crl}}) < 1 or absent(kube_statefulset_status_replicas_ready{${crl}})`,
            for: '5m',
            labels: { severity: 'critical' as const },
            annotations: {
              summary: `No CRL server of ${o.namespace}/${o.name} is ready`,
              description:
                'A CRL server pod is ready only while it serves a CRL before its nextUpdate. With none ready, an EMQX node that has no CRL cached (a restarted node) refuses every client certificate, the others keep their last fetched CRL, so a certificate revoked meanwhile is still accepted, until that CRL expires and every client certificate is refused.',
              runbook: `kubectl -n ${o.namespace} logs statefulset/${o.name}-crl (lines "fortress-crl: refused: ..." name an edited list, a CA Secret whose key does not match, or an unsupported key type); kubectl -n ${o.namespace} get secret <tls.revocation.caSecretName>.`,
            },
          },
        ]
      : []),
    {
      alert: 'EmqxAuthenticationFailures',
      expr: `${inc('emqx_authentication_failure')} > ${o.authFailureThreshold ?? 20}`,
      for: '0m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `Many failed MQTT logins on ${o.namespace}/${o.name}`,
        description: 'More failed authentications in 5 minutes than the threshold: credential stuffing, a misconfigured client, or a rotation that did not reach a client.',
        runbook: `${logs} (connack events with reason_code not_authorized or bad_username_or_password name the client and its address); compare with the rotation time of the identity's secret.`,
      },
    },
    {
      alert: 'EmqxAuthorizationDenials',
      expr: `${inc('emqx_authorization_deny')} > ${o.denialThreshold ?? 20}`,
      for: '0m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `Clients of ${o.namespace}/${o.name} are refused topics`,
        description: 'Publishes or subscriptions outside the policy (each denial also disconnects the client): a compromised device probing other subtrees, or a client built against another policy.',
        runbook: `${logs} (check_authz_complete events with result deny name the client, action and topic); fix the client or the policy.`,
      },
    },
    {
      alert: 'EmqxConnectionsRefused',
      expr: `(${inc('emqx_packets_connack_error')} - ${inc('emqx_packets_connack_auth_error')}) > 10`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `${o.namespace}/${o.name} refuses connections for reasons other than credentials`,
        description:
          'CONNACK errors that are not authentication failures: clients banned by flapping detection (more than 15 connects a minute bans the client id for 5 minutes), invalid client ids, or a busy server.',
        runbook: `kubectl -n ${o.namespace} exec ${o.name}-0 -c emqx -- emqx ctl banned list; ${logs} (connack reason_code banned, client_identifier_not_valid, server_busy). A reconnect loop in a device is the usual cause of a flapping ban.`,
      },
    },
    {
      alert: 'EmqxConnectionsNearLimit',
      expr: `max(emqx_live_connections_count{${sel}}) > ${Math.floor(o.maxConnections * 0.8)}`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `A node of ${o.namespace}/${o.name} holds over 80% of max_connections (${o.maxConnections})`,
        description: 'New connections to that node are refused once the listener limit is reached. A sudden rise can also be a connection flood.',
        runbook: 'Compare with the fleet size. A legitimate rise: raise limits.maxConnections (and memory) or add nodes. A flood: find the source addresses in the flow logs and tighten allowFrom.',
      },
    },
    {
      alert: 'EmqxOverloadRefusingConnections',
      expr: `${inc('emqx_overload_protection_new_conn')} > 0`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `${o.namespace}/${o.name} is overloaded and refuses new connections`,
        description: 'Overload protection refused new connections because a node is short of CPU or scheduler time.',
        runbook: `kubectl -n ${o.namespace} top pod; raise resources.limits.cpu or add nodes; look for a message storm in emqx_messages_received.`,
      },
    },
    {
      alert: 'EmqxNodeDown',
      expr: `max(emqx_cluster_nodes_stopped{${sel}}) > 0 or count(up{${sel}} == 1) < ${o.replicas}`,
      for: '3m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `A node of ${o.namespace}/${o.name} is down`,
        description: `The cluster knows a stopped node, or fewer than ${o.replicas} nodes answer scrapes. With 3 core nodes one loss is tolerated; a second takes the cluster down.`,
        runbook: `kubectl -n ${o.namespace} get pods -o wide; kubectl -n ${o.namespace} exec ${o.name}-0 -c emqx -- emqx ctl cluster status; kubectl -n ${o.namespace} logs <pod> -c emqx --previous.`,
      },
    },
    {
      alert: 'EmqxClusterPartition',
      expr: `min(emqx_cluster_nodes_running{${sel}}) < ${o.replicas} or (max(emqx_cluster_nodes_running{${sel}}) - min(emqx_cluster_nodes_running{${sel}})) > 0`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `The nodes of ${o.namespace}/${o.name} disagree on the cluster`,
        description: `A node sees fewer than ${o.replicas} running nodes, or two nodes see different counts: a network partition or a node that did not rejoin. cluster.autoheal is on, so a partition heals when the network does; sessions and routes on the minority side may be lost.`,
        runbook: `kubectl -n ${o.namespace} exec <each pod> -c emqx -- emqx ctl cluster status; check NetworkPolicies for ports 4370/5369 and the node certificate (tls.nodeSecretName).`,
      },
    },
  ];
}

/** The PrometheusRule of an EMQX cluster. */
export function emqxPrometheusRule(o: EmqxAlertOptions & { readonly labels?: Record<string, string> }): K8sObject {
  const rules = emqxAlertRules(o);
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: `${o.name}-alerts`,
      namespace: o.namespace,
      labels: { 'app.kubernetes.io/part-of': 'mqtt-fortress', 'app.kubernetes.io/instance': o.name, 'app.kubernetes.io/managed-by': 'terraform', ...(o.labels ?? {}) },
    },
    spec: { groups: [{ name: `mqtt-fortress.${o.namespace}.${o.name}`, rules: rules.map((r) => ({ ...r, labels: { ...r.labels }, annotations: { ...r.annotations } })) }] },
  };
}
