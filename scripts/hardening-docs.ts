/**
 * Writes the hardening tables generated from code: docs/device-defender.md and
 * docs/secure-defaults.md. `npm run docs:hardening`; test/hardening/*.test.ts fail when a
 * committed file differs from what the code renders.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULES } from '../constructs/audit/rules.js';
import { renderEmqxConfig } from '../constructs/emqx/config.js';
import { resolveEmqxLimits } from '../constructs/emqx/resolve.js';
import { renderDeviceDefenderDoc } from '../constructs/hardening/device-defender.js';
import { renderLimitsDoc } from '../constructs/hardening/limits.js';
import { type RenderedDefaults, renderSecureDefaultsDoc } from '../constructs/hardening/secure-defaults.js';
import { buildMosquitto } from '../constructs/mosquitto/objects.js';
import { defaultMosquittoOptions } from '../stacks/defaults.js';

/** Repository root (this file runs from dist/scripts). */
export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..');

export const ruleInfo = (id: string): string | undefined => RULES.find((r) => r.id === id)?.info;

/** The kit's defaults as rendered: the default stack's Mosquitto, EMQX with its default limits and password clients. */
export function renderedDefaults(): RenderedDefaults {
  const m = buildMosquitto(defaultMosquittoOptions());
  type Pod = { spec: { template: { spec: { containers: { name: string; ports?: { containerPort: number }[] }[] } } } };
  const sts = m.objects.find((o) => o.kind === 'StatefulSet') as unknown as Pod;
  const broker = sts.spec.template.spec.containers.find((c) => c.name === 'mosquitto')!;
  return {
    mosquittoConf: m.files['mosquitto.conf'],
    mosquittoPorts: (broker.ports ?? []).map((p) => p.containerPort),
    emqx: renderEmqxConfig({ clusterName: 'emqx', discoveryDnsName: 'emqx-headless.mqtt.svc.cluster.local', clientAuth: 'password', minTlsVersion: '1.2', limits: resolveEmqxLimits() }),
  };
}

/** Every generated document: path from the repository root -> content. */
export function hardeningDocs(): Record<string, string> {
  return {
    'docs/device-defender.md': renderDeviceDefenderDoc(ruleInfo),
    'docs/dos-limits.md': renderLimitsDoc(),
    'docs/secure-defaults.md': renderSecureDefaultsDoc(renderedDefaults()),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [path, text] of Object.entries(hardeningDocs())) {
    writeFileSync(join(REPO_ROOT, path), text);
    console.log(`wrote ${path}`);
  }
}
