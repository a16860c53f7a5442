/**
 * What the access diff cannot read exactly as Mosquitto does counts as a widening, with a one-line
 * named reason, never skipped (findings F4-F8 of a security test of the review diff):
 * dynamic-security JSON that cJSON reads differently (duplicate keys, another case), mosquitto.conf
 * authentication lines the kit does not render, a pod pointed at another revocation index,
 * `topic read` read as Mosquitto does, and malformed ConfigMaps as one DIFF_INPUT error.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { Policy } from '../../constructs/policy/model.js';
import { renderDynsec } from '../../constructs/policy/render-mosquitto.js';
import { accessWidening, diffAccess } from '../../constructs/review/access-diff.js';
import { accessOf, aclFileAccess, identityAllows } from '../../constructs/review/access-model.js';
import { dynsecUnreadable, firstDuplicateKey } from '../../constructs/review/mosquitto-strict.js';
import { diffOutputs } from '../../scripts/report.js';
import { rng } from '../helpers/random.js';
import { randomPolicy } from '../helpers/random-policy.js';
import { minimalBrokerProps, resourcesOf, synth, type Tf } from '../helpers/synth.js';

const base = (aclMode: 'acl-file' | 'dynamic-security') =>
  synth((s) => {
    new MosquittoBroker(
      s,
      'Broker',
      minimalBrokerProps({
        aclMode,
        tls: {
          secretName: 'tls',
          clientAuth: 'certificate',
          revocation: { caSecretName: 'ca', revoked: [{ serial: '7F', identity: 'sensor-0002', reason: 'superseded', revokedAt: '2026-11-01T00:00:00Z' }] },
        },
      }),
    );
  }, 'mosquitto-k8s').tf;
const ACL = base('acl-file');
const DYNSEC = base('dynamic-security');

const configMap = (tf: Tf) => resourcesOf(tf, 'kubernetes_config_map_v1').find((c) => c.data?.['mosquitto.conf']);
function edit(tf: Tf, file: string, change: (text: string) => string): Tf {
  const copy = structuredClone(tf);
  const cm = configMap(copy);
  cm.data[file] = change(cm.data[file]);
  return copy;
}

/** The new unread texts of AFTER against BEFORE, and whether the diff counts a widening. */
function unreadOf(before: Tf, afterTf: Tf): { texts: string[]; widens: boolean } {
  const d = diffAccess('s', accessOf('s', before), accessOf('s', afterTf));
  return { texts: d.unread.filter((u) => u.new).map((u) => u.text), widens: accessWidening(d) > 0 };
}

describe('dynamic-security JSON read as cJSON reads it, or unread', () => {
  const OLD = '"topic":"devices/sensor-0001/commands/#"';
  it('the kit own template (40 random policies) reads exactly: no unread', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const d = renderDynsec(Policy.from(randomPolicy(rng(seed))), 'markers', { clientIdIsUsername: true });
      assert.equal(dynsecUnreadable(JSON.stringify(d), d), undefined, `seed ${seed}`);
    }
    assert.deepEqual(unreadOf(DYNSEC, DYNSEC).texts, []);
  });
  it('a duplicate key (cJSON applies the first "#", JSON.parse the last) is unread, counted as widening', () => {
    assert.ok(configMap(DYNSEC).data['dynamic-security-template.json'].includes(OLD));
    const r = unreadOf(
      DYNSEC,
      edit(DYNSEC, 'dynamic-security-template.json', (x) => x.replace(OLD, `"topic":"#",${OLD}`)),
    );
    assert.equal(r.widens, true);
    assert.match(r.texts.join('\n'), /has the key roles\[\d+\]\.acls\[\d+\]\.topic twice/);
  });
  it('duplicates are found after unescaping and at any depth; arrays of objects are told apart', () => {
    assert.equal(firstDuplicateKey('{"a":[{"t":1},{"t":2}],"b":{"t":1}}'), undefined);
    assert.equal(firstDuplicateKey('{"a":[{"t":1},{"t":2,"\\u0074":3}]}'), '.a[1].t');
    assert.equal(firstDuplicateKey('{"s":"\\"x\\":1","x":2}'), undefined);
  });
  it('an acltype or key in another case (the plugin matches them case-insensitively) or of another type is unread', () => {
    const template = JSON.parse(configMap(DYNSEC).data['dynamic-security-template.json']);
    const cases: [(d: any) => void, RegExp][] = [
      [(d) => (d.roles[0].acls[0].acltype = 'SubscribePattern'), /acltype "SubscribePattern" is not one of/],
      [
        (d) => {
          d.roles[0].acls[0].Allow = true;
          delete d.roles[0].acls[0].allow;
        },
        /acls\[0\]\.Allow is not a key the diff reads/,
      ],
      [(d) => (d.roles[0].acls[0].allow = 'true'), /acls\[0\]\.allow is string, not boolean/],
      [(d) => (d.Roles = []), /^dynamic-security-template.json: Roles is not a key/],
    ];
    for (const [change, want] of cases) {
      const d = structuredClone(template);
      change(d);
      const r = unreadOf(
        DYNSEC,
        edit(DYNSEC, 'dynamic-security-template.json', () => JSON.stringify(d)),
      );
      assert.equal(r.widens, true, String(want));
      assert.match(r.texts.join('\n'), want);
    }
  });
});

