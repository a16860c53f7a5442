/**
 * Every AWS stack: terraform init against the local provider mirror and an offline plan (which
 * runs Terraform's validation first) with mock credentials. Fails (never skips) when terraform and the mirror are present.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildApp } from '../../stacks/main.js';
import { missingTerraform, terraformCheck } from '../helpers/terraform.js';

const awsStacks = (dir: string) =>
  readdirSync(join(dir, 'stacks')).filter((s) => {
    const tf = JSON.parse(readFileSync(join(dir, 'stacks', s, 'cdk.tf.json'), 'utf8'));
    return Boolean(tf.provider?.aws);
  });

function withEnv<T>(env: Record<string, string>, fn: () => T): T {
  const old = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(old))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

const EMQX_TEST_DIGEST = `sha256:${'e'.repeat(64)}`; // test fixture only: no EMQX digest is confirmed
// Two apps: the default one (every stack planned), and one with every optional input declared at
// once (device ranges: load balancer security group; EMQX: its admin secrets; non-production
// cost profile with alarm e-mails: SNS topic and subscriptions; deploy inputs: ECR pull-through
// cache, API path, deployer access entries), which plans only the stacks those inputs change
// (mosquitto-credentials is byte-identical to the default app's). Each plan loads the 5.100
// provider schema (about 6 s of CPU); one app per input cost 5 plans more for the same resources.
// `terraform plan` runs Terraform's validation before planning, so no separate `terraform validate`.
for (const [variant, env, stacks, only] of [
  ['default app', {}, ['mosquitto-credentials', 'mqtt-cluster', 'mqtt-network'], undefined],
  [
    'every optional input declared (device ranges, EMQX, non-production cost profile with alarm e-mails, deploy inputs)',
    {
      FORTRESS_DEVICE_CIDRS: '192.0.2.0/24,198.51.100.0/24',
      FORTRESS_EMQX_DIGEST: EMQX_TEST_DIGEST,
      FORTRESS_COST_PROFILE: 'non-production',
      FORTRESS_ALARM_EMAILS: 'oncall@example.com',
      FORTRESS_DOCKERHUB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:ecr-pullthroughcache/docker-hub-AbCdEf',
      FORTRESS_API_SOURCES: '10.99.0.0/24,sg-0123456789abcdef0',
      FORTRESS_DEPLOYER_ROLE_ARNS: 'arn:aws:iam::111122223333:role/ci-deploy',
    },
    ['emqx-credentials', 'mosquitto-credentials', 'mqtt-cluster', 'mqtt-network'],
    ['emqx-credentials', 'mqtt-cluster', 'mqtt-network'],
  ],
] as const)
  describe(`terraform offline plan of every AWS stack: ${variant}`, { skip: missingTerraform }, () => {
    let out: string;
    before(() => {
      out = mkdtempSync(join(tmpdir(), 'fortress-tfapp-'));
      withEnv(env, () => buildApp(out).synth());
    });
    after(() => rmSync(out, { recursive: true, force: true }));

    it('the app has its AWS stacks', () => assert.deepEqual(awsStacks(out).sort(), [...stacks]));
    it('each AWS stack plans', () => {
      for (const s of awsStacks(out).filter((x) => !only || (only as readonly string[]).includes(x))) {
        const r = terraformCheck(join(out, 'stacks', s));
        const m = /Plan: (\d+) to add, 0 to change, 0 to destroy\./.exec(r.plan);
        assert.ok(m && Number(m[1]) > 0, `${s}: no plan summary in\n${r.plan.slice(-2000)}`);
        assert.doesNotMatch(r.plan, /Warning:/, `${s}: plan has warnings`);
        if (s === 'mqtt-cluster') {
          // Storage driver, add-on conflict policy, standard support: in every cluster plan.
          assert.match(r.plan, /aws_eks_addon\.Cluster_EbsCsiDriver_\w+ will be created/, 'EBS CSI add-on planned');
          assert.match(r.plan, /support_type\s+= "STANDARD"/, 'upgrade_policy planned');
          assert.match(r.plan, /aws_eks_pod_identity_association\.Cluster_ExternalSecretsPodIdentity_\w+ will be created/, 'external-secrets association planned');
        }
        if (variant !== 'default app' && s === 'mqtt-cluster') {
          for (const type of ['aws_ecr_pull_through_cache_rule', 'aws_eks_access_entry', 'aws_eks_access_policy_association', 'aws_vpc_security_group_ingress_rule']) {
            assert.match(r.plan, new RegExp(`# ${type}\\.\\S+ will be created`), `${s}: ${type} planned`);
          }
          assert.match(r.plan, /upstream_registry_url\s+= "registry-1\.docker\.io"/);
          assert.match(r.plan, /policy_arn\s+= "arn:\$\{.*\}:eks::aws:cluster-access-policy\/AmazonEKSClusterAdminPolicy"|policy_arn\s+= \(known after apply\)/);
        }
      }
    });
  });
