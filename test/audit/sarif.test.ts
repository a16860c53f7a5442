/**
 * SARIF for code scanning: one run per stack with its own automationDetails.id, a
 * security-severity on every rule, results located in files a pull request touches (the policy
 * YAML line, the construct's declaration), valid against the SARIF 2.1.0 schema.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import AjvModule from 'ajv-draft-04';
import { RULES } from '../../constructs/audit/rules.js';
import { policyLine, RULE_SECURITY_SEVERITY } from '../../constructs/audit/sarif.js';
import { policyFromYamlFile } from '../../constructs/policy/yaml.js';
import { writeAuditResults, writeReports } from '../../stacks/artifacts.js';
import { buildApp } from '../../stacks/main.js';
import { ROOT } from '../helpers/run-script.js';

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown[] } };
const validate = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false }).compile(schema);

const dir = mkdtempSync(join(tmpdir(), 'fortress-sarif-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// The example policy plus a broad subscription of the backend, excepted with a reason.
const example = readFileSync(join(ROOT, 'templates', 'example-policy.yaml'), 'utf8');
const policyText =
  example.replace('        topics: ["devices/+/telemetry", "devices/+/status"]\n', '        topics: ["devices/+/telemetry", "devices/+/status"]\n      - action: subscribe\n        topics: ["#"]\n') +
  'exceptions:\n  - rule: ACL-2-broad\n    role: backend-ingest\n    topic: "#"\n    reason: the archive records every message\n';
const policyFile = join(dir, 'policy.yaml');
writeFileSync(policyFile, policyText);
const out = join(dir, 'out');
const app = buildApp(out, {
  policy: policyFromYamlFile(policyFile),
  broker: { allowFrom: [{ namespace: 'iot-backend' }, { cidr: '0.0.0.0/0', openToWorldReason: 'open demo broker for a workshop' }] },
});
app.synth();
writeAuditResults(app);
writeReports(app, '0.1.0', ROOT, out, { roots: [join(ROOT, 'stacks')] });
const sarifOf = (stack: string) => JSON.parse(readFileSync(join(out, 'stacks', stack, 'security-report.sarif'), 'utf8'));

describe('SARIF for code scanning', () => {
  it('each stack is its own run with its own automationDetails.id, valid SARIF 2.1.0', () => {
    const ids = ['mqtt-network', 'mqtt-cluster', 'mosquitto-credentials', 'mosquitto-k8s'].map((s) => {
      const sarif = sarifOf(s);
      assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3)));
      assert.equal(sarif.runs.length, 1);
      return sarif.runs[0].automationDetails.id;
    });
    assert.deepEqual(ids, ['mqtt-fortress/mqtt-network/', 'mqtt-fortress/mqtt-cluster/', 'mqtt-fortress/mosquitto-credentials/', 'mqtt-fortress/mosquitto-k8s/']);
  });
  it('every rule carries a security-severity from 0 to 10; every rule of the pack has one chosen', () => {
    for (const r of sarifOf('mosquitto-k8s').runs[0].tool.driver.rules) {
      const v = Number(r.properties['security-severity']);
      assert.ok(v > 0 && v <= 10, `${r.id}: ${r.properties['security-severity']}`);
      assert.ok(r.properties.tags.includes('security'));
    }
    assert.deepEqual(
      RULES.map((r) => r.id).filter((id) => !(id in RULE_SECURITY_SEVERITY)),
      [],
    );
  });
  it('a policy finding points at the policy YAML line that grants the topic', () => {
    const acl2 = sarifOf('mosquitto-k8s').runs[0].results.find((r: any) => r.ruleId === 'ACL-2');
    const loc = acl2.locations[0].physicalLocation;
    assert.ok(loc.artifactLocation.uri.endsWith('/policy.yaml'), loc.artifactLocation.uri);
    assert.equal(policyText.split('\n')[loc.region.startLine - 1], '        topics: ["#"]');
    assert.match(acl2.suppressions[0].justification, /the archive records every message/);
    assert.match(acl2.relatedLocations[0].physicalLocation.artifactLocation.uri, /stacks\/mosquitto-k8s\/cdk\.tf\.json$/);
  });
  it('a construct finding points at the line that declares the construct in the stack source', () => {
    const net2 = sarifOf('mosquitto-k8s').runs[0].results.find((r: any) => r.ruleId === 'NET-2');
    const loc = net2.locations[0];
    assert.equal(loc.physicalLocation.artifactLocation.uri, 'stacks/mosquitto-k8s-stack.ts');
    const line = readFileSync(join(ROOT, 'stacks', 'mosquitto-k8s-stack.ts'), 'utf8').split('\n')[loc.physicalLocation.region.startLine - 1];
    assert.match(line!, /new MosquittoBroker\(this, 'Broker'/);
    assert.equal(loc.logicalLocations[0].fullyQualifiedName, 'mosquitto-k8s/Broker/NetworkPolicy-mosquitto-allow-mqtts');
    const tf = readFileSync(join(out, 'stacks', 'mosquitto-k8s', 'cdk.tf.json'), 'utf8').split('\n');
    assert.match(tf[net2.relatedLocations[0].physicalLocation.region.startLine - 1]!, /"path": "mosquitto-k8s\/Broker\/NetworkPolicy-mosquitto-allow-mqtts"/);
  });
  it('policyLine: the quoted topic, a block-list topic, else the user, else nothing', () => {
    assert.equal(policyLine('a\n  topics: ["$SYS/x"]\n', 'ACL-3[m:$SYS/x]'), 2);
    assert.equal(policyLine('a\ntopics:\n  - devices/+\n', 'ACL-2[b:devices/+]'), 3);
    assert.equal(policyLine('x\n- name: backend\n', 'ACL-2[backend:+/y]'), 2);
    assert.equal(policyLine('x', 'NET-2[mqtt/p]'), undefined);
  });
});
