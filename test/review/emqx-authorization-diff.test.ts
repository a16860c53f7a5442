/**
 * What EMQX will apply, read from the rendered config of the ConfigMap, not only from acl.conf:
 * the authorization sources (only the kit's file source at the kit's path is read), no_match
 * (allow: every identity gains everything acl.conf does not deny) and the cache; acl.conf itself
 * only when it can be read with certainty; plaintext listeners in the exposure. Each edit of a
 * synthesized EMQX stack must widen without any audit file (docs/review.md). One synth, ~2 s.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffExposure } from '../../constructs/audit/diff.js';
import { exposureOf } from '../../constructs/audit/exposure.js';
import { EmqxCluster } from '../../constructs/emqx/cluster.js';
import { EMQX_PATHS } from '../../constructs/emqx/config.js';
import { accessWidening, diffAccess } from '../../constructs/review/access-diff.js';
import { accessOf, EMQX_ACL_PATH } from '../../constructs/review/access-model.js';
import { examplePolicy, synth } from '../helpers/synth.js';

const base = synth((s) => {
  new EmqxCluster(s, 'Emqx', {
    policy: examplePolicy(),
    credentialsSecretName: 'emqx-credentials',
    adminSecretName: 'emqx-admin',
    tls: { secretName: 'emqx-tls', nodeSecretName: 'emqx-node-tls' },
    image: { digest: `sha256:${'ef'.repeat(32)}` },
    allowFrom: [{ namespace: 'iot-backend' }],
  });
}, 'emqx').tf;

/** The stack with its EMQX ConfigMap's data edited (`conf`: the emqx.conf JSON, `acl`: acl.conf). */
function edited(f: (d: { conf: any; acl: string }) => void): any {
  const j = structuredClone(base) as any;
  const cm = Object.values<any>(j.resource.kubernetes_config_map_v1).find((r) => r.data?.['emqx.conf']);
  const [head, ...body] = String(cm.data['emqx.conf']).split('\n');
  const d = { conf: JSON.parse(body.join('\n')), acl: String(cm.data['acl.conf']) };
  f(d);
  cm.data['emqx.conf'] = `${head}\n${JSON.stringify(d.conf, null, 2)}`;
  cm.data['acl.conf'] = d.acl;
  return j;
}

const access = (after: any) => diffAccess('emqx', accessOf('emqx', base), accessOf('emqx', after));
const newUnread = (after: any) =>
  access(after)
    .unread.filter((u) => u.new)
    .map((u) => u.text);

