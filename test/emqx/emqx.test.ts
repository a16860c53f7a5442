import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type App, TerraformStack, Testing } from 'cdktf';
import { evaluate } from '../../constructs/audit/engine.js';
import { FortressError, ValidationError } from '../../constructs/core/errors.js';
import { EmqxCluster } from '../../constructs/emqx/cluster.js';
import { renderEmqxConfig } from '../../constructs/emqx/config.js';
import { buildEmqx } from '../../constructs/emqx/objects.js';
import type { EmqxClusterOptions } from '../../constructs/emqx/props.js';
import { resolveEmqxLimits } from '../../constructs/emqx/resolve.js';
import { type EmqxSchema, validateEmqxConfig } from '../../constructs/emqx/schema.js';
import { validateK8sObject } from '../../constructs/k8s/objects.js';
import { kubernetesProvider } from '../../constructs/k8s/provider.js';
import { renderEmqxAcl } from '../../constructs/policy/render-emqx.js';
import { examplePolicy } from '../helpers/synth.js';

const FAKE_DIGEST = `sha256:${'ef'.repeat(32)}`; // test fixture only: no EMQX digest is confirmed
const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
// The copy the kit ships and validates against at synth time (templates/emqx).
const schemaFile = join(root, 'templates', 'emqx', 'emqx-5.8-config-schema.json');
const schema = (): EmqxSchema => JSON.parse(readFileSync(schemaFile, 'utf8'));

export const emqxProps = (o: Partial<EmqxClusterOptions> = {}): EmqxClusterOptions => ({
  policy: examplePolicy(),
  credentialsSecretName: 'emqx-credentials',
  adminSecretName: 'emqx-admin',
  tls: { secretName: 'emqx-tls', nodeSecretName: 'emqx-node-tls' },
  image: { digest: FAKE_DIGEST },
  allowFrom: [{ namespace: 'iot-backend' }],
  ...o,
});

