/**
 * Errors raised by mqtt-fortress. Pure code throws {@link FortressError}; constructs throw
 * {@link ValidationError}, whose message starts with the construct path.
 *
 * Every message says what is wrong, the value received, what is allowed and how to fix it.
 */
import type { IConstruct } from 'constructs';

export class FortressError extends Error {
  /** Stable, machine-readable error code such as `MOSQ_REPLICAS`. */
  public readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'FortressError';
    this.code = code;
  }
}

export class ValidationError extends FortressError {
  /** Path of the construct whose props were invalid. */
  public readonly constructPath: string;
  constructor(code: string, message: string, scope: IConstruct) {
    super(code, `[${scope.node.path}] ${message}`);
    this.name = 'ValidationError';
    this.constructPath = scope.node.path;
  }
}

/** Re-throws a pure-code error as a ValidationError scoped to a construct, keeping its code. */
export function scoped<T>(scope: IConstruct, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FortressError && !(e instanceof ValidationError)) {
      throw new ValidationError(e.code, e.message, scope);
    }
    throw e;
  }
}

/** Formats a value for an error message without dumping huge objects. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  try {
    const s = JSON.stringify(value);
    if (s === undefined) return String(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}
