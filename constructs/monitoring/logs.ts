/**
 * Log patterns for what Mosquitto has no counter for (MON-2, MON-3): authentication failures, and
 * identities the credentials reloader could not apply (INT-2).
 * One pattern per event, in each pipeline's syntax; a test runs them over Mosquitto's real log.
 * Mosquitto 2.0 logs ACL denials only at debug level (every packet), which the kit does not
 * enable: ACL-denial alerts exist for EMQX (its authorization counters), not for Mosquitto.
 */
export interface LogPattern {
  /** What the matched lines mean. */
  readonly event: string;
  /** The text every matching line contains (Mosquitto 2.0.21, measured). */
  readonly text: string;
  /** CloudWatch Logs metric filter pattern (a quoted term matches events containing it). */
  readonly cloudwatch: string;
  /** Loki LogQL line filter. */
  readonly logql: string;
}

export const AUTH_FAILURE: LogPattern = {
  event: 'a client was refused: wrong or unknown credentials, or no credentials',
  text: 'disconnected, not authorised.',
  cloudwatch: '"disconnected, not authorised."',
  logql: '|= "disconnected, not authorised."',
};

/**
 * The credentials reloader (fortress-auth.sh) left an identity out or on its previous password
 * because the Secret has no valid value for it (no key yet, too short, a line break). Removals and
 * other rotations were applied; the line repeats on every reloader cycle until the Secret is fixed.
 */
export const INCOMPLETE_IDENTITY: LogPattern = {
  event: 'an identity of the policy has no valid password in the credentials Secret',
  text: 'fortress-auth: incomplete identity',
  cloudwatch: '"fortress-auth: incomplete identity"',
  logql: '|= "fortress-auth: incomplete identity"',
};

/**
 * The attack canary (templates/canary/fortress-canary.sh, docs/canary.md) found a broken security
 * property, or could not reach the broker: its last line names the properties.
 */
export const CANARY_FAILURE: LogPattern = {
  event: 'the attack canary found a broken security property of the broker, or could not reach it',
  text: 'canary FAILED:',
  cloudwatch: '"canary FAILED:"',
  logql: '|= "canary FAILED:"',
};

/** Applies a CloudWatch pattern made of quoted terms (all must occur), as CloudWatch does for unstructured events. */
export function cloudwatchMatches(pattern: string, event: string): boolean {
  const terms = [...pattern.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
  if (terms.length === 0) throw new Error(`pattern ${pattern} has no quoted term`);
  return terms.every((t) => event.includes(t));
}

/** Applies a LogQL line filter of the form `|= "text"`. */
export function logqlMatches(filter: string, line: string): boolean {
  const m = /^\|=\s*"((?:[^"\\]|\\.)*)"$/.exec(filter.trim());
  if (!m) throw new Error(`unsupported LogQL filter ${filter}`);
  return line.includes(m[1]!.replace(/\\(.)/g, '$1'));
}
