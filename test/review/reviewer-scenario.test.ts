/**
 * The reviewer's scenario end to end, as processes: a user's app is synthesized for the base
 * branch and for a pull request, and `report --diff` compares the two outputs. The pull request
 * widens access in three hidden ways, none visible as a new rule line for an existing identity:
 * a broader wildcard in a role, a new member in an identity class, a new device CIDR. Each is
 * named, and `--fail-on widen` exits 2 (the deny assertion the wider wildcard breaks counts as a
 * widening too); a narrowing-only pull request exits 0.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ExposureDiff } from '../../constructs/audit/diff.js';
import { ROOT, runScript } from '../helpers/run-script.js';

const cwd = mkdtempSync(join(tmpdir(), 'fortress-review-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

const policy = (o: { backendTelemetry: string; members: string[]; status: boolean; assertions?: boolean }) => `version: 1
roles:
  - name: device-own-subtree
    rules:
      - action: publish
        topics: ["devices/{username}/telemetry", "devices/{username}/status"]
      - action: subscribe
        topics: ["devices/{username}/commands/#"]
  - name: backend-ingest
    rules:
      - action: subscribe
        topics: ["${o.backendTelemetry}"${o.status ? ', "devices/+/status"' : ''}]
      - action: publish
        topics: ["devices/+/commands/#"]
identities:
  - name: sensors
    kind: device
    roles: [device-own-subtree]
    members: [${o.members.join(', ')}]
  - name: backend
    kind: service
    roles: [backend-ingest]
${
  o.assertions === false
    ? ''
    : `assertions:
  - identity: backend
    deny: [{ action: subscribe, topic: "devices/sensor-0001/commands" }]
`
}`;

async function synth(dir: string, p: string, cidrs: string): Promise<void> {
  const file = join(cwd, `${dir}.yaml`);
  writeFileSync(file, p);
  // From the repository, as a user's synth runs from theirs (the credential store's asset lies inside it).
  const r = await runScript('dist/test/fixtures/review-app.js', [join(cwd, dir), file], { cwd: ROOT, env: { FORTRESS_DEVICE_CIDRS: cidrs } });
  assert.equal(r.status, 0, r.stderr);
}

describe('reviewer scenario: a pull request that widens access three hidden ways', () => {
  before(async () => {
    const base = { backendTelemetry: 'devices/+/telemetry', members: ['sensor-0001', 'sensor-0002'], status: true };
    await synth('base', policy(base), '192.0.2.0/24');
    await synth('pr', policy({ ...base, backendTelemetry: 'devices/+/+', members: [...base.members, 'sensor-0003'], assertions: false }), '192.0.2.0/24,198.51.100.0/24');
    await synth('narrow', policy({ ...base, status: false }), '');
  });

  it('--fail-on widen exits 2 and the report names each widening', async () => {
    const r = await runScript('dist/scripts/report.js', ['--diff', 'base', 'pr', '--fail-on', 'widen'], { cwd });
    assert.equal(r.status, 2, r.stderr);
    // 1. the broader wildcard, for the backend, on the broker
    assert.match(r.stdout, /- `backend` on `mqtt\/mosquitto` \(stack `mosquitto-k8s`\) may now subscribe to and receive `devices\/\+\/\+` \(in part, e\.g\. `devices\/[^`]+`\)/);
    // 2. the new member of the identity class, with what it may do
    assert.match(r.stdout, /- `sensor-0003` on `mqtt\/mosquitto` \(stack `mosquitto-k8s`\) may now publish to `devices\/sensor-0003\/telemetry`/);
    assert.match(r.stdout, /- `sensor-0003` on `mqtt\/mosquitto` \(stack `mosquitto-k8s`\) may now subscribe to and receive `devices\/sensor-0003\/commands\/#`/);
    // 3. the new CIDR, in the security group and the load balancer's source ranges
    assert.match(r.stdout, /source range 198\.51\.100\.0\/24 added/);
    assert.match(r.stdout, /security group admits 8883 from 198\.51\.100\.0\/24/);
    // ... and followed across stacks to the broker: reachability gained through the network stack's security group.
    assert.match(r.stdout, /### Reachability gained[\s\S]*- `198\.51\.100\.0\/24` → port 8883 → `mqtt\/mosquitto:8883`: security-group \(mqtt-network\)/);
    // Widening comes first: the access gained before any loss.
    assert.ok(r.stdout.indexOf('### Access gained') < r.stdout.indexOf('### Access lost') >>> 0);
  });

  it('--json names the same widenings in access.gained', async () => {
    const r = await runScript('dist/scripts/report.js', ['--diff', 'base', 'pr', '--json', '--fail-on', 'widen'], { cwd });
    assert.equal(r.status, 2, r.stderr);
    const d = JSON.parse(r.stdout) as ExposureDiff;
    assert.equal(d.version, 2);
    const gained = d.access.gained.map((g) => `${g.stack} ${g.identity} ${g.action} ${g.topic}`).sort();
    assert.deepEqual(gained, [
      'mosquitto-k8s backend subscribe devices/+/+',
      'mosquitto-k8s sensor-0003 publish devices/sensor-0003/status',
      'mosquitto-k8s sensor-0003 publish devices/sensor-0003/telemetry',
      'mosquitto-k8s sensor-0003 subscribe devices/sensor-0003/commands/#',
    ]);
    assert.deepEqual(d.access.lost, []);
    assert.ok(d.reachability.gained.some((e) => e.source === '198.51.100.0/24' && e.port === 8883 && e.layers[0]!.stack === 'mqtt-network'));
    assert.deepEqual(d.reachability.lost, []);
    assert.ok(d.widening >= gained.length + 2, `${d.widening}`);
    // The broader wildcard gives the backend sensor-0001's commands, which BEFORE asserted it may not read
    // (the pull request dropped the assertion, so AFTER's own policy builds).
    assert.deepEqual(
      d.access.brokenAssertions.map((x) => [x.username, x.action, x.topic, x.expect]),
      [['backend', 'subscribe', 'devices/sensor-0001/commands', 'deny']],
    );
    // The broken deny assertion is a widening of its own: counted in the stack's and the total widening.
    const s = d.stacks.find((x) => x.stack === 'mosquitto-k8s')!;
    assert.equal(s.widening, s.changes.filter((c) => c.widens).length + d.access.gained.filter((g) => g.stack === s.stack).length + 1);
    assert.match(r.stderr, new RegExp(`^${d.widening} change\\(s\\) widen`, 'm'));
  });

  it('a narrowing-only pull request (a filter and the device CIDR removed) exits 0 and names the loss', async () => {
    const r = await runScript('dist/scripts/report.js', ['--diff', 'base', 'narrow', '--fail-on', 'widen'], { cwd });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /- `backend` on `mqtt\/mosquitto` \(stack `mosquitto-k8s`\) may no longer subscribe to and receive `devices\/\+\/status`/);
    assert.match(r.stderr, /^0 change\(s\) widen/m);
  });
});
