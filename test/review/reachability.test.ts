/**
 * Cross-layer reachability of the default app: a device CIDR is followed from the network stack's
 * security group (a cross-stack reference) through the internal load balancer, the Service and
 * the NetworkPolicy to the TLS listener; each contradiction is found in a stack built to have it
 * (a dead security group rule, a NetworkPolicy peer no declared peer explains, a plaintext
 * listener the policy admits); the diff reports reachability gained and lost.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compareReachability, type Reachability, reachabilityOf, renderReachability } from '../../constructs/review/reachability.js';
import { AUDIT_FILE, readStackOutput, writeAuditResults } from '../../stacks/artifacts.js';
import { type AppOptions, buildApp } from '../../stacks/main.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Synthesizes the default app; returns each stack's JSON and the declared peers of its audit files. */
function synth(o: AppOptions = {}, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fortress-reach-'));
  dirs.push(dir);
  const old = { ...process.env };
  Object.assign(process.env, env);
  try {
    const app = buildApp(dir, o);
    app.synth();
    writeAuditResults(app);
    const stacks = ['mqtt-network', 'mqtt-cluster', 'mosquitto-credentials', 'mqtt-platform', 'mosquitto-k8s'];
    const out = new Map(stacks.map((s) => [s, readStackOutput(join(dir, 'stacks', s))]));
    assert.ok(out.get('mosquitto-k8s')!.audit, AUDIT_FILE);
    return { json: new Map([...out].map(([k, v]) => [k, v.json])), declared: [...out.values()].flatMap((v) => v.audit?.declaredPeers ?? []) };
  } finally {
    process.env = old;
  }
}

const reach = (s: ReturnType<typeof synth>): Reachability => reachabilityOf(s.json, s.declared);
const viaLb = (r: Reachability) => r.entries.filter((e) => e.layers[0]!.layer === 'security-group' || e.layers[0]!.layer === 'load-balancer');

describe('reachability across stacks', () => {
  const device = synth({}, { FORTRESS_DEVICE_CIDRS: '192.0.2.0/24' });
  it('a device CIDR: security group (network stack) -> internal load balancer -> Service -> NetworkPolicy -> TLS listener', () => {
    const r = reach(device);
    const lb = viaLb(r);
    assert.deepEqual(
      lb.map((e) => [e.source, e.port, e.target]),
      [['192.0.2.0/24', 8883, 'mqtt/mosquitto:8883']],
    );
    assert.deepEqual(
      lb[0]!.layers.map((l) => [l.layer, l.stack]),
      [
        ['security-group', 'mqtt-network'],
        ['load-balancer', 'mosquitto-k8s'],
        ['service', 'mosquitto-k8s'],
        ['network-policy', 'mosquitto-k8s'],
        ['listener', 'mosquitto-k8s'],
      ],
    );
    assert.match(lb[0]!.layers[1]!.detail, /^internal load balancer mqtt\/mosquitto port 8883 \(loadBalancerSourceRanges 192\.0\.2\.0\/24 not applied: custom security groups\)$/);
    assert.match(lb[0]!.layers[3]!.detail, /mqtt\/mosquitto-allow-mqtts admits 192\.0\.2\.0\/24/);
    assert.match(lb[0]!.layers[4]!.detail, /port 8883: TLS tlsv1\.2, password, ACL file/);
    // In the cluster: the declared namespace, through the Services.
    assert.ok(r.entries.some((e) => e.source === 'namespace iot-backend' && e.port === 8883 && e.layers[0]!.layer === 'service'));
    assert.deepEqual(r.contradictions, []);
    assert.match(renderReachability(r), /\| 192\.0\.2\.0\/24 \| 8883 \| mqtt/);
  });

  it('dead rule: the security group admits a range the NetworkPolicy drops', () => {
    const r = reach(synth({ broker: { allowFrom: [{ namespace: 'iot-backend' }] } }, { FORTRESS_DEVICE_CIDRS: '192.0.2.0/24' }));
    assert.deepEqual(viaLb(r), []);
    assert.deepEqual(
      r.contradictions.map((c) => [c.kind, c.target]),
      [['dead-rule', 'mqtt/mosquitto:8883']],
    );
    assert.match(r.contradictions[0]!.text, /security group \(stack mqtt-network\) admits 192\.0\.2\.0\/24 on port 8883, but no NetworkPolicy selecting mqtt\/mosquitto admits it/);
  });

  it('a NetworkPolicy peer no declared peer explains, and a plaintext listener it admits', () => {
    const s = synth();
    const json = s.json.get('mosquitto-k8s');
    const nps = json.resource.kubernetes_network_policy_v1;
    const allow = Object.values<any>(nps).find((n) => n.metadata.name === 'mosquitto-allow-mqtts');
    // An extra policy added beside the kit's (NetworkPolicies add up), admitting a debug namespace on every port.
    nps.Extra = {
      ...allow,
      metadata: { ...allow.metadata, name: 'debug-access' },
      spec: { ...allow.spec, ingress: [{ from: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'debug' } } }] }] },
    };
    const cm = Object.values<any>(json.resource.kubernetes_config_map_v1).find((c) => c.data?.['mosquitto.conf']);
    cm.data['mosquitto.conf'] += '\nlistener 1883\n';
    const r = reach(s);
    assert.ok(r.entries.some((e) => e.source === 'namespace debug' && e.target === 'mqtt/mosquitto:1883'));
    assert.deepEqual(r.contradictions.map((c) => [c.kind, c.target]).sort(), [
      ['plaintext-listener', 'mqtt/mosquitto:1883'],
      ['unexplained-peer', 'mqtt/mosquitto:1883'],
      ['unexplained-peer', 'mqtt/mosquitto:8883'],
    ]);
    assert.match(
      r.contradictions.find((c) => c.kind === 'unexplained-peer')!.text,
      /NetworkPolicy mqtt\/debug-access admits namespace debug on port \d+, which no declared peer \(allowFrom\) of mqtt\/mosquitto explains/,
    );
  });

  it('the diff: a new CIDR is reachability gained, its removal lost; a CIDR inside an old one is not new', () => {
    const wider = synth({}, { FORTRESS_DEVICE_CIDRS: '192.0.2.0/24,198.51.100.0/24' });
    const d = compareReachability(reach(device), reach(wider));
    assert.deepEqual([...new Set(d.gained.map((e) => `${e.source} ${e.port} ${e.target}`))], ['198.51.100.0/24 8883 mqtt/mosquitto:8883']);
    assert.ok(d.gained.some((e) => e.layers[0]!.layer === 'security-group'));
    assert.deepEqual(d.lost, []);
    const back = compareReachability(reach(wider), reach(device));
    assert.deepEqual(back.gained, []);
    assert.ok(back.lost.some((e) => e.source === '198.51.100.0/24'));
    const inside = compareReachability(reach(wider), reach(synth({}, { FORTRESS_DEVICE_CIDRS: '192.0.2.0/25,198.51.100.0/24' })));
    assert.deepEqual(inside.gained, []);
  });
});
