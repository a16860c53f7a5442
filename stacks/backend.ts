/**
 * Remote state: an S3 backend with native locking (`use_lockfile`, which cdktf's S3Backend has no
 * prop for) and encryption, for every stack, when FORTRESS_STATE_BUCKET is set. Without it,
 * stacks keep local state: for a trial only (one machine, one checkout, no lock shared with a
 * team); the app says so on every synth.
 */
import { LocalBackend, S3Backend, type TerraformStack } from 'cdktf';
import { FortressError, show } from '../constructs/core/errors.js';

export interface StateBackendOptions {
  readonly bucket: string;
  readonly region: string;
  /** @default 'mqtt-fortress' */
  readonly keyPrefix?: string;
  /** KMS key for the state objects. @default - the bucket's default encryption (SSE-S3) */
  readonly kmsKeyId?: string;
}

export function stateBackendFromEnv(env: NodeJS.ProcessEnv = process.env): StateBackendOptions | undefined {
  if (!env.FORTRESS_STATE_BUCKET) return undefined;
  return {
    bucket: env.FORTRESS_STATE_BUCKET,
    region: env.FORTRESS_STATE_REGION ?? env.FORTRESS_AWS_REGION ?? 'eu-west-1',
    ...(env.FORTRESS_STATE_KMS_KEY ? { kmsKeyId: env.FORTRESS_STATE_KMS_KEY } : {}),
  };
}

export function useS3Backend(stack: TerraformStack, name: string, o: StateBackendOptions): void {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(o.bucket)) throw new FortressError('STATE_BUCKET', `FORTRESS_STATE_BUCKET must be an S3 bucket name, got ${show(o.bucket)}.`);
  const backend = new S3Backend(stack, {
    bucket: o.bucket,
    key: `${o.keyPrefix ?? 'mqtt-fortress'}/${name}.tfstate`,
    region: o.region,
    encrypt: true,
    ...(o.kmsKeyId ? { kmsKeyId: o.kmsKeyId } : {}),
  });
  // Terraform 1.10+ S3-native locking; cdktf 0.21's S3Backend has no prop for it.
  backend.addOverride('use_lockfile', true);
}

/**
 * Terraform version every stack needs: 1.10 brought the S3 backend's native lock file
 * (`use_lockfile`), which the S3 state uses.
 */
export const TERRAFORM_REQUIRED_VERSION = '>= 1.10.0';

export function requireTerraform(stack: TerraformStack): void {
  stack.addOverride('terraform.required_version', TERRAFORM_REQUIRED_VERSION);
}

/**
 * Local state for a trial, at `terraform.<stack>.tfstate` next to the app's output directory
 * (the project root for `cdktf.out`), written as a path relative to the stack's directory
 * (`cdktf.out/stacks/<stack>`): cdktf's default is an absolute path of the machine that
 * synthesized, which breaks in any other checkout.
 */
export function useLocalTrialBackend(stack: TerraformStack, name: string): void {
  new LocalBackend(stack, { path: `../../../terraform.${name}.tfstate` });
}

export const LOCAL_STATE_WARNING =
  'warning: local Terraform state (no FORTRESS_STATE_BUCKET): for a trial only. State stays on this machine, unlocked for others; a second checkout starts from nothing. Set FORTRESS_STATE_BUCKET for anything shared (docs/deploy.md).';
