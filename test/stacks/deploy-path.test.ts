/**
 * The deploy path, walked over the synthesized JSON of the default app (both brokers, all deploy
 * inputs given): stack order from real references, where every container's image comes from and
 * what makes it reachable, storage, the deploying principal's access, and both brokers' credentials.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dockerHubPath, imageRef, mirroredImage } from '../../constructs/core/image.js';
import { PREREQUISITE_CRDS } from '../../constructs/k8s/crd-check.js';
import { MOSQUITTO_IMAGE } from '../../constructs/mosquitto/props.js';
import { type DeployInputs, deployBlockers, deployInputsFromEnv } from '../../stacks/defaults.js';
import { buildApp } from '../../stacks/main.js';
import { BROKER_STORAGE_CLASS, EBS_CSI_PROVISIONER } from '../../stacks/platform-k8s-stack.js';

type Tf = Record<string, any>;
const DEPLOY: DeployInputs = {
  dockerHubCredentialArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:ecr-pullthroughcache/docker-hub-AbCdEf',
  githubCredentialArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:ecr-pullthroughcache/ghcr-AbCdEf',
  apiClients: [{ securityGroupId: 'sg-0123456789abcdef0', description: 'CI runner in the VPC' }],
  deployerRoleArns: ['arn:aws:iam::111122223333:role/ci-deploy'],
};
const EMQX_TEST_DIGEST = `sha256:${'e'.repeat(64)}`; // test fixture only: no EMQX digest is confirmed
const EXPORTER_TEST_DIGEST = `sha256:${'a'.repeat(64)}`; // test fixture only

/** An IAM policy document whose values may hold Terraform expressions (`${...}`, quotes inside). */
const policyOf = (json: string): any => JSON.parse(json.replace(/\$\{[^}]*\}/g, (m) => m.replace(/"/g, "'")));
const res = (tf: Tf, type: string): [string, any][] => Object.entries(tf.resource?.[type] ?? {});
const vals = (tf: Tf, type: string): any[] => Object.values(tf.resource?.[type] ?? {});
/** `${tostring(data.terraform_remote_state.cross-stack-reference-input-<stack>.outputs.<output>)}` -> [stack, output] */
const REMOTE = /data\.terraform_remote_state\.cross-stack-reference-input-([\w-]+)\.outputs\.([\w-]+)/;

/** Every producer a stack reads through terraform_remote_state (a reference, not a declared order). */
function referencedStacks(tf: Tf): string[] {
  return Object.keys(tf.data?.terraform_remote_state ?? {})
    .map((k) => k.replace(/^cross-stack-reference-input-/, ''))
    .sort();
}

/** Follows a cross-stack output to the expression the producer writes into it. */
function resolveOutput(stacks: Record<string, Tf>, expr: string): { stack: string; value: string } {
  const m = REMOTE.exec(expr);
  assert.ok(m, `not a cross-stack reference: ${expr}`);
  const value = stacks[m[1]!]!.output?.[m[2]!]?.value;
  assert.equal(typeof value, 'string', `${m[1]} has no output ${m[2]}`);
  return { stack: m[1]!, value };
}

/** Every container (and init container) image of every workload in a stack. */
function containerImages(tf: Tf): { workload: string; container: string; image: string }[] {
  const out: { workload: string; container: string; image: string }[] = [];
  for (const [name, ss] of res(tf, 'kubernetes_stateful_set_v1')) {
    const pod = ss.spec.template.spec;
    for (const c of [...(pod.init_container ?? []), ...(pod.container ?? [])]) out.push({ workload: name, container: c.name, image: c.image });
  }
  for (const [name, m] of res(tf, 'kubernetes_manifest')) {
    const pod = m.manifest?.spec?.template?.spec;
    if (!pod) continue;
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) out.push({ workload: name, container: c.name, image: c.image });
  }
  return out;
}

function synthApp(env: Record<string, string>, deploy: DeployInputs | undefined, dir: string): Record<string, Tf> {
  const old = { ...process.env };
  Object.assign(process.env, env);
  try {
    buildApp(dir, { ...(deploy ? { deploy } : {}), broker: { metricsExporter: { image: { digest: EXPORTER_TEST_DIGEST } } } }).synth();
    return Object.fromEntries(readdirSync(join(dir, 'stacks')).map((s) => [s, JSON.parse(readFileSync(join(dir, 'stacks', s, 'cdk.tf.json'), 'utf8'))]));
  } finally {
    process.env = old;
  }
}

describe('deploy path of the default app (both brokers, deploy inputs given)', () => {
  let dir: string;
  let stacks: Record<string, Tf>;
  let manifest: any;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fortress-deploy-'));
    stacks = synthApp({ FORTRESS_EMQX_DIGEST: EMQX_TEST_DIGEST }, DEPLOY, dir);
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stack order comes from real references: each stack reads what it needs from the one before', () => {
    const refs = Object.fromEntries(Object.keys(stacks).map((s) => [s, referencedStacks(stacks[s]!)]));
    assert.deepEqual(refs, {
      'mqtt-network': [],
      'mqtt-cluster': ['mqtt-network'],
      // The reader role trusts the cluster's external-secrets role: no cluster name by string.
      'mosquitto-credentials': ['mqtt-cluster'],
      'emqx-credentials': ['mqtt-cluster'],
      // Endpoint and CA of the cluster.
      'mqtt-platform': ['mqtt-cluster'],
      // Endpoint, CA, image registry; and the broker's reader role.
      'mosquitto-k8s': ['mosquitto-credentials', 'mqtt-cluster'],
      'emqx-k8s': ['emqx-credentials', 'mqtt-cluster'],
    });
    // cdktf orders `cdktf deploy` by these dependencies (plus the declared one on mqtt-platform,
    // whose StorageClass and namespace the brokers name by literal).
    const deps = (s: string) => [...manifest.stacks[s].dependencies].sort();
    assert.deepEqual(deps('mosquitto-credentials'), ['mqtt-cluster']);
    assert.deepEqual(deps('mosquitto-k8s'), ['mosquitto-credentials', 'mqtt-cluster', 'mqtt-platform']);
    assert.deepEqual(deps('emqx-k8s'), ['emqx-credentials', 'mqtt-cluster', 'mqtt-platform']);
    // A topological order exists and puts the phases in sequence.
    const order: string[] = [];
    const visit = (s: string) => {
      if (order.includes(s)) return;
      for (const d of deps(s)) visit(d);
      order.push(s);
    };
    Object.keys(stacks).sort().forEach(visit);
    const before = (a: string, b: string) => assert.ok(order.indexOf(a) < order.indexOf(b), `${a} before ${b} in ${order.join(', ')}`);
    before('mqtt-network', 'mqtt-cluster');
    before('mqtt-cluster', 'mosquitto-credentials');
    before('mqtt-cluster', 'mqtt-platform');
    before('mosquitto-credentials', 'mosquitto-k8s');
    before('mqtt-platform', 'mosquitto-k8s');
    before('emqx-credentials', 'emqx-k8s');
  });

  it('no stack names the cluster by a fixed string: associations live with the cluster, Kubernetes providers read its endpoint', () => {
    for (const s of ['mosquitto-credentials', 'emqx-credentials']) assert.deepEqual(vals(stacks[s]!, 'aws_eks_pod_identity_association'), [], s);
    for (const s of ['mqtt-platform', 'mosquitto-k8s', 'emqx-k8s']) {
      const p = stacks[s]!.provider.kubernetes[0];
      assert.match(p.host, REMOTE, `${s}: host`);
      assert.match(resolveOutput(stacks, p.host).value, /^\$\{aws_eks_cluster\.Cluster_\w+\.endpoint\}$/);
      assert.match(p.cluster_ca_certificate, /base64decode\(.*cross-stack-reference-input-mqtt-cluster/);
      assert.deepEqual(p.exec[0].args.slice(0, 3), ['eks', 'get-token', '--cluster-name']);
      assert.match(p.exec[0].args[3], REMOTE, `${s}: cluster name by reference`);
    }
  });

  it('every container image comes from the ECR pull-through cache of Docker Hub, same tag and digest, reachable through the ECR endpoints', () => {
    const cluster = stacks['mqtt-cluster']!;
    const network = stacks['mqtt-network']!;
    const rules = res(cluster, 'aws_ecr_pull_through_cache_rule');
    const images = ['mosquitto-k8s', 'emqx-k8s'].flatMap((s) => containerImages(stacks[s]!).map((c) => ({ ...c, stack: s })));
    assert.ok(images.length >= 6, `containers found: ${images.map((i) => i.container).join(', ')}`);
    const containers = new Set(images.map((i) => `${i.stack}/${i.container}`));
    for (const c of ['mosquitto-k8s/mosquitto', 'mosquitto-k8s/metrics-exporter', 'emqx-k8s/emqx'])
      assert.ok(
        [...containers].some((x) => x.startsWith(c)),
        `${c} in ${[...containers].join(', ')}`,
      );
    for (const i of images) {
      const m = /^\$\{tostring\((data\.terraform_remote_state\.[^)]+)\)\}\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/([^/]+)\/(.+):([^:@]+)@(sha256:[0-9a-f]{64})$/.exec(i.image);
      assert.ok(m, `${i.stack}/${i.container}: ${i.image} is not an image of this account's ECR`);
      // The registry's account is the pull-through cache rule's registry_id.
      const { stack, value } = resolveOutput(stacks, m[1]!);
      assert.equal(stack, 'mqtt-cluster');
      const rule = /^\$\{aws_ecr_pull_through_cache_rule\.(\w+)\.registry_id\}$/.exec(value);
      assert.ok(rule, `${i.container}: registry from ${value}`);
      const [, ruleConfig] = rules.find(([n]) => n === rule[1])!;
      assert.equal(m[2], ruleConfig.ecr_repository_prefix, `${i.container}: path under the rule's prefix`);
      assert.equal(ruleConfig.upstream_registry_url, 'registry-1.docker.io');
      assert.equal(ruleConfig.credential_arn, DEPLOY.dockerHubCredentialArn);
      // Official images keep the library/ path Docker Hub needs; digests are unchanged.
      if (i.stack === 'mosquitto-k8s' && i.container !== 'metrics-exporter') {
        assert.equal(m[3], 'library/eclipse-mosquitto');
        assert.equal(m[5], MOSQUITTO_IMAGE.digest);
      }
    }
    // The prerequisites' registries are cached too (docs/deploy.md, phase 3); only Docker Hub
    // and ghcr.io need a credential, each an ecr-pullthroughcache/ secret given by ARN.
    assert.deepEqual(rules.map(([, r]) => [r.ecr_repository_prefix, r.upstream_registry_url, r.credential_arn]).sort(), [
      ['docker-hub', 'registry-1.docker.io', DEPLOY.dockerHubCredentialArn],
      ['ghcr', 'ghcr.io', DEPLOY.githubCredentialArn],
      ['k8s', 'registry.k8s.io', undefined],
      ['quay', 'quay.io', undefined],
    ]);
    // Reachable without NAT: ECR API and registry endpoints, S3 gateway for the layers.
    const services = vals(network, 'aws_vpc_endpoint').map((e) => e.service_name);
    for (const svc of ['ecr.api', 'ecr.dkr']) assert.ok(services.includes(`com.amazonaws.eu-west-1.${svc}`), svc);
    assert.ok(vals(network, 'aws_vpc_endpoint').some((e) => e.service_name === 'com.amazonaws.eu-west-1.s3' && e.vpc_endpoint_type === 'Gateway'));
    assert.deepEqual(vals(network, 'aws_nat_gateway'), []);
    // The node role may create the cached repository and import on first pull, under the rules' prefixes only.
    const [importPolicy] = vals(cluster, 'aws_iam_role_policy').filter((p) => p.name === 'pull-through-cache-import');
    const stmt = policyOf(importPolicy.policy).Statement[0];
    assert.deepEqual(stmt.Action, ['ecr:CreateRepository', 'ecr:BatchImportUpstreamImage']);
    assert.deepEqual(stmt.Resource.map((r: string) => r.replace(/\$\{[^}]+\}/g, 'X')).sort(), rules.map(([, r]) => `arn:X:ecr:eu-west-1:X:repository/${r.ecr_repository_prefix}/*`).sort());
    assert.ok(vals(cluster, 'aws_iam_role_policy_attachment').some((a) => /AmazonEC2ContainerRegistryReadOnly$/.test(a.policy_arn)));
  });

  it('every EKS add-on is an AWS add-on (images from the regional EKS ECR registry, same endpoints), created and updated with OVERWRITE', () => {
    const addons = Object.values(stacks).flatMap((tf) => vals(tf, 'aws_eks_addon'));
    const names = addons.map((a) => a.addon_name).sort();
    // AWS-published add-ons (docs.aws.amazon.com/eks/latest/userguide/add-ons-images.html): pulled
    // with the node role from the regional EKS registry through the ECR interface endpoints.
    const AWS_ADDONS = ['amazon-cloudwatch-observability', 'aws-ebs-csi-driver', 'coredns', 'eks-pod-identity-agent', 'kube-proxy', 'vpc-cni'];
    for (const n of names) assert.ok(AWS_ADDONS.includes(n), `${n}: not a known AWS add-on; check where its images come from`);
    for (const n of ['aws-ebs-csi-driver', 'coredns', 'eks-pod-identity-agent', 'kube-proxy', 'vpc-cni']) assert.ok(names.includes(n), n);
    for (const a of vals(stacks['mqtt-cluster']!, 'aws_eks_addon').filter((x) => x.addon_name !== 'amazon-cloudwatch-observability')) {
      assert.equal(a.resolve_conflicts_on_create, 'OVERWRITE', a.addon_name);
      assert.equal(a.resolve_conflicts_on_update, 'OVERWRITE', a.addon_name);
    }
    const [eks] = vals(stacks['mqtt-cluster']!, 'aws_eks_cluster');
    assert.deepEqual(eks.upgrade_policy, { support_type: 'STANDARD' });
  });

  it('storage: an encrypted gp3 class of the EBS CSI driver, whose add-on has its role through Pod Identity; the broker claim names it', () => {
    const cluster = stacks['mqtt-cluster']!;
    const [ebs] = vals(cluster, 'aws_eks_addon').filter((a) => a.addon_name === 'aws-ebs-csi-driver');
    assert.equal(ebs.pod_identity_association[0].service_account, 'ebs-csi-controller-sa');
    const roleRef = /^\$\{aws_iam_role\.(\w+)\.arn\}$/.exec(ebs.pod_identity_association[0].role_arn)!;
    const role = cluster.resource.aws_iam_role[roleRef[1]!];
    const trust = policyOf(role.assume_role_policy).Statement[0];
    assert.equal(trust.Principal.Service, 'pods.eks.amazonaws.com');
    assert.equal(trust.Condition.StringEquals['aws:RequestTag/kubernetes-service-account'], 'ebs-csi-controller-sa');
    assert.equal(trust.Condition.StringEquals['aws:RequestTag/kubernetes-namespace'], 'kube-system');
    assert.ok(vals(cluster, 'aws_iam_role_policy_attachment').some((a) => a.role === `\${aws_iam_role.${roleRef[1]}.name}` && /service-role\/AmazonEBSCSIDriverPolicy$/.test(a.policy_arn)));
    const sc = vals(stacks['mqtt-platform']!, 'kubernetes_manifest')
      .map((m) => m.manifest)
      .find((m) => m.kind === 'StorageClass');
    assert.equal(sc.metadata.name, BROKER_STORAGE_CLASS);
    assert.equal(sc.provisioner, EBS_CSI_PROVISIONER);
    assert.deepEqual(sc.parameters, { type: 'gp3', encrypted: 'true' });
    assert.equal(sc.volumeBindingMode, 'WaitForFirstConsumer');
    // EMQX's claim names no class: the kit's class is the cluster default.
    assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');
    const [ss] = vals(stacks['mosquitto-k8s']!, 'kubernetes_stateful_set_v1');
    assert.equal(ss.spec.volume_claim_template[0].spec.storage_class_name, BROKER_STORAGE_CLASS);
    // The monitoring namespace the dashboard is written to exists, before the broker stack.
    const ns = vals(stacks['mqtt-platform']!, 'kubernetes_namespace_v1').map((n) => n.metadata.name);
    assert.deepEqual(ns, ['monitoring']);
  });

  it('the deploying principal reaches the private API (443 on the cluster security group) and has cluster access (access entry, cluster admin)', () => {
    const cluster = stacks['mqtt-cluster']!;
    const [eks] = vals(cluster, 'aws_eks_cluster');
    assert.equal(eks.vpc_config.endpoint_public_access, false);
    assert.equal(eks.access_config.authentication_mode, 'API');
    // Access is exactly the declared list: no implicit admin for whoever created the cluster.
    assert.equal(eks.access_config.bootstrap_cluster_creator_admin_permissions, false);
    const rules = vals(cluster, 'aws_vpc_security_group_ingress_rule');
    assert.equal(rules.length, 1);
    assert.match(rules[0].security_group_id, /^\$\{aws_eks_cluster\.\w+\.vpc_config\[0\]\.cluster_security_group_id\}$/);
    assert.deepEqual([rules[0].from_port, rules[0].to_port, rules[0].ip_protocol, rules[0].referenced_security_group_id], [443, 443, 'tcp', 'sg-0123456789abcdef0']);
    const [entry] = vals(cluster, 'aws_eks_access_entry');
    assert.equal(entry.principal_arn, DEPLOY.deployerRoleArns[0]);
    assert.equal(entry.type, 'STANDARD');
    const [assoc] = vals(cluster, 'aws_eks_access_policy_association');
    assert.match(assoc.principal_arn, /^\$\{aws_eks_access_entry\.\w+\.principal_arn\}$/);
    assert.match(assoc.policy_arn, /:eks::aws:cluster-access-policy\/AmazonEKSClusterAdminPolicy$/);
    assert.deepEqual(assoc.access_scope, { type: 'cluster' });
  });

  it("both brokers' credentials sync: one controller identity (associated with the cluster), each store assumes its broker's reader role", () => {
    const cluster = stacks['mqtt-cluster']!;
    const assocs = vals(cluster, 'aws_eks_pod_identity_association');
    const es = assocs.filter((a) => a.namespace === 'external-secrets' && a.service_account === 'external-secrets');
    assert.equal(es.length, 1, 'exactly one association for the controller (EKS allows one per service account)');
    assert.equal(
      Object.values(stacks)
        .flatMap((tf) => vals(tf, 'aws_eks_pod_identity_association'))
        .filter((a) => a.service_account === 'external-secrets').length,
      1,
    );
    const controllerRole = /^\$\{aws_iam_role\.(\w+)\.arn\}$/.exec(es[0].role_arn)![1]!;
    const assume = vals(cluster, 'aws_iam_role_policy').find((p) => p.role === `\${aws_iam_role.${controllerRole}.id}`);
    const stmt = policyOf(assume.policy).Statement[0];
    assert.deepEqual(stmt.Action, ['sts:AssumeRole', 'sts:TagSession']);
    assert.match(stmt.Resource, /:role\/mqtt-fortress-\*-secrets-reader$/);
    for (const [creds, k8s, broker, ns] of [
      ['mosquitto-credentials', 'mosquitto-k8s', 'mosquitto', 'mqtt'],
      ['emqx-credentials', 'emqx-k8s', 'emqx', 'mqtt-emqx'],
    ] as const) {
      // The reader role trusts exactly the controller role (a reference to the cluster stack)...
      const [readerName, reader] = res(stacks[creds]!, 'aws_iam_role').find(([, r]) => r.name === `mqtt-fortress-${broker}-secrets-reader`)!;
      const trust = policyOf(reader.assume_role_policy).Statement;
      assert.equal(trust.length, 1);
      assert.equal(resolveOutput(stacks, trust[0].Principal.AWS).value, `\${aws_iam_role.${controllerRole}.arn}`, `${creds}: trusts the controller role`);
      // ...whose name matches the controller's permission.
      assert.ok(`mqtt-fortress-${broker}-secrets-reader`.match(/^mqtt-fortress-.*-secrets-reader$/));
      // The broker's store assumes that reader role; one store per broker, each for its namespace.
      const store = vals(stacks[k8s]!, 'kubernetes_manifest')
        .map((m) => m.manifest)
        .find((m) => m.kind === 'ClusterSecretStore');
      assert.equal(store.metadata.name, `mqtt-fortress-${broker}`);
      assert.deepEqual(store.spec.conditions, [{ namespaces: [ns] }]);
      const roleOut = resolveOutput(stacks, store.spec.provider.aws.role);
      assert.equal(roleOut.stack, creds);
      assert.equal(roleOut.value, `\${aws_iam_role.${readerName}.arn}`);
      // The reader reads only its broker's secrets.
      const readPolicy = vals(stacks[creds]!, 'aws_iam_role_policy').find((p) => p.name === 'read-mqtt-passwords');
      assert.ok(policyOf(readPolicy.policy).Statement[0].Resource.endsWith(`:secret:mqtt-fortress/${broker}/*`));
    }
  });

  it('each Kubernetes stack checks the prerequisite CRDs it uses with a list data source (the kit message, not the provider null-object error)', () => {
    const checks = (s: string) => Object.values<any>(stacks[s]!.data?.kubernetes_resources ?? {}).map((d) => d.field_selector.replace('metadata.name=', ''));
    assert.deepEqual(stacks['mosquitto-k8s']!.data?.kubernetes_resource, undefined);
    for (const crd of ['clustersecretstores.external-secrets.io', 'certificates.cert-manager.io', 'prometheusrules.monitoring.coreos.com']) assert.ok(checks('mosquitto-k8s').includes(crd), crd);
    for (const crd of ['clustersecretstores.external-secrets.io', 'certificates.cert-manager.io', 'podmonitors.monitoring.coreos.com']) assert.ok(checks('emqx-k8s').includes(crd), crd);
    for (const d of Object.values<any>(stacks['mosquitto-k8s']!.data.kubernetes_resources)) {
      assert.equal(d.kind, 'CustomResourceDefinition');
      assert.equal(d.lifecycle.postcondition[0].condition, '${length(self.objects) > 0}');
    }
    for (const crds of Object.values(PREREQUISITE_CRDS)) for (const c of crds) assert.match(c, /\./);
  });

  it('every stack requires Terraform >= 1.10 and no absolute path is baked into any stack', () => {
    for (const [name, tf] of Object.entries(stacks)) {
      assert.equal(tf.terraform.required_version, '>= 1.10.0', name);
      assert.equal(tf.terraform.backend.local.path, `../../../terraform.${name}.tfstate`, name);
      const text = JSON.stringify(tf);
      assert.ok(!text.includes(process.cwd()), `${name} holds the working directory`);
      assert.ok(!text.includes(dir), `${name} holds the output directory`);
      for (const ds of Object.values<any>(tf.data?.terraform_remote_state ?? {})) assert.ok(!ds.config.path.startsWith('/'), `${name}: remote state path ${ds.config.path}`);
    }
  });
});