describe('mosquitto.conf: authentication and authorization lines the kit does not render are unread', () => {
  const cases: [string, (c: string) => string][] = [
    ['auth_plugin /usr/lib/mosquitto_dynamic_security.so', (c) => c.replace('acl_file /mosquitto/config/acl', 'acl_file /mosquitto/config/acl\nauth_plugin /usr/lib/mosquitto_dynamic_security.so')],
    ['include_dir /mosquitto/config/extra', (c) => `${c}\ninclude_dir /mosquitto/config/extra\n`],
    ['allow_anonymous true', (c) => c.replace('allow_anonymous false', 'allow_anonymous true')],
    ['password_file /mosquitto/config/passwd', (c) => c.replace('password_file /run/fortress/auth/passwd', 'password_file /mosquitto/config/passwd')],
    ['acl_file /mosquitto/data/acl', (c) => c.replace('acl_file /mosquitto/config/acl', 'acl_file /mosquitto/data/acl')],
    ['plugin /usr/lib/other_auth.so', (c) => `${c}\nplugin /usr/lib/other_auth.so\n`],
    ['plugin_opt_config_file /mosquitto/config/extra.json', (c) => `${c}\nplugin_opt_config_file /mosquitto/config/extra.json\n`],
    ['psk_file /mosquitto/config/psk', (c) => `${c}\nlistener 8884\npsk_file /mosquitto/config/psk\n`],
  ];
  for (const [line, change] of cases)
    it(`${line}: unread with the line named, counted as widening`, () => {
      const r = unreadOf(ACL, edit(ACL, 'mosquitto.conf', change));
      assert.equal(r.widens, true);
      assert.ok(
        r.texts.some((t) => t.startsWith(`mosquitto.conf line ${JSON.stringify(line)}: `)),
        r.texts.join('\n'),
      );
    });
  it("the kit's own files (ACL file and dynamic security) have nothing unread", () => {
    assert.deepEqual([accessOf('s', ACL).unread, accessOf('s', DYNSEC).unread], [[], []]);
  });
});

describe('packed ConfigMap files the diff cannot place are unread', () => {
  it('acl.gz beside data.acl (the diff would read the packed one, acl_file the data key) and a computed acl.gz', () => {
    const both = structuredClone(ACL);
    configMap(both).binary_data = { 'acl.gz': gzipSync(configMap(ACL).data.acl).toString('base64') };
    configMap(both).data.acl = 'user backend\ntopic readwrite #\n';
    assert.match(unreadOf(ACL, both).texts.join('\n'), /holds both data key acl and binaryData key acl\.gz/);
    const computed = structuredClone(ACL);
    configMap(computed).binary_data = { 'acl.gz': '${filebase64("acl.gz")}' };
    assert.match(unreadOf(ACL, computed).texts.join('\n'), /binaryData key acl\.gz is computed at plan time/);
  });
});

describe("the pod's FORTRESS_* paths: another file than the one the diff reads is unread", () => {
  const withEnv = (tf: Tf, name: string, e: object) => {
    const copy = structuredClone(tf);
    const s = JSON.stringify(copy);
    assert.ok(s.includes(`"name":"${name}"`));
    return JSON.parse(s.replace(new RegExp(`\\{"name":"${name}","value":"[^"]*"\\}`, 'g'), JSON.stringify({ name, ...e }))) as Tf;
  };
  it('FORTRESS_CRL_INDEX at another index (revoked.index left as it was) is named for each container', () => {
    const r = unreadOf(ACL, withEnv(ACL, 'FORTRESS_CRL_INDEX', { value: '/mosquitto/config/revoked2.index' }));
    assert.equal(r.widens, true);
    assert.ok(r.texts.length >= 1 && r.texts.every((t) => /^container \S+ env FORTRESS_CRL_INDEX="\/mosquitto\/config\/revoked2.index": /.test(t)), r.texts.join('\n'));
  });
  it('FORTRESS_CRL_INDEX from valueFrom is named too', () => {
    const r = unreadOf(ACL, withEnv(ACL, 'FORTRESS_CRL_INDEX', { value_from: [{ config_map_key_ref: [{ name: 'x', key: 'y' }] }] }));
    assert.ok(r.texts.some((t) => t.includes('FORTRESS_CRL_INDEX=(valueFrom)')));
  });
  it('FORTRESS_DYNSEC_TEMPLATE at another template is named', () => {
    const r = unreadOf(DYNSEC, withEnv(DYNSEC, 'FORTRESS_DYNSEC_TEMPLATE', { value: '/mosquitto/config/other.json' }));
    assert.ok(r.widens && r.texts.some((t) => t.includes('FORTRESS_DYNSEC_TEMPLATE')));
  });
});

