import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../constructs/core/errors.js';
import { validateK8sObject } from '../../constructs/k8s/objects.js';
import { k8sObjectsOf } from '../../constructs/k8s/resources.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import { MOSQUITTO_IMAGE, type MosquittoBrokerOptions } from '../../constructs/mosquitto/props.js';
import { minimalBrokerProps, resourcesOf, synth } from '../helpers/synth.js';

const one = (xs: any[]) => {
  assert.equal(xs.length, 1);
  return xs[0];
};

describe('MosquittoBroker defaults', () => {
  const { stack, tf } = synth((s) => new MosquittoBroker(s, 'Broker', minimalBrokerProps()));
  const ss = one(resourcesOf(tf, 'kubernetes_stateful_set_v1'));
  const pod = ss.spec.template.spec;
  const broker = pod.container.find((c: any) => c.name === 'mosquitto');

  it('namespace enforces Pod Security restricted (enforce, audit, warn)', () => {
    const ns = one(resourcesOf(tf, 'kubernetes_namespace_v1'));
    for (const mode of ['enforce', 'audit', 'warn']) assert.equal(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`], 'restricted');
  });
  it('service account and pod do not mount a token', () => {
    assert.equal(one(resourcesOf(tf, 'kubernetes_service_account_v1')).automount_service_account_token, false);
    assert.equal(pod.automount_service_account_token, false);
  });
  it('image pinned by tag and digest', () => {
    for (const c of [...pod.container, ...pod.init_container]) assert.equal(c.image, `eclipse-mosquitto:${MOSQUITTO_IMAGE.tag}@${MOSQUITTO_IMAGE.digest}`);
  });
  it('every container: non-root, read-only root, no escalation, caps dropped, seccomp, requests and limits', () => {
    assert.equal(pod.security_context.run_as_user, '10883');
    assert.equal(pod.security_context.run_as_group, '10883');
    assert.equal(pod.security_context.run_as_non_root, true);
    assert.equal(pod.security_context.seccomp_profile.type, 'RuntimeDefault');
    for (const c of [...pod.container, ...pod.init_container]) {
      const sc = c.security_context;
      assert.equal(sc.read_only_root_filesystem, true, c.name);
      assert.equal(sc.allow_privilege_escalation, false, c.name);
      assert.deepEqual(sc.capabilities.drop, ['ALL'], c.name);
      assert.equal(sc.seccomp_profile.type, 'RuntimeDefault', c.name);
      for (const k of ['cpu', 'memory', 'ephemeral-storage']) {
        assert.ok(c.resources.requests[k], `${c.name} requests.${k}`);
        assert.ok(c.resources.limits[k], `${c.name} limits.${k}`);
      }
    }
  });
  it("probes: liveness on the TLS port; readiness completes a TLS handshake verified against the server certificate's CA", () => {
    assert.deepEqual(broker.readiness_probe.exec.command, ['/bin/sh', '/mosquitto/config/fortress-broker.sh', 'ready', '8883', '/run/fortress/tls/server-ca.crt']);
    assert.equal(broker.liveness_probe.tcp_socket[0].port, '8883');
    assert.deepEqual(
      broker.port.map((p: any) => p.container_port),
      [8883],
    );
  });
  it('pod separation (issue 12 finding 5): no shared process namespace, plaintext read under its own UID only, no secret in any env', () => {
    assert.notEqual(pod.share_process_namespace, true);
    const uid = (c: any) => c.security_context.run_as_user ?? pod.security_context.run_as_user;
    const reloader = pod.container.find((c: any) => c.name === 'credentials-reloader');
    const init = pod.init_container[0];
    assert.equal(uid(broker), '10883');
    assert.equal(uid(reloader), '10884');
    assert.equal(uid(init), '10884');
    const mounts = (c: any) => c.volume_mount.map((m: any) => m.name).sort();
    const readers = [...pod.container, ...pod.init_container].filter((c: any) => mounts(c).some((m: string) => ['credentials', 'scratch', 'tls-source'].includes(m)));
    assert.deepEqual(readers.map((c: any) => c.name).sort(), ['credentials-reloader', 'hash-credentials']);
    assert.deepEqual(mounts(broker), ['auth', 'config', 'data', 'tls']);
    for (const c of [...pod.container, ...pod.init_container]) {
      for (const e of c.env ?? []) assert.equal(e.value_from, undefined, `${c.name} env ${e.name} comes from a Secret`);
    }
    assert.deepEqual(broker.command, ['/bin/sh', '/mosquitto/config/fortress-broker.sh', 'run', '/mosquitto/config/mosquitto.conf', '/run/fortress/auth']);
  });
  it('the broker mounts only hashed credentials; plaintext stays with the init container and reloader', () => {
    const mounts = (c: any) => c.volume_mount.map((m: any) => m.name);
    assert.ok(!mounts(broker).includes('credentials'));
    assert.ok(mounts(broker).includes('auth'));
    assert.equal(broker.volume_mount.find((m: any) => m.name === 'auth').read_only, true);
    assert.ok(mounts(pod.init_container[0]).includes('credentials'));
    const vols = Object.fromEntries(pod.volume.map((v: any) => [v.name, v]));
    assert.equal(vols.auth.empty_dir.medium, 'Memory');
    assert.equal(vols.credentials.secret.secret_name, 'creds');
    assert.ok(![...pod.container, ...pod.init_container].some((c: any) => c.volume_mount.some((m: any) => m.sub_path)), 'no subPath anywhere: renewals propagate');
  });
  it('the broker reads a staged, validated certificate; only the init container and reloader mount the TLS Secret', () => {
    const vols = Object.fromEntries(pod.volume.map((v: any) => [v.name, v]));
    assert.equal(vols['tls-source'].secret.secret_name, 'tls');
    assert.equal(vols.tls.empty_dir.medium, 'Memory');
    const mounts = (c: any) => Object.fromEntries(c.volume_mount.map((m: any) => [m.name, m]));
    assert.equal(mounts(broker).tls.read_only, true);
    assert.equal(mounts(broker)['tls-source'], undefined);
    const reloader = pod.container.find((c: any) => c.name === 'credentials-reloader');
    for (const c of [reloader, pod.init_container[0]]) {
      assert.ok(mounts(c)['tls-source'].read_only);
      assert.ok(c.env.some((e: any) => e.name === 'FORTRESS_TLS_SRC' && e.value === '/run/fortress/tls-source'));
    }
    assert.match(one(resourcesOf(tf, 'kubernetes_config_map_v1')).data['mosquitto.conf'], /^certfile \/run\/fortress\/tls\/tls\.crt$/m);
  });
  it('persistence through a PVC', () => {
    assert.equal(ss.spec.volume_claim_template[0].spec.resources.requests.storage, '1Gi');
    assert.ok(broker.volume_mount.some((m: any) => m.name === 'data' && m.mount_path === '/mosquitto/data'));
  });
  it('ClusterIP service on 8883 and a PDB with AlwaysAllow eviction of unhealthy pods', () => {
    const svc = resourcesOf(tf, 'kubernetes_service_v1').find((s: any) => s.metadata.name === 'mosquitto');
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.equal(svc.spec.port[0].port, 8883);
    const pdb = one(resourcesOf(tf, 'kubernetes_manifest')).manifest;
    assert.equal(pdb.kind, 'PodDisruptionBudget');
    assert.equal(pdb.spec.minAvailable, 1);
    assert.equal(pdb.spec.unhealthyPodEvictionPolicy, 'AlwaysAllow');
  });
  it('network policies: default deny both ways, MQTT only from declared peers, no egress', () => {
    const nps = resourcesOf(tf, 'kubernetes_network_policy_v1');
    const deny = nps.find((n: any) => n.metadata.name === 'default-deny-all');
    assert.deepEqual(deny.spec.pod_selector, {});
    assert.deepEqual(deny.spec.policy_types, ['Ingress', 'Egress']);
    assert.equal(deny.spec.ingress, undefined);
    assert.equal(deny.spec.egress, undefined);
    const allow = nps.find((n: any) => n.metadata.name === 'mosquitto-allow-mqtts');
    assert.deepEqual(allow.spec.policy_types, ['Ingress']);
    assert.deepEqual(allow.spec.ingress[0].ports, [{ port: '8883', protocol: 'TCP' }]);
    assert.deepEqual(allow.spec.ingress[0].from[0].namespace_selector.match_labels, { 'kubernetes.io/metadata.name': 'iot-backend' });
  });
  it('mosquitto.conf: TLS only, no anonymous, global security options first (queued messages survive)', () => {
    const cm = one(resourcesOf(tf, 'kubernetes_config_map_v1'));
    const conf: string = cm.data['mosquitto.conf'];
    const lines = conf.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines.slice(0, 4), ['per_listener_settings false', 'allow_anonymous false', 'password_file /run/fortress/auth/passwd', 'acl_file /mosquitto/config/acl']);
    const listeners = lines.filter((l) => l.startsWith('listener '));
    assert.deepEqual(listeners, ['listener 8883', 'listener 1884 127.0.0.1']);
    assert.equal(lines.filter((l) => l.startsWith('allow_anonymous')).length, 1);
    assert.equal(lines.filter((l) => l === 'use_username_as_clientid true').length, 2, 'every listener binds the client id');
    assert.ok(lines.includes('tls_version tlsv1.2'));
    assert.deepEqual(Object.keys(cm.data).sort(), ['acl', 'fortress-auth.sh', 'fortress-broker.sh', 'mosquitto.conf', 'users']);
    assert.doesNotMatch(JSON.stringify(cm.data), /\$7\$\d+\$[A-Za-z0-9+/]{8,}/, 'no password hash in the ConfigMap');
  });
  it('every Kubernetes object validates against its schema', () => {
    const objs = k8sObjectsOf(stack);
    assert.ok(objs.length >= 9, `only ${objs.length} objects`);
    for (const o of objs) validateK8sObject(o.object);
  });
});

describe('MosquittoBroker rejects bad props with the construct path, the prop and a fix', () => {
  const cases: [string, Partial<MosquittoBrokerOptions> | ((p: MosquittoBrokerOptions) => MosquittoBrokerOptions), string, RegExp][] = [
    ['replicas > 1', { replicas: 3 }, 'MOSQ_REPLICAS', /replicas is 3, but Mosquitto has no open-source clustering.*EmqxCluster/],
    ['plaintext port 1883', { port: 1883 }, 'PLAINTEXT_PORT', /port is 1883, a port for plaintext MQTT.*use 8883/],
    ['anonymous access', { allowAnonymous: true as unknown as false }, 'MOSQ_ANONYMOUS', /allowAnonymous is true; anonymous access is never allowed \(baseline AUTH-1\)/],
    [
      'image without digest',
      { image: { repository: 'eclipse-mosquitto', tag: '2.0.22', digest: '' } },
      'IMAGE_DIGEST',
      /image\.digest must pin the image by digest.*crane digest eclipse-mosquitto:2\.0\.22/,
    ],
    ['image too old', { image: { ...MOSQUITTO_IMAGE, tag: '2.0.11' } }, 'MOSQ_VERSION', /image\.tag "2\.0\.11" is not a Mosquitto 2\.x release of at least 2\.0\.22/],
    ['UID < 10000', { runAsUser: 1883 }, 'MOSQ_UID', /runAsUser is 1883; use an integer of at least 10000/],
    ['GID < 10000', { runAsGroup: 0 }, 'MOSQ_UID', /runAsGroup is 0/],
    [
      'plaintext reader under the broker UID',
      { runAsUser: 20000, credentialsRunAsUser: 20000 },
      'MOSQ_UID',
      /credentialsRunAsUser is 20000, the broker's runAsUser: the containers that read plaintext passwords must run under another UID \(baseline INT-3\)/,
    ],
    ['maxConnections 0', { limits: { maxConnections: 0 } }, 'INVALID_NUMBER', /limits\.maxConnections must be an integer from 1 to 1000000, got 0/],
    ['negative queue', { limits: { maxQueuedMessages: -5 } }, 'INVALID_NUMBER', /limits\.maxQueuedMessages must be an integer from 1/],
    ['fractional keepalive', { limits: { maxKeepaliveSeconds: 1.5 } }, 'INVALID_NUMBER', /limits\.maxKeepaliveSeconds/],
    [
      'message limit above packet limit',
      { limits: { maxPacketSizeBytes: 2048, messageSizeLimitBytes: 4096 } },
      'LIMITS_INCONSISTENT',
      /messageSizeLimitBytes \(4096\) is larger than limits\.maxPacketSizeBytes \(2048\)/,
    ],
    ['request above limit', { resources: { requests: { memory: '2Gi' } } }, 'RESOURCES_INCONSISTENT', /resources\.requests\.memory \(2Gi\) exceeds resources\.limits\.memory \(512Mi\)/],
    ['bad quantity', { resources: { limits: { cpu: 'lots' } } }, 'INVALID_QUANTITY', /resources\.limits\.cpu must be a Kubernetes quantity/],
    ['world-open peer without reason', { allowFrom: [{ cidr: '0.0.0.0/0' }] }, 'PEER_OPEN_TO_WORLD', /allowFrom\[0\]\.cidr is 0\.0\.0\.0\/0, which admits every address \(baseline NET-2\)/],
    ['bad CIDR', { allowFrom: [{ cidr: '10.0.0.1/8' }] }, 'INVALID_CIDR', /allowFrom\[0\]\.cidr .*host bits are set; did you mean 10\.0\.0\.0\/8/],
    ['LoadBalancer without ranges', { service: { type: 'LoadBalancer' } }, 'MOSQ_LB_RANGES', /loadBalancerSourceRanges is empty/],
    ['TLS 1.1', { tls: { secretName: 'tls', minVersion: '1.1' as '1.2' } }, 'TLS_VERSION', /tls\.minVersion must be "1\.2" or "1\.3", got "1\.1"/],
    [
      'unknown clientAuth',
      { tls: { secretName: 'tls', clientAuth: 'sometimes' as 'password' } },
      'TLS_CLIENT_AUTH',
      /tls\.clientAuth must be one of password, password-and-certificate, certificate, password-or-certificate, got "sometimes"/,
    ],
    ['legacy TLS prop', { tls: { secretName: 'tls', useIdentityAsUsername: true } as never }, 'TLS_CLIENT_AUTH', /tls\.useIdentityAsUsername is not a prop; use tls\.clientAuth/],
    ['certificatePort without the two-listener mode', { tls: { secretName: 'tls', certificatePort: 8884 } }, 'TLS_CLIENT_AUTH', /certificatePort only applies/],
    ['certificatePort on a plaintext port', { tls: { secretName: 'tls', clientAuth: 'password-or-certificate', certificatePort: 1883 } }, 'PLAINTEXT_PORT', /tls\.certificatePort is 1883/],
    ['bad namespace', { namespace: 'MQTT_Prod' }, 'INVALID_NAME', /namespace must be a DNS-1123 label.*got "MQTT_Prod"/],
    ['unknown aclMode', { aclMode: 'ldap' as 'acl-file' }, 'MOSQ_ACL_MODE', /aclMode must be "acl-file" or "dynamic-security", got "ldap"/],
    ['client-chosen ids without a reason', { clientIdIsUsername: false }, 'MOSQ_CLIENTID_REASON', /take over another client's session.*clientIdChoiceReason/],
  ];
  for (const [name, over, code, re] of cases) {
    it(name, () => {
      assert.throws(
        () => synth((s) => new MosquittoBroker(s, 'Broker', typeof over === 'function' ? over(minimalBrokerProps()) : minimalBrokerProps(over))),
        (e: unknown) => {
          assert.ok(e instanceof ValidationError, `expected ValidationError, got ${e}`);
          assert.equal(e.code, code);
          assert.match(e.message, /^\[test\/Broker\] /);
          assert.match(e.message, re);
          return true;
        },
      );
    });
  }
  it('no peers fails at synth time (late validation)', () => {
    assert.throws(
      () => synth((s) => new MosquittoBroker(s, 'Broker', minimalBrokerProps({ allowFrom: [] }))),
      /\[test\/Broker\] MOSQ_NO_PEERS: allowFrom is empty: the NetworkPolicy admits no MQTT client/,
    );
  });
  it('aclMode dynamic-security: plugin on the TLS listener, markers instead of hashes, writable auth volume', () => {
    const { tf } = synth((s) => new MosquittoBroker(s, 'Broker', minimalBrokerProps({ aclMode: 'dynamic-security' })));
    const cm = resourcesOf(tf, 'kubernetes_config_map_v1')[0];
    assert.match(cm.data['mosquitto.conf'], /^plugin \/usr\/lib\/mosquitto_dynamic_security\.so\nplugin_opt_config_file \/run\/fortress\/auth\/dynamic-security\.json$/m);
    assert.doesNotMatch(cm.data['mosquitto.conf'], /^acl_file \/mosquitto\/config\/acl$/m);
    const template = JSON.parse(cm.data['dynamic-security-template.json']);
    assert.deepEqual(template.defaultACLAccess, { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true });
    assert.equal(template.clients[0].password, `@FORTRESS-HASH:${template.clients[0].username}@`);
    const pod = resourcesOf(tf, 'kubernetes_stateful_set_v1')[0].spec.template.spec;
    const broker = pod.container.find((c: any) => c.name === 'mosquitto');
    assert.equal(broker.volume_mount.find((m: any) => m.name === 'auth').read_only, false);
    assert.ok(pod.init_container[0].env.some((e: any) => e.name === 'FORTRESS_MODE' && e.value === 'dynamic-security'));
  });
  it('client ids are bound to usernames by default; choosing them is a recorded relaxation', () => {
    assert.match(buildMosquitto(minimalBrokerProps()).files['mosquitto.conf'], /^use_username_as_clientid true$/m);
    const b = buildMosquitto(minimalBrokerProps({ clientIdIsUsername: false, clientIdChoiceReason: 'legacy gateways pick their own ids' }));
    assert.doesNotMatch(b.files['mosquitto.conf'], /use_username_as_clientid/);
    assert.deepEqual(b.resolved.relaxations, [
      { id: 'ACL-2', prop: 'clientIdIsUsername', reason: 'legacy gateways pick their own ids', appliesTo: [] },
      { id: 'AUTH-5', prop: 'clientIdIsUsername', reason: 'legacy gateways pick their own ids' },
    ]);
  });
  it('a world-open peer with a reason is recorded as a relaxation', () => {
    const b = buildMosquitto(minimalBrokerProps({ allowFrom: [{ cidr: '0.0.0.0/0', openToWorldReason: 'public test broker for the hackathon' }] }));
    assert.deepEqual(b.resolved.relaxations, [{ id: 'NET-2', prop: 'allowFrom[0].openToWorldReason', reason: 'public test broker for the hackathon' }]);
  });
  it('LoadBalancer is internal by default, with source ranges', () => {
    const { tf } = synth((s) => new MosquittoBroker(s, 'Broker', minimalBrokerProps({ service: { type: 'LoadBalancer', loadBalancerSourceRanges: ['10.20.0.0/16'] } })));
    const svc = resourcesOf(tf, 'kubernetes_service_v1').find((x: any) => x.metadata.name === 'mosquitto');
    assert.equal(svc.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-scheme'], 'internal');
    assert.equal(svc.metadata.annotations['service.beta.kubernetes.io/aws-load-balancer-nlb-target-type'], 'ip');
    assert.deepEqual(svc.spec.load_balancer_source_ranges, ['10.20.0.0/16']);
  });
});

describe('pod separation with the exporter and client certificates (buildMosquitto objects)', () => {
  const FAKE = `sha256:${'ab'.repeat(32)}`;
  const b = buildMosquitto(minimalBrokerProps({ metricsExporter: { image: { digest: FAKE } }, tls: { secretName: 'tls', clientAuth: 'certificate' }, runAsUser: 30000, credentialsRunAsUser: 31000 }));
  const sts = b.objects.find((o) => o.kind === 'StatefulSet') as any;
  const pod = sts.spec.template.spec;
  const byName = (n: string) => [...pod.containers, ...pod.initContainers].find((c: any) => c.name === n);
  it('three UIDs: broker, credentials (init and reloader), exporter; no shared process namespace', () => {
    assert.equal(pod.shareProcessNamespace, false);
    assert.equal(pod.securityContext.runAsUser, 30000);
    assert.equal(byName('mosquitto').securityContext.runAsUser, undefined, 'the broker runs as the pod UID');
    assert.equal(byName('hash-credentials').securityContext.runAsUser, 31000);
    assert.equal(byName('credentials-reloader').securityContext.runAsUser, 31000);
    assert.equal(byName('metrics-exporter').securityContext.runAsUser, 31001);
  });
  it('the exporter mounts nothing and holds only its own monitoring password; the Secret volume is mounted only where it is hashed', () => {
    const exp = byName('metrics-exporter');
    assert.equal(exp.volumeMounts, undefined);
    const fromSecret = exp.env.filter((e: any) => e.valueFrom);
    assert.deepEqual(
      fromSecret.map((e: any) => [e.name, e.valueFrom.secretKeyRef.key]),
      [['MQTT_PASS', b.resolved.exporter!.username]],
    );
    for (const c of [...pod.containers, ...pod.initContainers]) {
      const m = (c.volumeMounts ?? []).map((x: any) => x.name);
      assert.equal(m.includes('credentials'), ['hash-credentials', 'credentials-reloader'].includes(c.name), c.name);
    }
  });
  it('readiness with client certificates required checks the server certificate up to the client-certificate request', () => {
    assert.deepEqual(byName('mosquitto').readinessProbe.exec.command.slice(2), ['ready', '8883', '/run/fortress/tls/server-ca.crt', 'certificate']);
  });
});
