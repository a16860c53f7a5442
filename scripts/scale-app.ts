/**
 * The benchmark's scale case: N device identities (an identity class) spread over R roles, plus
 * the example's backend and monitoring identities, in the default app's stacks.
 */
import type { App } from 'cdktf';
import { Policy, type PolicySpec } from '../constructs/policy/model.js';
import { buildApp as buildDefaultApp } from '../stacks/main.js';

export function scalePolicy(devices: number, roles: number): Policy {
  const deviceRoles = Array.from({ length: roles }, (_, i) => ({
    name: `fleet-${i}`,
    rules: [
      { action: 'publish' as const, topics: [`fleet/${i}/{username}/telemetry`, `fleet/${i}/{username}/status`] },
      { action: 'subscribe' as const, topics: [`fleet/${i}/{username}/commands/#`] },
    ],
  }));
  const width = String(devices).length;
  const spec: PolicySpec = {
    roles: [
      ...deviceRoles,
      {
        name: 'backend',
        rules: [
          { action: 'subscribe', topics: ['fleet/+/+/telemetry'] },
          { action: 'publish', topics: ['fleet/+/+/commands/#'] },
        ],
      },
      { name: 'metrics', rules: [{ action: 'subscribe', topics: ['$SYS/#'] }] },
    ],
    identities: [
      ...deviceRoles.map((r, i) => ({
        name: `fleet-${i}`,
        kind: 'device' as const,
        roles: [r.name],
        members: Array.from({ length: Math.ceil(devices / roles) }, (_, k) => k * roles + i)
          .filter((n) => n < devices)
          .map((n) => `dev-${String(n).padStart(width, '0')}`),
      })),
      { name: 'backend', kind: 'service', roles: ['backend'] },
      { name: 'metrics', kind: 'monitoring', roles: ['metrics'] },
    ],
  };
  return Policy.from(spec);
}

/** `buildApp(outdir, devices, roles)`: the default app's four stacks with the scale policy. */
export function buildApp(outdir: string | undefined, devices = '10000', roles = '50'): App {
  return buildDefaultApp(outdir, { policy: scalePolicy(Number(devices), Number(roles)) });
}
