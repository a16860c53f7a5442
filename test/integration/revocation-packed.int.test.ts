/**
 * A revocation list longer than the ConfigMap's inline limit ships gzipped (revoked.index.gz, like
 * a large ACL). The signing script must read that file: before, FORTRESS_CRL_INDEX still named the
 * plain revoked.index, which the ConfigMap no longer held, so the script refused the list on every
 * cycle and the CRL never gained the new revocations. Here the pod's env and ConfigMap drive the
 * real fortress-crl.sh with openssl, and the signed CRL must list every declared serial.
 */

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { INLINE_FILE_LIMIT } from '../../constructs/mosquitto/files.js';
import { buildMosquitto } from '../../constructs/mosquitto/objects.js';
import { templatePath } from '../../constructs/templates.js';
import { createCa } from '../../scripts/lib/pki.js';
import { missing } from '../helpers/peers.js';
import { minimalBrokerProps } from '../helpers/synth.js';

type Env = { name: string; value: string }[];

describe('tls.revocation: a list over the inline limit', { skip: missing.openssl }, () => {
  it('ships gzipped, the signing script reads it, and the CRL lists every serial', () => {
    const revoked = Array.from({ length: 5000 }, (_, i) => ({ serial: (0x100000 + i).toString(16), identity: `device-${i}`, reason: 'keyCompromise' as const, revokedAt: '2026-01-01T00:00:00Z' }));
    const b = buildMosquitto(minimalBrokerProps({ tls: { secretName: 'tls', clientAuth: 'certificate', revocation: { caSecretName: 'mosquitto-ca', revoked } } }));
    const cm = b.objects.find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string>; binaryData?: Record<string, string> };
    const sts = b.objects.find((o) => o.kind === 'StatefulSet') as unknown as { spec: { template: { spec: { initContainers: { env: Env }[] } } } };
    const env = sts.spec.template.spec.initContainers.flatMap((c) => c.env ?? []);
    const indexPath = env.find((e) => e.name === 'FORTRESS_CRL_INDEX')!.value;
    assert.ok(Object.keys(cm.binaryData ?? {}).includes('revoked.index.gz'), 'non-vacuous: the list is over the inline limit and ships gzipped');
    // The file the script is told to read must be one the ConfigMap holds (fails on the old code).
    const name = basename(indexPath);
    const content = cm.data[name] ?? (cm.binaryData?.[name] !== undefined ? Buffer.from(cm.binaryData[name]!, 'base64') : undefined);
    assert.ok(content !== undefined, `FORTRESS_CRL_INDEX names ${indexPath}, which the ConfigMap does not hold (data: ${Object.keys(cm.data)}, binaryData: ${Object.keys(cm.binaryData ?? {})})`);

    const dir = mkdtempSync(join(tmpdir(), 'fortress-crl-packed-'));
    try {
      const ca = createCa(join(dir, 'ca'));
      const cfg = join(dir, 'config');
      const tls = join(dir, 'tls');
      const caDir = join(dir, 'crl-ca');
      for (const d of [cfg, tls, caDir, join(dir, 'scratch')]) mkdirSync(d, { recursive: true });
      writeFileSync(join(cfg, name), content);
      execFileSync('cp', [ca.cert, join(tls, 'ca.crt')]);
      execFileSync('cp', [ca.cert, join(caDir, 'tls.crt')]);
      execFileSync('cp', [ca.key, join(caDir, 'tls.key')]);
      const run = spawnSync('sh', [templatePath('mosquitto/fortress-crl.sh')], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          FORTRESS_CRL_INDEX: join(cfg, name),
          FORTRESS_CRL_CA: caDir,
          FORTRESS_CRL_HOURS: String(env.find((e) => e.name === 'FORTRESS_CRL_HOURS')!.value),
          FORTRESS_CRL_REFRESH: String(env.find((e) => e.name === 'FORTRESS_CRL_REFRESH')!.value),
          FORTRESS_TLS_DIR: tls,
          FORTRESS_SCRATCH: join(dir, 'scratch'),
        },
      });
      assert.equal(run.status, 12, `first CRL staged: ${run.stderr}`);
      const text = execFileSync('openssl', ['crl', '-in', join(tls, 'crl.pem'), '-noout', '-text'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      const serials = [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]);
      assert.equal(serials.length, revoked.length);
      assert.ok(serials.includes('100000') && serials.includes((0x100000 + 4999).toString(16).toUpperCase()));
      assert.ok(Buffer.byteLength(content) > 0 && revoked.length * 70 > INLINE_FILE_LIMIT);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
