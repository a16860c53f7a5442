/**
 * Issue 12 finding 7: world-open is judged on the UNION of declared ranges and selectors, in
 * every place that declares peers or CIDRs (MosquittoBroker allowFrom and load balancer source
 * ranges, EmqxCluster allowFrom, BrokerSecurityGroup, the EKS public endpoint), and the audit
 * report shows the reason.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { TerraformStack, Testing } from 'cdktf';
import { FortressAudit } from '../../constructs/audit/engine.js';
import { FortressError, ValidationError } from '../../constructs/core/errors.js';
import { judgeRanges } from '../../constructs/core/exposure-union.js';
import { buildEmqx } from '../../constructs/emqx/objects.js';
import { kubernetesProvider } from '../../constructs/k8s/provider.js';
import { checkPeers, type MqttPeer } from '../../constructs/k8s/values.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import { PrivateEksCluster } from '../../constructs/network/eks.js';
import { BrokerSecurityGroup } from '../../constructs/network/security-group.js';
import { examplePolicy, minimalBrokerProps } from '../helpers/synth.js';

const FAKE_DIGEST = `sha256:${'12'.repeat(32)}`; // test fixture only: not a real image
const REASON = 'public demo broker for the trade fair';

/** /n ranges that tile the whole IPv4 space: 2^n of them. */
const tiles = (n: number) => Array.from({ length: 2 ** n }, (_, i) => `${(i * 2 ** (32 - n)) / 2 ** 24}.0.0.0/${n}`);