describe('deploy inputs', () => {
  it('the app entry refuses a synthesis that could not be deployed, naming what is missing', () => {
    const none = deployInputsFromEnv({});
    assert.deepEqual(
      deployBlockers(none).map((b) => b.split(' (')[0]),
      ['no path from this machine to the private EKS API', 'no registry the nodes can pull from'],
    );
    assert.deepEqual(deployBlockers(deployInputsFromEnv({ FORTRESS_API_SOURCES: '10.1.0.0/24', FORTRESS_IMAGE_REGISTRY: 'registry.example.com/docker-hub' })), []);
    assert.throws(() => deployInputsFromEnv({ FORTRESS_PUBLIC_API_CIDRS: '198.51.100.0/24' }), /FORTRESS_PUBLIC_API_REASON/);
    assert.throws(() => deployInputsFromEnv({ FORTRESS_IMAGE_REGISTRY: 'registry.example.com' }), /<host>\/<docker-hub-prefix>/);
  });
  it("a team's own mirror replaces the pull-through cache: no rule, images from the mirror with the same digest", () => {
    const d = mkdtempSync(join(tmpdir(), 'fortress-mirror-'));
    try {
      const stacks = synthApp({}, { apiClients: [{ cidr: '10.1.0.0/24', description: 'VPN' }], deployerRoleArns: [], imageRegistry: { host: 'registry.example.com', dockerHubPrefix: 'hub' } }, d);
      assert.deepEqual(vals(stacks['mqtt-cluster']!, 'aws_ecr_pull_through_cache_rule'), []);
      for (const c of containerImages(stacks['mosquitto-k8s']!))
        assert.match(c.image, /^registry\.example\.com\/hub\/(library\/eclipse-mosquitto:2\.0\.22@sha256:212f89e1|sapcc\/mosquitto-exporter:0\.8\.0@sha256:a{64})/, c.container);
      // Without deployers, the creator keeps the EKS bootstrap admin access.
      assert.equal(vals(stacks['mqtt-cluster']!, 'aws_eks_cluster')[0].access_config.bootstrap_cluster_creator_admin_permissions, true);
      assert.deepEqual(
        vals(stacks['mqtt-cluster']!, 'aws_vpc_security_group_ingress_rule').map((r) => r.cidr_ipv4),
        ['10.1.0.0/24'],
      );
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
  it('image mirroring keeps tag and digest and adds library/ for official images only', () => {
    const reg = { host: '111122223333.dkr.ecr.eu-west-1.amazonaws.com', dockerHubPrefix: 'docker-hub' };
    assert.equal(imageRef('image', mirroredImage(MOSQUITTO_IMAGE, reg)), `111122223333.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/eclipse-mosquitto:2.0.22@${MOSQUITTO_IMAGE.digest}`);
    assert.equal(dockerHubPath('emqx/emqx'), 'emqx/emqx');
    assert.equal(dockerHubPath('docker.io/eclipse-mosquitto'), 'library/eclipse-mosquitto');
    // An image that already names another registry is left alone.
    const own = { repository: 'registry.example.com/team/eclipse-mosquitto', tag: '2.0.22', digest: MOSQUITTO_IMAGE.digest };
    assert.equal(mirroredImage(own, reg), own);
    assert.throws(() => mirroredImage(MOSQUITTO_IMAGE, { host: 'a b', dockerHubPrefix: 'x' }), /registry.host/);
  });
  it('the pull-through cache refuses a credential outside the ecr-pullthroughcache/ prefix or region', () => {
    const d = mkdtempSync(join(tmpdir(), 'fortress-ptc-'));
    try {
      for (const [arn, msg] of [
        ['arn:aws:secretsmanager:eu-west-1:111122223333:secret:docker-hub-AbCdEf', /ecr-pullthroughcache\//],
        ['arn:aws:secretsmanager:us-east-1:111122223333:secret:ecr-pullthroughcache/docker-hub-AbCdEf', /region "us-east-1"/],
      ] as const) {
        assert.throws(
          () => synthApp({}, { ...DEPLOY, dockerHubCredentialArn: arn }, d),
          (e: Error) => msg.test(e.message) && /\[mqtt-cluster\/ImageCache\]/.test(e.message),
        );
      }
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
