/** Small pure validators shared by renderers and constructs. They throw FortressError. */
import { FortressError, show } from './errors.js';
import { textProblem } from './text.js';

/** Rejects values that are unresolved cdktf tokens (`${TfToken[...]}`): they cannot be validated at synth time. */
export function assertResolved(prop: string, value: unknown): void {
  if (typeof value === 'string' && value.includes('${TfToken[')) {
    throw new FortressError('UNRESOLVED_TOKEN', `${prop} must be a literal value known at synth time, got an unresolved token ${show(value)}. Pass a plain value.`);
  }
}

export function assertInt(prop: string, value: number, min: number, max: number, fix?: string): void {
  assertResolved(prop, value);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FortressError('INVALID_NUMBER', `${prop} must be an integer from ${min} to ${max}, got ${show(value)}.${fix ? ` ${fix}` : ''}`);
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes DNS-1123 label (namespace, service, most object names). */
export function assertDnsLabel(prop: string, value: string): void {
  assertResolved(prop, value);
  if (typeof value !== 'string' || value.length > 63 || !DNS_LABEL.test(value)) {
    throw new FortressError('INVALID_NAME', `${prop} must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending alphanumeric, at most 63 characters), got ${show(value)}.`);
  }
}

/** IPv4 or IPv6 CIDR with a valid prefix length and no host bits set. */
export function parseCidr(prop: string, value: string): { family: 4 | 6; prefix: number } {
  assertResolved(prop, value);
  const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
  const fail = (why: string): never => {
    throw new FortressError('INVALID_CIDR', `${prop} must be a CIDR such as "10.0.0.0/16" or "fd00::/64", got ${show(value)}: ${why}.`);
  };
  if (!m) return fail('expected <address>/<prefix>');
  const addr = m[1]!;
  const prefix = Number(m[2]);
  if (addr.includes(':')) {
    if (prefix > 128) fail('IPv6 prefix is at most 128');
    if (!/^[0-9a-fA-F:]+$/.test(addr) || (addr.match(/::/g) ?? []).length > 1) fail('malformed IPv6 address');
    return { family: 6, prefix };
  }
  const parts = addr.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) fail('malformed IPv4 address');
  if (prefix > 32) fail('IPv4 prefix is at most 32');
  const n = parts.reduce((acc, p) => acc * 256 + Number(p), 0);
  const hostBits = 32 - prefix;
  if (hostBits > 0 && n % 2 ** hostBits !== 0) fail(`host bits are set; did you mean ${networkOf(n, prefix)}/${prefix}?`);
  return { family: 4, prefix };
}

function networkOf(n: number, prefix: number): string {
  const size = 2 ** (32 - prefix);
  const net = Math.floor(n / size) * size;
  return [24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.');
}

/** A reason for a security relaxation: at least 10 characters of real text. */
export function assertReason(prop: string, reason: unknown): string {
  const problem = typeof reason === 'string' ? textProblem(reason) : undefined;
  if (problem) {
    throw new FortressError('REASON_REQUIRED', `${prop} ${problem}: a reason is one line of text in the security report.`);
  }
  if (typeof reason !== 'string' || reason.trim().length < 10) {
    throw new FortressError(
      'REASON_REQUIRED',
      `${prop} relaxes the security baseline and needs a written reason of at least 10 characters, got ${show(reason)}. The reason appears in the security report.`,
    );
  }
  return reason.trim();
}
