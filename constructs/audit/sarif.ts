/**
 * SARIF 2.1.0 for CI systems to annotate pull requests: one result per finding (suppressed ones
 * carry their justification), located in the stack's cdk.tf.json at the resource's construct
 * path (physical) and by the path itself (logical).
 */
import type { AuditResult } from './engine.js';
import { sarifText } from './escape.js';

export interface SarifInput {
  readonly audit: AuditResult;
  /** Path of the stack's cdk.tf.json relative to the repository root. */
  readonly artifact: string;
  /** The cdk.tf.json text, to find the line of each construct path. */
  readonly text: string;
}

export function renderSarif(inputs: readonly SarifInput[], version: string): object {
  const rules = inputs[0]?.audit.rules ?? [];
  const lineOf = (text: string, path: string) => {
    const i = text.indexOf(`"path": "${path}"`) >= 0 ? text.indexOf(`"path": "${path}"`) : text.indexOf(`"path":"${path}"`);
    return i < 0 ? 1 : text.slice(0, i).split('\n').length;
  };
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'mqtt-fortress',
            version,
            informationUri: 'https://github.com/mqtt-fortress/mqtt-fortress',
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id.replace(/-/g, ''),
              shortDescription: { text: r.info },
              fullDescription: { text: r.explanation },
              help: { text: `Fix: ${r.fix}`, markdown: `**Fix:** ${r.fix}` },
              defaultConfiguration: { level: r.level === 'error' ? 'error' : 'warning' },
            })),
          },
        },
        results: inputs.flatMap(({ audit, artifact, text }) =>
          audit.rows
            .filter((r) => r.status === 'non-compliant')
            .map((r) => ({
              ruleId: r.rule,
              ruleIndex: rules.findIndex((x) => x.id === r.rule),
              level: r.level === 'error' ? 'error' : 'warning',
              message: { text: sarifText(`${r.finding}: ${r.detail}`) },
              locations: [
                {
                  physicalLocation: { artifactLocation: { uri: artifact }, region: { startLine: lineOf(text, r.path) } },
                  logicalLocations: [{ fullyQualifiedName: r.path, kind: 'resource' }],
                },
              ],
              partialFingerprints: { findingKey: `${audit.stack}/${r.finding}` },
              ...(r.suppressed ? { suppressions: [{ kind: 'external', status: 'accepted', justification: sarifText(`${r.suppressed.origin}: ${r.suppressed.reason}`) }] } : {}),
            })),
        ),
      },
    ],
  };
}