describe('acl_file: an access word and no topic, as Mosquitto 2.0 reads it', () => {
  it('`topic read` is readwrite on the topic `read` (security_default.c: no third token, the second is the topic)', () => {
    for (const word of ['read', 'write', 'readwrite', 'deny']) {
      const m = aclFileAccess('b', `user u\ntopic ${word}\n`, false, true);
      const u = m.identities.find((i) => i.identity === 'u');
      assert.ok(identityAllows(u, 'publish', word) && identityAllows(u, 'subscribe', word), word);
      assert.equal(identityAllows(u, 'publish', 'other'), false);
    }
    const d = diffAccess(
      's',
      accessOf('s', ACL),
      accessOf(
        's',
        edit(ACL, 'acl', (a) => a.replace('user metrics\n', 'user metrics\ntopic deny\n')),
      ),
    );
    assert.deepEqual(
      d.gained.map((g) => `${g.identity} ${g.action} ${g.topic}`),
      ['metrics publish deny', 'metrics subscribe deny'],
    );
  });
});

describe('report --diff: a malformed broker ConfigMap is one DIFF_INPUT error naming stack, ConfigMap and key', () => {
  const root = mkdtempSync(join(tmpdir(), 'fortress-failclosed-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const output = (name: string, tf: unknown) => {
    const dir = join(root, name);
    mkdirSync(join(dir, 'stacks', 'mosquitto-k8s'), { recursive: true });
    writeFileSync(join(dir, 'stacks', 'mosquitto-k8s', 'cdk.tf.json'), JSON.stringify(tf));
    return dir;
  };
  const before = output('before', ACL);
  const cases: [string, (cm: any) => void, RegExp][] = [
    ['data.acl a number', (cm) => (cm.data.acl = 5), /data key "acl" is integer, not text/],
    ['data["mosquitto.conf"] null', (cm) => (cm.data['mosquitto.conf'] = null), /data key "mosquitto.conf" is null, not text/],
    ['a dynamic-security template that is not JSON', (cm) => (cm.data['dynamic-security-template.json'] = '{bad'), /data key "dynamic-security-template.json" is not valid JSON/],
    ['binary_data["acl.gz"] not gzip', (cm) => (cm.binary_data = { 'acl.gz': Buffer.from('hello').toString('base64') }), /binary_data key "acl.gz" is not base64 gzip/],
  ];
  for (const [what, change, want] of cases)
    it(what, () => {
      const tf = structuredClone(ACL);
      change(configMap(tf));
      const dir = output(what.replace(/\W+/g, '-'), tf);
      assert.throws(
        () => diffOutputs(before, dir),
        (e: Error & { code?: string }) =>
          e.code === 'DIFF_INPUT' &&
          want.test(e.message) &&
          /^AFTER stack mosquitto-k8s: ConfigMap kubernetes_config_map_v1\.\S+ \(mosquitto-config\)/.test(e.message) &&
          /synthesize/.test(e.message) &&
          !e.message.includes('\n'),
      );
    });
  it('a valid acl.gz still reads', () => {
    const tf = structuredClone(ACL);
    configMap(tf).binary_data = { 'extra.gz': gzipSync('x').toString('base64') };
    assert.equal(diffOutputs(before, output('gz-ok', tf)).widening, 0);
  });
  it('resource.kubernetes_config_map_v1 as a list is refused, not skipped', () => {
    const tf = structuredClone(ACL) as any;
    tf.resource.kubernetes_config_map_v1 = Object.values(tf.resource.kubernetes_config_map_v1);
    assert.throws(() => diffOutputs(before, output('list', tf)), /resource\.kubernetes_config_map_v1 is not an object of resources/);
  });
});