describe('EMQX configuration against the EMQX 5.8 schema', () => {
  const variants: [string, Partial<EmqxClusterOptions>][] = [
    ['defaults', {}],
    [
      'certificate clients, WSS, TLS 1.3 only, custom limits',
      { tls: { secretName: 'a', nodeSecretName: 'b', clientAuth: 'certificate', minVersion: '1.3' }, wssPort: 8084, limits: { maxConnections: 50000, messagesPerSecond: 10 } },
    ],
    ['password and certificate', { tls: { secretName: 'a', nodeSecretName: 'b', clientAuth: 'password-and-certificate' } }],
  ];
  for (const [name, o] of variants) {
    it(`${name}: every rendered key exists with a value of the right type`, () => {
      const b = buildEmqx(emqxProps(o));
      assert.deepEqual(validateEmqxConfig(schema(), b.config), []);
      assert.deepEqual(JSON.parse(b.files['emqx.conf'].replace(/^#.*$/m, '')), b.config, 'emqx.conf is the config (HOCON accepts JSON)');
    });
  }
  it('a misspelled key, a wrong type, a bad enum and an out-of-range integer are caught', () => {
    const c = structuredClone(renderEmqxConfig({ clusterName: 'x', discoveryDnsName: 'x', clientAuth: 'password', minTlsVersion: '1.2', limits: resolveEmqxLimits() })) as any;
    c.authorization.no_macth = 'deny';
    c.listeners.ssl.default.max_connections = 'lots';
    c.cluster.discovery_strategy = 'gossip';
    c.mqtt.max_clientid_len = 5;
    c.flapping_detect.window_time = 60;
    c.overload_protection.backof_new_conn = true;
    c.overload_protection.enable = 'yes';
    const problems = validateEmqxConfig(schema(), c);
    assert.ok(
      problems.some((p) => /authorization\.no_macth: unknown key/.test(p)),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => /listeners\.ssl\.default\.max_connections/.test(p)),
      problems.join('\n'),
    );
    assert.ok(problems.some((p) => /cluster\.discovery_strategy: expected one of manual,static,singleton,dns,etcd,k8s/.test(p)));
    assert.ok(problems.some((p) => /mqtt\.max_clientid_len: below 23/.test(p)));
    assert.ok(problems.some((p) => /flapping_detect\.window_time: expected a duration/.test(p)));
    assert.ok(
      problems.some((p) => /overload_protection\.backof_new_conn: unknown key/.test(p)),
      'the hidden root is checked too',
    );
    assert.ok(
      problems.some((p) => /overload_protection\.enable: expected true or false/.test(p)),
      problems.join('\n'),
    );
  });
});

describe('every insecure EMQX 5.8 default is overridden', () => {
  const b = buildEmqx(emqxProps());
  const c = b.config as any;
  const cm = b.objects.find((o) => o.kind === 'ConfigMap') as any;
  const ss = b.objects.find((o) => o.kind === 'StatefulSet') as any;
  const env = Object.fromEntries(ss.spec.template.spec.containers[0].env.map((e: any) => [e.name, e]));
  const cases: [string, () => void][] = [
    ['anonymous access (no authenticator)', () => assert.equal(c.authentication[0].backend, 'built_in_database')],
    ['listeners skip authentication', () => assert.equal(c.listeners.ssl.default.enable_authn, true)],
    ['authorization.no_match = allow', () => assert.equal(c.authorization.no_match, 'deny')],
    ['deny_action = ignore', () => assert.equal(c.authorization.deny_action, 'disconnect')],
    [
      'acl.conf ends with {allow, all}',
      () => {
        assert.match(cm.data['acl.conf'], /\{deny, all\}\.\n$/);
        assert.doesNotMatch(cm.data['acl.conf'], /\{allow, all\}/);
        assert.equal(cm.data['acl.conf'], renderEmqxAcl(examplePolicy()));
      },
    ],
    [
      'plaintext TCP and WS listeners on',
      () => {
        assert.equal(c.listeners.tcp.default.enable, false);
        assert.equal(c.listeners.ws.default.enable, false);
      },
    ],
    ['example TLS key', () => assert.equal(c.listeners.ssl.default.ssl_options.certfile, '/opt/emqx/etc/fortress-tls/tls.crt')],
    [
      'verify_none with certificate clients',
      () => {
        const m = buildEmqx(emqxProps({ tls: { secretName: 'a', nodeSecretName: 'b', clientAuth: 'certificate' } })).config as any;
        assert.equal(m.listeners.ssl.default.ssl_options.verify, 'verify_peer');
        assert.equal(m.listeners.ssl.default.ssl_options.fail_if_no_peer_cert, true);
        assert.equal(m.mqtt.peer_cert_as_username, 'cn');
      },
    ],
    ['TLS 1.0/1.1 allowed', () => assert.deepEqual(c.listeners.ssl.default.ssl_options.versions, ['tlsv1.3', 'tlsv1.2'])],
    [
      'cookie emqxsecretcookie',
      () => {
        assert.deepEqual(env.EMQX_NODE__COOKIE.valueFrom.secretKeyRef, { name: 'emqx-admin', key: 'cookie' });
        assert.doesNotMatch(JSON.stringify(cm.data), /emqxsecretcookie|cookie/i);
      },
    ],
    [
      'dashboard admin/public',
      () => {
        assert.deepEqual(env.EMQX_DASHBOARD__DEFAULT_PASSWORD.valueFrom.secretKeyRef, { name: 'emqx-admin', key: 'dashboard-password' });
        assert.doesNotMatch(JSON.stringify(cm.data), /"public"/);
      },
    ],
    ['unauthenticated /api/v5/prometheus/stats', () => assert.equal(c.prometheus.enable_basic_auth, true)],
    ['bootstrap_type = plain', () => assert.equal(c.authentication[0].bootstrap_type, 'hash')],
    ['flapping detection off', () => assert.equal(c.flapping_detect.enable, true)],
    ['overload protection off', () => assert.deepEqual([c.overload_protection.enable, c.overload_protection.backoff_new_conn], [true, true])],
    [
      'unlimited connection and message rates',
      () => {
        const l = c.listeners.ssl.default;
        assert.deepEqual([l.max_conn_rate, l.messages_rate, l.bytes_rate, l.max_connections], ['500/s', '100/s', '512KB/s', 10000]);
      },
    ],
    ['max_packet_size 1 MB', () => assert.equal(c.mqtt.max_packet_size, '256KB')],
    [
      'node-to-node traffic in the clear',
      () => {
        assert.equal(c.cluster.proto_dist, 'inet_tls');
        assert.equal(c.rpc.protocol, 'ssl');
        assert.match(cm.data['ssl_dist.conf'], /\{verify, verify_peer\}, \{fail_if_no_peer_cert, true\}/);
      },
    ],
    ['manual cluster discovery', () => assert.deepEqual(c.cluster.dns, { name: 'emqx-headless.mqtt.svc.cluster.local', record_type: 'srv' })],
  ];
  for (const [insecure, check] of cases) it(`overridden: ${insecure}`, check);
});

describe('EmqxCluster objects', () => {
  const app: App = Testing.app();
  const stack = new TerraformStack(app, 'emqx');
  kubernetesProvider(stack);
  const cluster = new EmqxCluster(stack, 'Emqx', emqxProps());
  Testing.synth(stack, true);
  it('every object validates; the audit finds nothing open', () => {
    for (const o of cluster.build.objects) validateK8sObject(o);
    const r = evaluate(stack);
    assert.equal(r.summary.errors, 0, JSON.stringify(r.rows.filter((x) => x.status === 'non-compliant')));
    assert.ok(r.rows.some((x) => x.rule === 'ACL-1' && x.status === 'compliant' && /EMQX denies by default/.test(x.detail)));
    assert.ok(r.rows.some((x) => x.rule === 'TLS-1' && /EMQX tcp and ws listeners off/.test(x.detail)));
  });
  it('3 core nodes spread over zones and nodes, with a PDB', () => {
    const ss = cluster.build.objects.find((o) => o.kind === 'StatefulSet') as any;
    assert.equal(ss.spec.replicas, 3);
    assert.equal(ss.spec.template.spec.topologySpreadConstraints[0].topologyKey, 'topology.kubernetes.io/zone');
    assert.equal(ss.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, 'kubernetes.io/hostname');
    const pdb = cluster.build.objects.find((o) => o.kind === 'PodDisruptionBudget') as any;
    assert.deepEqual([pdb.spec.maxUnavailable, pdb.spec.unhealthyPodEvictionPolicy], [1, 'AlwaysAllow']);
  });
  it('cluster ports only between EMQX pods; the dashboard/API only from the monitoring namespace; DNS egress only', () => {
    const np = cluster.build.objects.find((o) => o.metadata.name === 'emqx-cluster') as any;
    assert.deepEqual(np.spec.ingress[0].from, [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'emqx', 'app.kubernetes.io/instance': 'emqx' } } }]);
    assert.deepEqual(
      np.spec.ingress[0].ports.map((p: any) => p.port),
      [4370, 5369],
    );
    assert.deepEqual(
      np.spec.egress[1].ports.map((p: any) => p.port),
      [53, 53],
    );
    const metrics = cluster.build.objects.find((o) => o.metadata.name === 'emqx-allow-metrics') as any;
    assert.deepEqual(metrics.spec.ingress[0].ports, [{ protocol: 'TCP', port: 18083 }]);
    const svc = cluster.build.objects.find((o) => o.kind === 'Service' && o.metadata.name === 'emqx') as any;
    assert.deepEqual(
      svc.spec.ports.map((p: any) => p.port),
      [8883],
      'the dashboard is not exposed by a Service',
    );
  });
  it('a credential-sync sidecar imports rotated passwords through the local REST API with its own API key', () => {
    const ss = cluster.build.objects.find((o) => o.kind === 'StatefulSet') as any;
    const sync = ss.spec.template.spec.containers.find((c: any) => c.name === 'credential-sync');
    const env = Object.fromEntries(sync.env.map((e: any) => [e.name, e.value]));
    assert.equal(env.FORTRESS_MODE, 'sync');
    assert.equal(env.FORTRESS_API, '127.0.0.1:18083');
    assert.equal(env.FORTRESS_API_KEY_NAME, 'fortress-credential-sync');
    const mounts = Object.fromEntries(sync.volumeMounts.map((m: any) => [m.name, m]));
    assert.ok(mounts.credentials && !mounts.credentials.subPath, 'the Secret is mounted as a directory so the kubelet delivers rotated values');
    assert.ok(mounts.admin.readOnly && mounts.credentials.readOnly);
    assert.equal(sync.securityContext.readOnlyRootFilesystem, true);
    // It uses the same pinned image as the broker (the Erlang runtime it runs on).
    assert.equal(sync.image, ss.spec.template.spec.containers[0].image);
  });
  it('the audit catches EMQX regressions made through escape hatches', () => {
    const b = buildEmqx(emqxProps());
    const c = structuredClone(b.config) as any;
    c.authorization.no_match = 'allow';
    c.listeners.tcp.default.enable = true;
    const app2: App = Testing.app();
    const s2 = new TerraformStack(app2, 'emqx');
    kubernetesProvider(s2);
    const cl = new EmqxCluster(s2, 'Emqx', emqxProps());
    const cmRes = s2.node.findAll().find((x) => (x as any).terraformResourceType === 'kubernetes_config_map_v1') as any;
    const data = { ...cl.build.files, 'emqx.conf': JSON.stringify(c) };
    cmRes.addOverride('data', data);
    const open = evaluate(s2)
      .rows.filter((x) => x.status === 'non-compliant')
      .map((x) => x.finding);
    assert.ok(open.includes('ACL-1[emqx:emqx]'), open.join(', '));
    assert.ok(open.includes('TLS-1[emqx:tcp.default]'), open.join(', '));
  });
  const bad: [string, Partial<EmqxClusterOptions>, RegExp][] = [
    ['EMQX 5.9 (BSL, single node without a license)', { image: { tag: '5.9.0', digest: FAKE_DIGEST } }, /not an EMQX 5\.8\.x release\. EMQX 5\.9 and later are licensed under the BSL/],
    ['no digest', { image: { digest: '' } }, /image\.digest must pin the image by digest.*crane digest emqx\/emqx:5\.8\.9/],
    ['2 core nodes', { replicas: 2 }, /two core nodes cannot tell a crashed peer from a partition/],
    ['the same certificate for clients and nodes', { tls: { secretName: 'x', nodeSecretName: 'x' } }, /node-to-node traffic gets its own certificate/],
    ['two listeners for password-or-certificate', { tls: { secretName: 'a', nodeSecretName: 'b', clientAuth: 'password-or-certificate' as 'password' } }, /not offered for EMQX/],
  ];
  for (const [name, o, re] of bad) {
    it(`rejects ${name}`, () =>
      assert.throws(
        () => buildEmqx(emqxProps(o)),
        (e: unknown) => e instanceof FortressError && re.test(e.message),
      ));
  }
  it('errors carry the construct path', () => {
    const a: App = Testing.app();
    const s = new TerraformStack(a, 'x');
    assert.throws(
      () => new EmqxCluster(s, 'Emqx', emqxProps({ replicas: 2 })),
      (e: unknown) => e instanceof ValidationError && /^\[x\/Emqx\] /.test(e.message),
    );
  });
});

