/**
 * The props table of docs/mosquitto.md names exactly the props of MosquittoBrokerProps (and of
 * its `tls`): no documented prop the code rejects, no prop left undocumented. The two key lists
 * below are checked by the compiler against the types (a prop added, renamed or removed breaks the
 * build here), and the test checks the table against them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { MosquittoBrokerProps } from 'mqtt-fortress';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

// Every key, exactly: the compiler refuses a missing key and a key the type does not have.
const BROKER_PROPS: Record<keyof MosquittoBrokerProps, true> = {
  policy: true,
  credentialsSecretName: true,
  tls: true,
  name: true,
  namespace: true,
  createNamespace: true,
  image: true,
  replicas: true,
  port: true,
  allowAnonymous: true,
  runAsUser: true,
  credentialsRunAsUser: true,
  runAsGroup: true,
  resources: true,
  limits: true,
  persistence: true,
  service: true,
  allowFrom: true,
  monitoringNamespace: true,
  clientIdIsUsername: true,
  clientIdChoiceReason: true,
  aclMode: true,
  metricsExporter: true,
  metricsListenerPort: true,
  reloadIntervalSeconds: true,
};
const TLS_PROPS: Record<keyof MosquittoBrokerProps['tls'], true> = {
  secretName: true,
  minVersion: true,
  clientAuth: true,
  clientCaSecretName: true,
  certificatePort: true,
  revocation: true,
};

/** The backticked names in the first column of the table whose header starts with `| prop |`. */
export function documentedProps(markdown: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^\|\s*prop\s*\|/.test(l));
  assert.ok(start >= 0, 'docs/mosquitto.md has a table whose first header cell is "prop"');
  const names: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const first = line.split('|')[1] ?? '';
    for (const m of first.matchAll(/`([^`]+)`/g)) names.push(m[1] as string);
  }
  return names;
}

describe('docs/mosquitto.md documents the props the code has', () => {
  const documented = documentedProps(readFileSync(join(root, 'docs', 'mosquitto.md'), 'utf8'));
  const known = new Set([...Object.keys(BROKER_PROPS), ...Object.keys(TLS_PROPS).map((k) => `tls.${k}`)]);
  it('every documented prop exists in MosquittoBrokerProps', () => {
    assert.deepEqual(
      documented.filter((n) => !known.has(n)),
      [],
      'docs/mosquitto.md documents props MosquittoBrokerProps does not have',
    );
  });
  it('every prop of MosquittoBrokerProps is documented (tls by its members)', () => {
    const missing = [...known].filter((k) => k !== 'tls' && !documented.includes(k));
    assert.deepEqual(missing, [], 'add these props to the table in docs/mosquitto.md');
  });
  it('the table is read as a table (the parser sees the rows)', () => {
    assert.deepEqual(documentedProps('x\n| prop | default |\n| --- | --- |\n| `a` / `b` | 1 |\n| `tls.c` | 2 |\n\nafter'), ['a', 'b', 'tls.c']);
  });
});
