/** `npm run render`: every Kubernetes object of the default app as plain YAML, one file per stack. */
import { buildApp } from '../stacks/main.js';
import { writeAuditResults, writeKubernetesYaml } from '../stacks/artifacts.js';

const app = buildApp();
app.synth();
writeAuditResults(app);
for (const f of writeKubernetesYaml(app)) console.log(`wrote ${f}`);
