import type { AuditRule } from '../context.js';
import { bad, ok, rowsOr } from './helpers.js';

export const rule: AuditRule = {
  id: 'POD-2',
  baseline: ['POD-2'],
  level: 'error',
  info: 'Images pinned by tag and digest.',
  explanation: 'A tag can be moved to other content; only a digest names the bytes that were reviewed.',
  fix: 'image: repository:tag@sha256:...',
  check: (c) =>
    rowsOr(
      c.pods.flatMap((p) =>
        p.containers.map((k) =>
          /:[^@/]+@sha256:[0-9a-f]{64}$/.test(k.image)
            ? ok(p.owner.path, `${k.name}: ${k.image}`)
            : bad(p.owner.path, `POD-2[${p.owner.name}/${k.name}]`, `${k.name}: ${k.image} is not pinned by tag and digest`),
        ),
      ),
      c.stack,
      'no workload in this stack',
    ),
};