describe('EMQX in the default app (FORTRESS_EMQX_DIGEST)', () => {
  const withEnv = <T>(fn: () => T): T => {
    const old = process.env.FORTRESS_EMQX_DIGEST;
    process.env.FORTRESS_EMQX_DIGEST = FAKE_DIGEST;
    try {
      return fn();
    } finally {
      if (old === undefined) delete process.env.FORTRESS_EMQX_DIGEST;
      else process.env.FORTRESS_EMQX_DIGEST = old;
    }
  };
  it('cookie, dashboard password and API keys come from Secrets Manager; each non-rotating one is a reasoned AUTH-3 relaxation in the report', async () => {
    const { buildApp } = await import('../../stacks/main.js');
    const app = withEnv(() => buildApp(Testing.app().outdir));
    const stacks = Object.fromEntries(app.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack).map((s) => [s.node.id, s.toTerraform()]));
    const aws = stacks['emqx-credentials'];
    const local = Object.values<any>(aws.locals).find((l) => 'cookie' in l);
    assert.deepEqual(Object.fromEntries(Object.entries<any>(local).map(([k, v]) => [k, v.rotate])), { cookie: false, dashboard: false, prometheus: false, sync: false });
    assert.deepEqual(
      Object.values<any>(local)
        .map((v) => v.secret_name)
        .sort(),
      ['mqtt-fortress/emqx/_admin/cookie', 'mqtt-fortress/emqx/_admin/dashboard', 'mqtt-fortress/emqx/_admin/prometheus', 'mqtt-fortress/emqx/_admin/sync'],
    );
    const credStack = app.node.children.find((c): c is TerraformStack => c instanceof TerraformStack && c.node.id === 'emqx-credentials')!;
    const audit = evaluate(credStack);
    const notRotated = audit.rows.filter((r) => r.rule === 'AUTH-3' && r.finding?.includes(':not-rotated]'));
    assert.deepEqual(notRotated.map((r) => r.finding!.replace(/^.*\./, '')).sort(), ['cookie:not-rotated]', 'dashboard:not-rotated]', 'prometheus:not-rotated]', 'sync:not-rotated]']);
    for (const r of notRotated) assert.match(r.suppressed?.reason ?? '', /notRotatedReason: \w+: .{20,}/, `${r.finding} carries its reason`);
    // Device passwords still rotate, and nothing else in AUTH-3 is suppressed by these relaxations.
    assert.ok(audit.rows.some((r) => r.rule === 'AUTH-3' && r.status === 'compliant' && /rotated every 30 days/.test(r.detail ?? '')));
    assert.equal(audit.rows.filter((r) => r.rule === 'AUTH-3' && r.suppressed && !r.finding?.includes(':not-rotated]')).length, 0);
    const k8s = stacks['emqx-k8s'];
    const manifests = Object.values<any>(k8s.resource.kubernetes_manifest).map((m) => m.manifest);
    const admin = manifests.find((m) => m.kind === 'ExternalSecret' && m.metadata.name === 'emqx-admin');
    validateK8sObject(admin);
    assert.equal(admin.spec.target.template.data['api-keys'], 'prometheus-scraper:{{ .prometheus }}\nfortress-credential-sync:{{ .sync }}\n');
    assert.deepEqual(
      admin.spec.data.map((d: any) => d.remoteRef.key),
      ['mqtt-fortress/emqx/_admin/cookie', 'mqtt-fortress/emqx/_admin/dashboard', 'mqtt-fortress/emqx/_admin/prometheus', 'mqtt-fortress/emqx/_admin/sync'],
    );
    const pm = manifests.find((m) => m.kind === 'PodMonitor');
    assert.equal(pm.spec.podMetricsEndpoints[0].path, '/api/v5/prometheus/stats');
    assert.deepEqual(pm.spec.podMetricsEndpoints[0].basicAuth.password, { name: 'emqx-admin', key: 'prometheus-password' });
    const pr = manifests.find((m) => m.kind === 'PrometheusRule');
    validateK8sObject(pr);
    assert.ok(
      pr.spec.groups[0].rules.some((r: any) => r.alert === 'EmqxAuthenticationFailures' && r.expr.includes('namespace="mqtt-emqx"')),
      'the EMQX stack has alert rules on its own counters',
    );
    const node = manifests.find((m) => m.kind === 'Certificate' && m.metadata.name === 'emqx-node');
    assert.deepEqual(node.spec.usages, ['server auth', 'client auth', 'digital signature']);
    assert.ok(node.spec.dnsNames.includes('*.emqx-headless.mqtt-emqx.svc.cluster.local'));
  });
});

