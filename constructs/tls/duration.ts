/** Go durations as cert-manager takes them ("2160h", "90m", "1h30m"). */
import { FortressError, show } from '../core/errors.js';

const PART = /(\d+)(h|m|s)/g;
const WHOLE = /^(\d+(h|m|s))+$/;

/** Seconds in a Go duration made of h, m and s parts; throws FortressError naming the prop. */
export function parseDuration(prop: string, value: string): number {
  if (typeof value !== 'string' || !WHOLE.test(value)) {
    throw new FortressError('INVALID_DURATION', `${prop} must be a duration in hours, minutes and seconds such as "2160h" (90 days) or "1h30m", got ${show(value)}.`);
  }
  let s = 0;
  for (const m of value.matchAll(PART)) s += Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
  return s;
}

export const HOURS = 3600;
export const DAYS = 24 * HOURS;
