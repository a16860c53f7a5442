/**
 * Mosquitto password-file hashing (`$7$`, PBKDF2-HMAC-SHA512), as `mosquitto_passwd` writes it.
 * Used for the local bundle and tests; in a cluster the init container hashes with the image's
 * own `mosquitto_passwd`, so no hash is ever synthesized.
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { FortressError } from '../core/errors.js';

/**
 * Iterations `mosquitto_passwd` 2.0 uses (it has no option to change them). Passwords here are
 * machine-generated with at least 190 bits of entropy, so the iteration count does not carry
 * their strength; a low count keeps a CONNECT flood from turning into a CPU flood.
 */
export const MOSQUITTO_PBKDF2_ITERATIONS = 101;
/** Minimum length of a machine-generated password (baseline AUTH-2). */
export const MIN_PASSWORD_LENGTH = 32;

export function hashPasswordLine(username: string, password: string, opts: { salt?: Uint8Array; iterations?: number } = {}): string {
  if (!username || /[:\s]/.test(username))
    throw new FortressError('INVALID_USERNAME', `username ${JSON.stringify(username)} cannot go into a password file: it is empty or contains ":" or white space.`);
  if (/[\r\n]/.test(password)) throw new FortressError('INVALID_PASSWORD', `the password of ${username} contains a line break, which a password file cannot hold.`);
  const salt = Buffer.from(opts.salt ?? randomBytes(12));
  const iterations = opts.iterations ?? MOSQUITTO_PBKDF2_ITERATIONS;
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `${username}:$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Checks a password against a `$7$` line, as Mosquitto does. */
export function verifyPasswordLine(line: string, password: string): boolean {
  const m = /^([^:]+):\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(line.trim());
  if (!m) return false;
  const expected = Buffer.from(m[4]!, 'base64');
  const got = pbkdf2Sync(password, Buffer.from(m[3]!, 'base64'), Number(m[2]), expected.length, 'sha512');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** A fresh random password for local runs and tests (never for deployment: AWS generates those). */
export function generateLocalPassword(): string {
  return randomBytes(32).toString('base64url'); // 43 characters, 256 bits
}