describe('report --diff reads EMQX authorization as EMQX applies it', () => {
  it("the kit's own output reads with no unread term and no change", () => {
    const d = access(base);
    assert.deepEqual(d.unread, []);
    assert.equal(accessWidening(d), 0);
    assert.equal(EMQX_ACL_PATH, `${EMQX_PATHS.fortress}/acl.conf`);
    assert.ok(accessOf('emqx', base).identities.some((i) => i.identity === 'backend'));
  });

  it('an escape Erlang decodes ("\\x{23}" is #) makes acl.conf unread, a widening, even paired with a decoy deny', () => {
    const after = edited((d) => {
      d.acl = d.acl.replace(
        '{allow, {username, "backend"}, subscribe, ["devices/+/telemetry"]}.',
        '{deny, {username, "backend"}, all, ["x{23}"]}.\n{allow, {username, "backend"}, all, ["\\x{23}"]}.\n{allow, {username, "backend"}, subscribe, ["devices/+/telemetry"]}.',
      );
    });
    const u = newUnread(after);
    assert.equal(u.length, 1);
    assert.match(u[0]!, /^acl\.conf: the whole file is unreadable: it holds the escape "\\\\x\{23\}"/);
    assert.ok(accessWidening(access(after)) > 0);
  });

  for (const [name, edit, reason] of [
    ['the file source at another path', (c: any) => (c.authorization.sources[0].path = '/opt/emqx/etc/acl.conf'), /authorization\.sources .*\/opt\/emqx\/etc\/acl\.conf"/],
    [
      'a built-in database source before the file',
      (c: any) => c.authorization.sources.unshift({ type: 'built_in_database', enable: true }),
      /built_in_database.*not exactly the kit's one file source/,
    ],
    ['inline rules in the file source', (c: any) => (c.authorization.sources[0].rules = '{allow, all}.'), /inline rules/],
    ['the file source switched off', (c: any) => (c.authorization.sources[0].enable = false), /"enable":false/],
    ['the cache on', (c: any) => (c.authorization.cache = { enable: true, ttl: '1h' }), /cache is \{"enable":true,"ttl":"1h"\}, not off/],
    ['the cache left to its default (on)', (c: any) => delete c.authorization.cache, /cache is null, not off/],
    ['no authorization block (EMQX defaults)', (c: any) => delete c.authorization, /no authorization block/],
  ] as const) {
    it(`${name}: unread with its reason, a widening`, () => {
      const after = edited((d) => edit(d.conf));
      const u = newUnread(after);
      assert.ok(
        u.some((t) => reason.test(t)),
        JSON.stringify(u),
      );
      assert.ok(accessWidening(access(after)) > 0);
    });
  }

  /** The stack with the EMQX container of its StatefulSet edited. */
  const container = (f: (k: any) => void) => {
    const j = structuredClone(base) as any;
    const ss = Object.values<any>(j.resource.kubernetes_stateful_set_v1).find((r) => JSON.stringify(r).includes('EMQX_NODE__NAME'));
    f(ss.spec.template.spec.container.find((k: any) => k.name === 'emqx'));
    return j;
  };
  for (const [name, edit, reason] of [
    [
      'an EMQX_ variable over emqx.conf',
      (k: any) => k.env.push({ name: 'EMQX_AUTHORIZATION__NO_MATCH', value: 'allow' }),
      /container emqx sets EMQX_AUTHORIZATION__NO_MATCH, which EMQX reads over emqx\.conf/,
    ],
    ['envFrom', (k: any) => (k.env_from = [{ config_map_ref: { name: 'extra' } }]), /takes variables from envFrom/],
    [
      'acl.conf mounted from elsewhere',
      (k: any) => k.volume_mount.push({ name: 'config', mount_path: '/opt/emqx/etc/fortress/acl.conf', sub_path: 'other.conf', read_only: true }),
      /does not read \/opt\/emqx\/etc\/fortress\/acl\.conf from this ConfigMap's directory mount/,
    ],
  ] as const) {
    it(`the EMQX container: ${name} is unread with its reason, a widening`, () => {
      const after = container(edit);
      const u = newUnread(after);
      assert.ok(
        u.some((t) => reason.test(t)),
        JSON.stringify(u),
      );
      assert.ok(accessWidening(access(after)) > 0);
    });
  }

  it('no_match allow: every identity, and every client the user list does not name, gains all acl.conf does not deny', () => {
    const after = edited((d) => {
      d.conf.authorization.no_match = 'allow';
      d.acl = d.acl.replace('{deny, all}.', '');
    });
    const d = access(after);
    assert.deepEqual(d.unread, []);
    const gained = new Set(d.gained.map((g) => `${g.identity} ${g.action} ${g.topic}`));
    for (const who of ['backend', 'sensor-0001', '(every client)']) for (const op of ['publish', 'subscribe']) assert.ok(gained.has(`${who} ${op} #`), `${who} ${op} #: ${[...gained]}`);
  });

  it('a plaintext listener is a widening from the config alone (no audit file), named as plaintext', () => {
    const after = edited((d) => {
      d.conf.listeners.tcp.default = { enable: true, bind: '0.0.0.0:8883' };
      d.conf.listeners.ssl.default.bind = '0.0.0.0:8884';
    });
    const widens = diffExposure(exposureOf('emqx', base), exposureOf('emqx', after), undefined, undefined).filter((c) => c.widens);
    assert.ok(
      widens.some((c) => c.text === 'new listener mqtt/emqx (tcp.default):8883 bound to 0.0.0.0, plaintext'),
      JSON.stringify(widens),
    );
    // A listener type the config leaves out is EMQX's default listener of that type: ws on 8083.
    const noWs = edited((d) => delete d.conf.listeners.ws);
    const w = diffExposure(exposureOf('emqx', base), exposureOf('emqx', noWs), undefined, undefined).filter((c) => c.widens);
    assert.ok(
      w.some((c) => c.text === 'new listener mqtt/emqx (ws.default):8083 bound to all addresses, plaintext'),
      JSON.stringify(w),
    );
  });
});
