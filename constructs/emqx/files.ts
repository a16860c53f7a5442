/**
 * Step 3 of 4 of an EmqxCluster: emqx.conf (checked against the shipped EMQX 5.8 schema), acl.conf,
 * ssl_dist.conf and the user list, rendered from a {@link ResolvedEmqx} only.
 */
import { readFileSync } from 'node:fs';
import { FortressError } from '../core/errors.js';
import { renderEmqxAcl } from '../policy/render-emqx.js';
import { templatePath } from '../templates.js';
import { renderEmqxConfig, renderSslDist } from './config.js';
import type { ResolvedEmqx } from './resolve.js';
import { emqxCrlCache } from './revocation.js';
import { type EmqxSchema, validateEmqxConfig } from './schema.js';

let shippedSchema: EmqxSchema | undefined;

/** Files the cluster reads. */
export interface EmqxFiles {
  readonly 'emqx.conf': string;
  readonly 'acl.conf': string;
  readonly 'ssl_dist.conf': string;
  readonly users: string;
}

/** Renders the cluster's files; refuses a configuration the EMQX 5.8 schema would not load. */
export function renderEmqxFiles(r: ResolvedEmqx): { readonly config: Record<string, unknown>; readonly files: EmqxFiles } {
  const minTls = r.tls.minVersion;
  const config = renderEmqxConfig({
    clusterName: r.name,
    discoveryDnsName: `${r.name}-headless.${r.namespace}.svc.cluster.local`,
    clientAuth: r.tls.clientAuth,
    minTlsVersion: minTls,
    limits: r.limits,
    ...(r.wssPort !== undefined ? { wssPort: r.wssPort } : {}),
    ...(r.jwt !== undefined ? { jwt: r.jwt } : {}),
    ...(r.tls.revocation ? { crlCache: emqxCrlCache(r.tls.revocation) } : {}),
  });
  shippedSchema ??= JSON.parse(readFileSync(templatePath('emqx/emqx-5.8-config-schema.json'), 'utf8')) as EmqxSchema;
  const problems = validateEmqxConfig(shippedSchema, config);
  if (problems.length) {
    throw new FortressError(
      'EMQX_CONFIG',
      `the rendered emqx.conf does not match the EMQX 5.8 schema: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}. Check the limits and TLS props.`,
    );
  }
  const files: EmqxFiles = {
    'emqx.conf': `# Rendered by mqtt-fortress (HOCON, JSON syntax). Do not edit: change the construct props.\n${JSON.stringify(config, null, 2)}\n`,
    // Class templates (`all` rules with ${username}) only where the built-in database is the only way in.
    'acl.conf': renderEmqxAcl(r.policy, { classPatterns: r.tls.clientAuth !== 'certificate' && r.jwt === undefined }),
    'ssl_dist.conf': renderSslDist(minTls),
    users: `${r.policy.principals.map((p) => p.username).join('\n')}\n`,
  };
  return { config, files };
}
