/**
 * Network planning (pure): subnet layout, CIDR arithmetic and overlap checks, the VPC endpoints
 * a private EKS cluster needs without NAT.
 */
import { parseCidr } from '../core/checks.js';
import { FortressError, show } from '../core/errors.js';

export interface Ipv4Range {
  readonly start: number;
  readonly end: number;
  readonly prefix: number;
}

export function ipv4Range(prop: string, cidr: string): Ipv4Range {
  const { family, prefix } = parseCidr(prop, cidr);
  if (family !== 4) throw new FortressError('INVALID_CIDR', `${prop} must be an IPv4 CIDR, got ${show(cidr)}.`);
  const start = cidr
    .split('/')[0]!
    .split('.')
    .reduce((a, p) => a * 256 + Number(p), 0);
  return { start, end: start + 2 ** (32 - prefix) - 1, prefix };
}

export function formatCidr(start: number, prefix: number): string {
  return `${[24, 16, 8, 0].map((s) => Math.floor(start / 2 ** s) % 256).join('.')}/${prefix}`;
}

export const overlaps = (a: Ipv4Range, b: Ipv4Range) => a.start <= b.end && b.start <= a.end;

/** Throws when two CIDRs of the list overlap (a duplicate or nested rule is almost always a mistake). */
export function assertNoOverlap(prop: string, cidrs: readonly string[]): void {
  const ranges = cidrs.map((c, i) => ({ c, i, r: cidrs[i]!.includes(':') ? undefined : ipv4Range(`${prop}[${i}]`, c) }));
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i]!;
      const b = ranges[j]!;
      if (a.r && b.r && overlaps(a.r, b.r)) {
        throw new FortressError('CIDR_OVERLAP', `${prop}[${a.i}] ${show(a.c)} and ${prop}[${b.i}] ${show(b.c)} overlap; list each client range once (merge them or remove the nested one).`);
      }
    }
  }
}

export interface SubnetLayout {
  readonly availabilityZones: readonly string[];
  /** Nodes and pods. */
  readonly private: readonly string[];
  /** The internal load balancer only: no node or pod lives here, so admitting these ranges in a NetworkPolicy admits only the load balancer (its health checks). */
  readonly loadBalancer: readonly string[];
  /** Only for an internet-facing load balancer. */
  readonly public: readonly string[];
}

/**
 * Splits the VPC into eighths: the first N are the private subnets (one per AZ, for nodes and
 * pods); the last eighth is cut into 8 small subnets: the first N for the internal load
 * balancer, the last N for an internet-facing one when declared.
 */
export function subnetLayout(vpcCidr: string, azs: readonly string[]): SubnetLayout {
  const vpc = ipv4Range('vpcCidr', vpcCidr);
  if (vpc.prefix < 16 || vpc.prefix > 22)
    throw new FortressError('INVALID_CIDR', `vpcCidr ${show(vpcCidr)} must have a prefix from /16 to /22 (AWS allows /16 at most; smaller than /22 leaves subnets too small for EKS).`);
  if (azs.length < 2 || azs.length > 4) {
    throw new FortressError(
      'NET_AZ_COUNT',
      `availabilityZones has ${azs.length} zone(s); EKS needs subnets in at least 2 zones and this layout supports up to 4. Use 3 (the default) for a broker that survives a zone outage.`,
    );
  }
  if (new Set(azs).size !== azs.length) throw new FortressError('NET_AZ_COUNT', `availabilityZones ${show(azs)} lists a zone twice.`);
  const eighth = 2 ** (32 - vpc.prefix - 3);
  const priv = azs.map((_, i) => formatCidr(vpc.start + i * eighth, vpc.prefix + 3));
  const small = (slot: number) => formatCidr(vpc.start + 7 * eighth + slot * (eighth / 8), vpc.prefix + 6);
  return { availabilityZones: azs, private: priv, loadBalancer: azs.map((_, i) => small(i)), public: azs.map((_, i) => small(4 + i)) };
}

/** Zones `<region>a`, `b`, `c`, ... without asking AWS (no data source at plan time). */
export function defaultZones(region: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${region}${String.fromCharCode(97 + i)}`);
}

/** Interface endpoints a private EKS cluster without NAT needs, plus eks and eks-auth (Pod Identity). */
export const INTERFACE_ENDPOINTS = ['ecr.api', 'ecr.dkr', 'sts', 'logs', 'ec2', 'elasticloadbalancing', 'secretsmanager', 'kms', 'eks', 'eks-auth'] as const;
export const GATEWAY_ENDPOINTS = ['s3'] as const;

const VPC_ID = /^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/;
const SG_ID = /^sg-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** True for a cdktf token (a reference to another resource): valid by construction, unknowable at synth. */
export const isToken = (v: unknown): boolean => typeof v === 'string' && v.includes('${TfToken[');

export function assertAwsId(prop: string, kind: 'vpc' | 'subnet' | 'sg', value: string): void {
  if (isToken(value)) return;
  const re = kind === 'vpc' ? VPC_ID : kind === 'subnet' ? SUBNET_ID : SG_ID;
  if (typeof value !== 'string' || !re.test(value)) {
    throw new FortressError('AWS_ID', `${prop} must be an existing ${kind === 'sg' ? 'security group' : kind} id such as "${kind}-0123456789abcdef0", got ${show(value)}.`);
  }
}
