/**
 * The local bundle is validated like the deployed construct (finding 5 of issue 12): every
 * option resolveMosquitto refuses is refused by createLocalBundle with the same code, before
 * anything is written.
 */

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FortressError } from '../../constructs/core/errors.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import type { MosquittoBrokerOptions } from '../../constructs/mosquitto/props.js';
import { createLocalBundle } from '../../scripts/local-bundle.js';
import { oneLineError, runScript, tree } from '../helpers/run-script.js';
import { minimalBrokerProps } from '../helpers/synth.js';

const cases: [string, Partial<MosquittoBrokerOptions>, string][] = [
  ['several replicas', { replicas: 2 }, 'MOSQ_REPLICAS'],
  ['anonymous access', { allowAnonymous: true as unknown as false }, 'MOSQ_ANONYMOUS'],
  ['an old Mosquitto image', { image: { repository: 'eclipse-mosquitto', tag: '1.6.15', digest: `sha256:${'a'.repeat(64)}` } }, 'MOSQ_VERSION'],
  ['a clientAuth mode Mosquitto cannot enforce', { tls: { secretName: 'tls', clientAuth: 'password-and-certificate' } }, 'TLS_CLIENT_AUTH_UNENFORCEABLE'],
  ['an unknown aclMode', { aclMode: 'none' as 'acl-file' }, 'MOSQ_ACL_MODE'],
  ['a host UID', { runAsUser: 0 }, 'MOSQ_UID'],
  ['client ids chosen by clients without a reason', { clientIdIsUsername: false }, 'MOSQ_CLIENTID_REASON'],
  // resolve.ts validates resources too (before, only the construct's object step did): the local
  // bundle accepted both of these.
  ['requests above limits', { resources: { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } } }, 'RESOURCES_INCONSISTENT'],
  ['a quantity Kubernetes cannot read', { resources: { limits: { cpu: 'lots' } } }, 'INVALID_QUANTITY'],
];

describe('createLocalBundle validates the options like the construct', () => {
  for (const [name, over, code] of cases) {
    it(`${name}: ${code}, nothing written`, () => {
      const props = minimalBrokerProps(over);
      assert.throws(
        () => buildMosquitto(props),
        (e: unknown) => e instanceof FortressError && e.code === code,
        'the construct refuses it',
      );
      const parent = mkdtempSync(join(tmpdir(), 'fortress-local-resolve-'));
      const out = join(parent, 'bundle');
      try {
        assert.throws(
          () => createLocalBundle({ out, port: 28883, broker: props }),
          (e: unknown) => e instanceof FortressError && e.code === code,
          'the local bundle refuses it too',
        );
        assert.equal(existsSync(out), false, 'no half-written bundle');
      } finally {
        rmSync(parent, { recursive: true, force: true });
      }
    });
  }
});

describe('npm run local refuses what synth refuses, with the same code', () => {
  // The CLI's own options map onto props: --port N is the TLS port, N+1 the metrics listener.
  const cases: [string, string[], Partial<MosquittoBrokerOptions>, string][] = [
    ['a plaintext WebSocket port', ['--port', '8080'], { port: 8080 }, 'PLAINTEXT_PORT'],
    ['a plaintext MQTT port', ['--port', '9001'], { port: 9001 }, 'PLAINTEXT_PORT'],
  ];
  for (const [name, args, over, code] of cases) {
    it(`${name}: ${code} from the construct and from the command, one line, nothing written`, async () => {
      assert.throws(
        () => buildMosquitto(minimalBrokerProps(over)),
        (e: unknown) => e instanceof FortressError && e.code === code,
      );
      const cwd = mkdtempSync(join(tmpdir(), 'fortress-local-cli-resolve-'));
      try {
        const r = await runScript('dist/scripts/local-bundle.js', ['--out', 'bundle', ...args], { cwd });
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.equal(oneLineError(r), undefined);
        assert.match(r.stderr, new RegExp(`^error ${code}: `));
        assert.deepEqual(tree(cwd), []);
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    });
  }
});
