import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import AjvModule from 'ajv-draft-04';
import { parseAllDocuments } from 'yaml';
import { type K8sObject, validateK8sObject } from '../../constructs/k8s/objects.js';
import { Policy } from '../../constructs/policy/model.js';
import { diffOutputs } from '../../scripts/report.js';
import { AUDIT_FILE, writeAuditResults, writeKubernetesYaml, writeReports } from '../../stacks/artifacts.js';
import { type AppOptions, buildApp } from '../../stacks/main.js';
import { examplePolicy } from '../helpers/synth.js';

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));

function synthTo(dir: string, o: AppOptions = {}, env: Record<string, string> = {}): string[] {
  const old = { ...process.env };
  Object.assign(process.env, env);
  try {
    const app = buildApp(dir, o);
    app.synth();
    writeAuditResults(app);
    return [...writeReports(app, '0.1.0', dir), ...writeKubernetesYaml(app)];
  } finally {
    process.env = old;
  }
}

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'fortress-report-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('security report of the default stacks (REV-1)', () => {
  let out: string;
  const read = (stack: string, f: string) => readFileSync(join(out, 'stacks', stack, f), 'utf8');
  before(() => {
    out = tmp();
    synthTo(out);
  });
  it('the broker report: endpoint, listeners, every identity and its rules in words, certificates, no open finding', () => {
    const md = read('mosquitto-k8s', 'security-report.md');
    assert.match(md, /\*\*No open finding\.\*\*/);
    assert.match(md, /\| mqtt\/mosquitto \| ClusterIP \| 8883 \| - \| in-cluster only \|/);
    assert.match(md, /\| mqtt\/mosquitto \| 8883 \| all addresses \| tlsv1\.2\+ \| no \| refused \| ACL file \|/);
    for (const p of examplePolicy().principals) assert.match(md, new RegExp(`- \\*\\*${p.username}\\*\\* \\(mqtt/mosquitto\\): `));
    assert.match(md, /\*\*sensor-0001\*\* \(mqtt\/mosquitto\): may publish to `devices\/sensor-0001\/telemetry`/);
    assert.match(md, /\| mqtt\/mosquitto-server \| server \| 2160h \| 720h \| Issuer mosquitto-ca \| ECDSA 256, new key on renewal: yes \|/);
    assert.match(md, /\| MON-1 \| mosquitto-k8s\/Broker \| suppression \| No digest of sapcc\/mosquitto-exporter.* \| `MON-1\[mosquitto\]` \|$/m);
    assert.match(md, /admits TCP\/8883 from namespaces \{"kubernetes\.io\/metadata\.name":"iot-backend"\}/);
  });
  it('the credentials report: every identity secret under KMS, rotated every 30 days', () => {
    assert.match(read('mosquitto-credentials', 'security-report.md'), /\| `mqtt-fortress\/mosquitto\/\*` \| 5 \| yes \| every 30 days \|/);
  });
  it('the network and cluster reports: flow logs, private API endpoint, the authentication-failure alarm', () => {
    assert.match(read('mqtt-network', 'security-report.md'), /- VPC 10\.42\.0\.0\/16: flow logs on/);
    const cluster = read('mqtt-cluster', 'security-report.md');
    assert.match(cluster, /- EKS (\\\$\{.*\}|mqtt-fortress): API endpoint private/);
    assert.match(cluster, /CloudWatch alarms: .*mqtt-authentication-failures/);
  });
  it('every stack has its audit result next to its cdk.tf.json', () => {
    for (const s of ['mqtt-network', 'mqtt-cluster', 'mosquitto-credentials', 'mosquitto-k8s']) assert.equal(JSON.parse(read(s, AUDIT_FILE)).version, 1);
  });
});