describe('EMQX identity binding, authorization cache, ports, ACL meaning (issue 14 items 1, 5, 6)', () => {
  const modes = ['password', 'password-and-certificate', 'certificate'] as const;
  for (const mode of modes) {
    it(`${mode}: every enabled listener binds the client id to the authenticated identity`, () => {
      const c = buildEmqx(emqxProps({ wssPort: 8084, tls: { secretName: 'a', nodeSecretName: 'b', clientAuth: mode } })).config as any;
      // mqtt.* is zone-level (emqx_channel get_mqtt_conf(Zone, ...)); a listener without `zone`
      // is in the default zone, whose settings are the root `mqtt`, and no zones are rendered.
      assert.equal(c.zones, undefined);
      const enabled = Object.entries<any>(c.listeners).flatMap(([t, ls]) =>
        Object.entries<any>(ls)
          .filter(([, l]) => l.enable !== false)
          .map(([n, l]) => [`${t}.${n}`, l] as const),
      );
      assert.deepEqual(enabled.map(([n]) => n).sort(), ['ssl.default', 'wss.default']);
      for (const [n, l] of enabled) assert.equal(l.zone, undefined, `${n} stays in the default zone`);
      assert.equal(c.mqtt.use_username_as_clientid, true);
      assert.equal(c.mqtt.clientid_override, undefined, 'no override runs after the binding');
      if (mode === 'password') {
        assert.equal(c.mqtt.peer_cert_as_username, undefined);
      } else {
        // The CN replaces the CONNECT username, so a password is checked for the CN's identity.
        assert.equal(c.mqtt.peer_cert_as_username, 'cn');
        assert.equal(c.mqtt.peer_cert_as_clientid, 'cn');
      }
    });
  }
  it('the authorization cache is off, so a policy change applies to the next check', () => {
    const c = buildEmqx(emqxProps()).config as any;
    assert.deepEqual(c.authorization.cache, { enable: false });
  });
  it('connection results, disconnections and authorization denials are logged to stdout by a console rule (MON-3)', () => {
    const c = buildEmqx(emqxProps()).config as any;
    const rules = c.rule_engine.rules;
    assert.deepEqual(Object.keys(rules), ['fortress_client_events']);
    const r = rules.fortress_client_events;
    assert.deepEqual(r.actions, [{ function: 'console' }]);
    assert.equal(r.enable, true);
    for (const ev of ['$events/client_connack', '$events/client_disconnected', '$events/client_check_authz_complete']) assert.ok(r.sql.includes(`"${ev}"`), ev);
    assert.match(r.sql, /SELECT event, timestamp, clientid, username, peername, reason_code/);
    assert.match(r.sql, /result = 'deny'/);
    assert.equal(c.log.console.enable, true);
  });
  const clashes: [number, RegExp][] = [
    [18083, /wssPort 18083 is already the port of the dashboard and REST API/],
    [4370, /wssPort 4370 is already the port of the Erlang distribution/],
    [5369, /wssPort 5369 is already the port of the cluster RPC/],
    [8883, /wssPort 8883 is already the port of the MQTT over TLS/],
    [8083, /wssPort 8083 is already the port of the disabled ws listener/],
    [1883, /wssPort 1883 is already the port of the disabled tcp listener/],
  ];
  for (const [port, re] of clashes) {
    it(`refuses wssPort ${port} (port clash)`, () =>
      assert.throws(
        () => buildEmqx(emqxProps({ wssPort: port })),
        (e: unknown) => e instanceof FortressError && e.code === 'EMQX_PORT_CLASH' && re.test(e.message),
      ));
  }
  it('refuses wssPort 0, 443, 70000 and 8084.5; 8084 is fine and opened on the Service and NetworkPolicy', () => {
    for (const p of [0, 443, 70000, 8084.5])
      assert.throws(
        () => buildEmqx(emqxProps({ wssPort: p })),
        (e: unknown) => e instanceof FortressError && e.code === 'INVALID_NUMBER' && /wssPort must be an integer from 1024 to 65535/.test(e.message),
        String(p),
      );
    const b = buildEmqx(emqxProps({ wssPort: 8084 }));
    const svc = b.objects.find((o) => o.kind === 'Service' && o.metadata.name === 'emqx') as any;
    assert.deepEqual(
      svc.spec.ports.map((p: any) => p.port),
      [8883, 8084],
    );
  });
  it('the construct error names the construct path, the prop and the value', () => {
    const a: App = Testing.app();
    const s = new TerraformStack(a, 'x');
    assert.throws(
      () => new EmqxCluster(s, 'Emqx', emqxProps({ wssPort: 18083 })),
      (e: unknown) => e instanceof ValidationError && /^\[x\/Emqx\] wssPort 18083/.test(e.message),
    );
  });
});
