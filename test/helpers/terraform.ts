/**
 * Offline `terraform init` / `plan` of a synthesized stack against the local
 * provider mirror. Skips with a reason when terraform or the mirror is missing;
 * when both are present, any failure fails the test.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missing, terraformMirror } from './peers.js';

const mirror = terraformMirror();
export const missingTerraform = missing.terraform ?? (mirror ? undefined : 'no Terraform provider mirror found (set FORTRESS_TF_MIRROR to the folder holding registry.terraform.io/)');

export interface TfResult {
  readonly init: string;
  readonly plan: string;
}

/** A plausible id for a cross-stack output, from the resource type in its name. */
function mockValue(output: string, i: number): string {
  const hex = (i + 1).toString(16).padStart(17, '0');
  if (output.includes('aws_subnet')) return `subnet-${hex}`;
  if (output.includes('aws_security_group')) return `sg-${hex}`;
  if (output.includes('aws_vpc')) return `vpc-${hex}`;
  return `mock-${output.slice(-24)}`;
}

/**
 * Cross-stack references read the producer's state through terraform_remote_state, which does not
 * exist before an apply. For an offline plan, write a state file holding only the producer's
 * outputs (mock ids) and point the data source at it.
 */
function mockRemoteStates(work: string, stacksDir: string): void {
  const file = join(work, 'cdk.tf.json');
  const tfj = JSON.parse(readFileSync(file, 'utf8'));
  const remotes = tfj.data?.terraform_remote_state ?? {};
  for (const [name, ds] of Object.entries<any>(remotes)) {
    const producer = name.replace(/^cross-stack-reference-input-/, '');
    const outputs = Object.keys(JSON.parse(readFileSync(join(stacksDir, producer, 'cdk.tf.json'), 'utf8')).output ?? {});
    const state = join(work, `mock-${producer}.tfstate`);
    writeFileSync(
      state,
      JSON.stringify({
        version: 4,
        terraform_version: '1.11.0',
        serial: 1,
        lineage: 'mqtt-fortress-mock',
        outputs: Object.fromEntries(outputs.map((o, i) => [o, { value: mockValue(o, i), type: 'string' }])),
        resources: [],
      }),
    );
    ds.config.path = state;
  }
  writeFileSync(file, JSON.stringify(tfj));
}

function tf(args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync('terraform', args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`terraform ${args.join(' ')} failed (exit ${r.status}) in ${cwd}:\n${out}`);
  return out;
}

/**
 * Copies `stackDir` (cdktf.out/stacks/<name>) to a temp dir, adds an override that gives the AWS
 * provider mock credentials and skips every AWS call, then runs init and plan (plan runs Terraform's validation first).
 */
export function terraformCheck(stackDir: string, region = 'eu-west-1'): TfResult {
  if (!mirror) throw new Error(missingTerraform);
  const work = mkdtempSync(join(tmpdir(), 'fortress-tf-'));
  try {
    cpSync(stackDir, work, { recursive: true });
    mockRemoteStates(work, join(stackDir, '..'));
    const cli = join(work, '.terraformrc');
    writeFileSync(cli, `provider_installation {\n  filesystem_mirror { path = "${mirror}" }\n  direct { exclude = ["registry.terraform.io/*/*"] }\n}\n`);
    writeFileSync(
      join(work, 'zz_offline_override.tf.json'),
      JSON.stringify({
        provider: {
          aws: [
            {
              region,
              access_key: 'mock-access-key',
              secret_key: 'mock-secret-key',
              skip_credentials_validation: true,
              skip_requesting_account_id: true,
              skip_metadata_api_check: true,
              skip_region_validation: true,
            },
          ],
        },
      }),
    );
    const env = { ...process.env, TF_CLI_CONFIG_FILE: cli, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_INPUT: '0' };
    const init = tf(['init', '-input=false', '-no-color'], work, env);
    const plan = tf(['plan', '-refresh=false', '-input=false', '-lock=false', '-no-color'], work, env);
    return { init, plan };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