/** Unions that cover the internet although no single entry is /0. */
const OPEN_UNIONS: [string, string[]][] = [
  ['0.0.0.0/1 + 128.0.0.0/1', ['0.0.0.0/1', '128.0.0.0/1']],
  ['::/1 + 8000::/1', ['::/1', '8000::/1']],
  ['256 /8 ranges', tiles(8)],
  ['the global IPv6 unicast space', ['2000::/3']],
  ['0.0.0.0/1 alone (half the internet)', ['0.0.0.0/1']],
  ['a public /8', ['44.0.0.0/8']],
  ['255 of the 256 /8 ranges', tiles(8).slice(1)],
  ['the NAT64 prefix (the IPv4 internet through a NAT64 gateway)', ['64:ff9b::/96']],
  ['IPv4-mapped IPv6 addresses', ['::ffff:0:0/96']],
];
const CLOSED_UNIONS: [string, string[]][] = [
  ['private ranges', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']],
  ['a documentation /24 and a ULA /48', ['192.0.2.0/24', 'fd00:1234:5678::/48']],
  ['a public /9 (below the threshold)', ['44.0.0.0/9']],
  ['a /33 of global IPv6', ['2001:db8::/33']],
  ['NAT64 of a private /8 only', ['64:ff9b::a00:0/104']],
];

describe('judgeRanges: the union decides (NET-2)', () => {
  for (const [name, cidrs] of OPEN_UNIONS) it(`world-open: ${name}`, () => assert.equal(judgeRanges(cidrs.map((cidr) => ({ cidr, prop: 'x' }))).worldOpen, true));
  for (const [name, cidrs] of CLOSED_UNIONS) it(`not world-open: ${name}`, () => assert.equal(judgeRanges(cidrs.map((cidr) => ({ cidr, prop: 'x' }))).worldOpen, false));
  it('exceptions are subtracted before judging', () => {
    assert.equal(judgeRanges([{ cidr: '44.0.0.0/8', except: ['44.0.0.0/9'], prop: 'x' }]).worldOpen, false);
    assert.equal(judgeRanges([{ cidr: '0.0.0.0/0', except: ['10.0.0.0/8'], prop: 'x' }]).worldOpen, true);
  });
});

describe('peers: CIDR unions and selectors need openToWorldReason', () => {
  const open = (cidrs: string[]) => cidrs.map((cidr) => ({ cidr }));
  for (const [name, cidrs] of OPEN_UNIONS) {
    it(`refused without a reason: ${name}`, () => {
      assert.throws(
        () => checkPeers('allowFrom', open(cidrs)),
        (e: Error) => e instanceof FortressError && e.code === 'PEER_OPEN_TO_WORLD' && /allowFrom/.test(e.message) && /NET-2/.test(e.message),
      );
    });
    it(`accepted and recorded with a reason: ${name}`, () => {
      const peers = open(cidrs).map((p, i) => (i === 0 ? { ...p, openToWorldReason: REASON } : p));
      assert.deepEqual(checkPeers('allowFrom', peers), [{ id: 'NET-2', prop: 'allowFrom[0].openToWorldReason', reason: REASON }]);
    });
  }
  it('namespaceLabels: {} selects every namespace: refused without a reason, recorded with one', () => {
    assert.throws(
      () => checkPeers('allowFrom', [{ namespaceLabels: {} }]),
      (e: Error) => e instanceof FortressError && e.code === 'PEER_OPEN_TO_WORLD' && /allowFrom\[0\]\.namespaceLabels is \{\}, which selects every namespace/.test(e.message),
    );
    assert.throws(() => checkPeers('allowFrom', [{ namespaceLabels: {}, podLabels: {} }]), /every namespace/);
    assert.deepEqual(checkPeers('allowFrom', [{ namespaceLabels: {}, openToWorldReason: REASON }]), [{ id: 'NET-2', prop: 'allowFrom[0].openToWorldReason', reason: REASON }]);
  });
  it('a selector without namespace (podLabels alone, nothing at all) is refused', () => {
    for (const p of [{ podLabels: {} }, { podLabels: { app: 'x' } }, {}] as MqttPeer[])
      assert.throws(
        () => checkPeers('allowFrom', [p]),
        (e: Error) => (e as FortressError).code === 'PEER_SHAPE',
      );
  });
  it('a reason where nothing is open is refused as unused', () => {
    assert.throws(
      () => checkPeers('allowFrom', [{ cidr: '192.0.2.0/24', openToWorldReason: REASON }]),
      (e: Error) => (e as FortressError).code === 'REASON_UNUSED',
    );
    assert.throws(
      () => checkPeers('allowFrom', [{ namespace: 'a', openToWorldReason: REASON }]),
      (e: Error) => (e as FortressError).code === 'REASON_UNUSED',
    );
  });
});

describe('every construct that declares peers or CIDRs applies the union check', () => {
  const split = ['0.0.0.0/1', '128.0.0.0/1'];
  it('MosquittoBroker allowFrom', () => {
    assert.throws(() => buildMosquitto(minimalBrokerProps({ allowFrom: split.map((cidr) => ({ cidr })) })), /PEER_OPEN_TO_WORLD|admits, taken together/);
    assert.throws(() => buildMosquitto(minimalBrokerProps({ allowFrom: [{ namespaceLabels: {} }] })), /every namespace/);
  });
  it('MosquittoBroker service.loadBalancerSourceRanges', () => {
    const svc = { type: 'LoadBalancer' as const, loadBalancerSourceRanges: ['::/1', '8000::/1'] };
    assert.throws(
      () => buildMosquitto(minimalBrokerProps({ service: svc })),
      (e: Error) => (e as FortressError).code === 'PEER_OPEN_TO_WORLD' && /service\.loadBalancerSourceRanges .* set service\.internetFacingReason/.test(e.message),
    );
    const b = buildMosquitto(minimalBrokerProps({ service: { ...svc, internetFacingReason: REASON } }));
    assert.ok(b.resolved.relaxations.some((r) => r.id === 'NET-2' && r.reason === REASON && /loadBalancerSourceRanges/.test(r.prop)));
  });
  it('EmqxCluster allowFrom', () => {
    const o = { policy: examplePolicy(), credentialsSecretName: 'c', adminSecretName: 'a', tls: { secretName: 't', nodeSecretName: 'n' }, image: { digest: FAKE_DIGEST } };
    assert.throws(
      () => buildEmqx({ ...o, allowFrom: split.map((cidr) => ({ cidr })) }),
      (e: Error) => (e as FortressError).code === 'PEER_OPEN_TO_WORLD',
    );
    assert.throws(
      () => buildEmqx({ ...o, allowFrom: [{ namespaceLabels: {} }] }),
      (e: Error) => (e as FortressError).code === 'PEER_OPEN_TO_WORLD',
    );
  });
  const aws = (fill: (s: TerraformStack) => void) => {
    const s = new TerraformStack(Testing.app(), 'net');
    new AwsProvider(s, 'aws', { region: 'eu-west-1' });
    fill(s);
    return Testing.synth(s, true);
  };
  it('BrokerSecurityGroup allowedClients', () => {
    const props = { vpcId: 'vpc-0123456789abcdef0', vpcCidr: '10.0.0.0/16', name: 'x', allowedClients: tiles(4).map((cidr) => ({ cidr, description: 'a sixteenth of the internet' })) };
    assert.throws(
      () => aws((s) => new BrokerSecurityGroup(s, 'Sg', props)),
      (e: Error) => e instanceof ValidationError && e.code === 'PEER_OPEN_TO_WORLD' && /^\[net\/Sg\] allowedClients\.cidr/.test(e.message),
    );
    let sg!: BrokerSecurityGroup;
    aws((s) => (sg = new BrokerSecurityGroup(s, 'Sg', { ...props, openToWorldReason: REASON })));
    assert.equal(sg.relaxations[0]?.reason, REASON);
  });
  it('PrivateEksCluster publicEndpoint (never world-open, even split)', () => {
    const props = {
      region: 'eu-west-1',
      vpcId: 'vpc-0123456789abcdef0',
      privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      publicEndpoint: { cidrs: split, reason: 'operators reach the API from home' },
    };
    assert.throws(
      () => aws((s) => new PrivateEksCluster(s, 'Eks', props)),
      (e: Error) => e instanceof ValidationError && e.code === 'EKS_PUBLIC_ENDPOINT' && /publicEndpoint\.cidrs/.test(e.message),
    );
  });
});

describe('the audit judges the union too, and the report shows the reason', () => {
  it('a split world range with a reason: NET-2 finding suppressed by the relaxation, reason in the results', () => {
    const stack = new TerraformStack(Testing.app(), 'k8s');
    kubernetesProvider(stack);
    new MosquittoBroker(stack, 'Broker', minimalBrokerProps({ allowFrom: [{ namespace: 'iot-backend' }, { cidr: '0.0.0.0/1', openToWorldReason: REASON }, { cidr: '128.0.0.0/1' }] }));
    const r = FortressAudit.evaluate(stack);
    const row = r.rows.find((x) => x.rule === 'NET-2' && x.status === 'non-compliant');
    assert.ok(row, `a NET-2 finding for the split range: ${JSON.stringify(r.rows.filter((x) => x.rule === 'NET-2'))}`);
    assert.match(row.finding ?? '', /0\.0\.0\.0\/1\+128\.0\.0\.0\/1/);
    assert.match(row.suppressed?.reason ?? '', new RegExp(`allowFrom\\[1\\]\\.openToWorldReason: ${REASON}`));
  });
});
