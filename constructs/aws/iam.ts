/** IAM policy documents as plain data (pure), serialized with JSON.stringify. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export function policyDocument(statements: readonly Statement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/**
 * Parses a synthesized policy document. Terraform interpolations (`${...}`, which may hold
 * quotes) are replaced by `X` first: they only ever stand inside ARNs.
 */
export function parsePolicyDocument(doc: string): { Statement: Statement[] } {
  return JSON.parse(doc.replace(/\$\{[^}]*\}/g, 'X')) as { Statement: Statement[] };
}

/** Lists every action of every Allow statement: used by the audit and tests to refuse wildcards. */
export function allowedActions(doc: string): string[] {
  const parsed = parsePolicyDocument(doc);
  return parsed.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action as string]));
}