describe('SARIF 2.1.0', () => {
  const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown[] } };
  // The published schema has a pattern that is invalid in Unicode mode (a stray "]").
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  const validate = ajv.compile(schema);
  it('the default stacks produce valid SARIF; the suppressed finding carries its justification', () => {
    const out = tmp();
    synthTo(out);
    const sarif = JSON.parse(readFileSync(join(out, 'stacks', 'mosquitto-k8s', 'security-report.sarif'), 'utf8'));
    assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3)));
    const [res] = sarif.runs[0].results;
    assert.equal(res.ruleId, 'MON-1');
    assert.equal(res.suppressions[0].kind, 'external');
  });
  it('the schema check can fail', () => assert.equal(validate({ version: '2.1.0', runs: [{ tool: {} }] }), false));
  it('a stack with findings: one result per finding, located at the construct path and its line', () => {
    const out = tmp();
    const policy = Policy.from({
      ...examplePolicy().spec,
      roles: examplePolicy().spec.roles.map((r) => (r.name === 'backend-ingest' ? { ...r, rules: [...r.rules, { action: 'subscribe' as const, topics: ['#'] }] } : r)),
      exceptions: [{ rule: 'ACL-2-broad', role: 'backend-ingest', topic: '#', reason: 'the archive records every message' }],
    });
    synthTo(out, { policy, broker: { allowFrom: [{ namespace: 'iot-backend' }, { cidr: '0.0.0.0/0', openToWorldReason: 'open demo broker for a workshop' }] } });
    const sarif = JSON.parse(readFileSync(join(out, 'stacks', 'mosquitto-k8s', 'security-report.sarif'), 'utf8'));
    assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3)));
    const results = sarif.runs[0].results;
    const audit = JSON.parse(readFileSync(join(out, 'stacks', 'mosquitto-k8s', AUDIT_FILE), 'utf8'));
    assert.equal(results.length, audit.rows.filter((r: any) => r.status === 'non-compliant').length);
    const acl2 = results.find((r: any) => r.ruleId === 'ACL-2');
    assert.match(acl2.suppressions[0].justification, /policy exception: policy exception for role backend-ingest on #: the archive records every message/);
    const net2 = results.find((r: any) => r.ruleId === 'NET-2');
    const loc = net2.locations[0];
    assert.equal(loc.logicalLocations[0].fullyQualifiedName, 'mosquitto-k8s/Broker/NetworkPolicy-mosquitto-allow-mqtts');
    const tf = readFileSync(join(out, 'stacks', 'mosquitto-k8s', 'cdk.tf.json'), 'utf8').split('\n');
    assert.match(tf[loc.physicalLocation.region.startLine - 1]!, /"path": "mosquitto-k8s\/Broker\/NetworkPolicy-mosquitto-allow-mqtts"/);
    assert.match(loc.physicalLocation.artifactLocation.uri, /^stacks\/mosquitto-k8s\/cdk\.tf\.json$/);
  });
});

describe('exposure diff', () => {
  it('lists what widens exposure first: load balancer, source ranges, identity, ACL, TLS', () => {
    const a = tmp();
    const b = tmp();
    synthTo(a, { broker: { tls: { secretName: 'mosquitto-tls', minVersion: '1.3' } } });
    const spec = examplePolicy().spec;
    const policy = Policy.from({
      ...spec,
      identities: [...spec.identities, { name: 'sensor-0003', kind: 'device', roles: ['device-own-subtree'] }],
      roles: spec.roles.map((r) => (r.name === 'backend-ingest' ? { ...r, rules: [...r.rules, { action: 'publish' as const, topics: ['devices/+/status'] }] } : r)),
    });
    synthTo(b, { policy }, { FORTRESS_DEVICE_CIDRS: '192.0.2.0/24' });
    const { markdown, widening } = diffOutputs(a, b);
    const k8s = markdown.slice(markdown.indexOf('## Exposure changes: `mosquitto-k8s`'));
    const widens = k8s.slice(0, k8s.indexOf('### Narrows') > 0 ? k8s.indexOf('### Narrows') : undefined);
    assert.ok(widening >= 6, markdown);
    assert.match(widens, /### Widens exposure/);
    assert.match(widens, /\*\*endpoint\*\*: mqtt\/mosquitto: now a internal load balancer/);
    assert.match(widens, /\*\*source range\*\*: mqtt\/mosquitto: source range 192\.0\.2\.0\/24 added/);
    assert.match(widens, /\*\*identity\*\*: new identity sensor-0003 on mqtt\/mosquitto/);
    // The new rule is compared by meaning, in the access section (docs/review.md).
    assert.match(markdown, /### Access gained[\s\S]*- `backend` on `mqtt\/mosquitto` \(stack `mosquitto-k8s`\) may now publish to `devices\/\+\/status`/);
    assert.match(widens, /\*\*TLS\*\*: mqtt\/mosquitto:8883: minimum TLS tlsv1\.3 -\\> tlsv1\.2/);
    assert.match(widens, /\*\*network\*\*: NetworkPolicy mqtt\/mosquitto-allow-mqtts admits CIDR 192\.0\.2\.0\/24/);
    assert.match(markdown, /## Exposure changes: `mqtt-network`[\s\S]*security group admits 8883 from 192\.0\.2\.0\/24/);
    const back = diffOutputs(b, a);
    assert.ok(back.markdown.includes('identity sensor-0003 removed'));
  });
  it('no change, no entry', () => {
    const a = tmp();
    synthTo(a);
    const { widening, markdown } = diffOutputs(a, a);
    assert.equal(widening, 0);
    assert.match(markdown, /_no change in exposure_/);
  });
});

describe('plain YAML export for external scanners', () => {
  it('every Kubernetes object, valid against its schema, no unresolved token', () => {
    const out = tmp();
    synthTo(out);
    const text = readFileSync(join(out, 'stacks', 'mosquitto-k8s', 'kubernetes.yaml'), 'utf8');
    assert.doesNotMatch(text, /TfToken/);
    const docs = parseAllDocuments(text).map((d) => d.toJS() as K8sObject);
    assert.ok(docs.length >= 15, `${docs.length} objects`);
    for (const d of docs) validateK8sObject(d);
    assert.deepEqual([...new Set(docs.map((d) => d.kind))].sort(), [
      'Certificate',
      'ClusterSecretStore',
      'ConfigMap',
      'CronJob',
      'ExternalSecret',
      'Issuer',
      'Namespace',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'PrometheusRule',
      'Service',
      'ServiceAccount',
      'StatefulSet',
    ]);
  });
});
