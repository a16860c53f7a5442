/**
 * Log patterns for what Mosquitto has no counter for (MON-2, MON-3): authentication failures.
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
