#!/usr/bin/env bash
# Maintainer tool for refactors: writes every deterministic output of the kit into DIR, so that
# two checkouts can be compared byte for byte (`diff -r A B`). Covers the default app in review
# and in deploy mode (cdk.tf.json, reports, SARIF, audit JSON, Kubernetes YAML), the benchmark's
# scale app, and the local bundle's configuration for every client-auth mode. Secrets, keys and
# certificates are random by design and left out.
#   usage: bash scripts/snapshot.sh DIR     (run from the repository root after npm ci)
set -euo pipefail
out="${1:?usage: bash scripts/snapshot.sh DIR}"
[ ! -e "$out" ] || { echo "error: $out exists; pass a new directory" >&2; exit 1; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"
npm run --silent build >/dev/null
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
keep() { # copy the deterministic files of a synthesized output
  (cd "$1" && find stacks -type f \( -name cdk.tf.json -o -name 'security-report.*' -o -name 'mqtt-fortress-audit.json' -o -name kubernetes.yaml \) \
    -exec sh -c 'mkdir -p "$0/$(dirname "$1")" && cp "$1" "$0/$1"' "$2" {} \;)
}
FORTRESS_REVIEW_ONLY=1 node dist/scripts/report.js --out "$tmp/review" >"$out/review.stdout" 2>"$out/review.stderr"
FORTRESS_REVIEW_ONLY=1 node dist/scripts/render.js --out "$tmp/render" >/dev/null 2>&1
mkdir -p "$out/review" "$out/render"; keep "$tmp/review" "$out/review"; keep "$tmp/render" "$out/render"
env FORTRESS_IMAGE_REGISTRY=123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub FORTRESS_DOCKERHUB_SECRET_ARN=arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/dockerhub-AbCdEf \
  FORTRESS_API_SOURCES=10.20.0.0/16 FORTRESS_DEVICE_CIDRS=10.30.0.0/16,10.31.0.0/16 FORTRESS_EXPORTER_DIGEST=sha256:0000000000000000000000000000000000000000000000000000000000000001 \
  FORTRESS_EMQX_DIGEST=sha256:0000000000000000000000000000000000000000000000000000000000000002 FORTRESS_ALARM_EMAILS=ops@example.com \
  FORTRESS_STATE_BUCKET=example-state FORTRESS_STATE_KMS_KEY=alias/example-state FORTRESS_AWS_REGION=eu-central-1 \
  node dist/scripts/report.js --out "$tmp/deploy" >"$out/deploy.stdout" 2>"$out/deploy.stderr" || echo "deploy-mode report exited $?" >>"$out/deploy.stderr"
mkdir -p "$out/deploy"; [ -d "$tmp/deploy/stacks" ] && keep "$tmp/deploy" "$out/deploy"
node --input-type=module -e "
  const { buildApp } = await import('$PWD/dist/scripts/scale-app.js');
  buildApp('$tmp/scale', '2000', '4').synth();
" 2>"$out/scale.stderr" && { mkdir -p "$out/scale"; keep "$tmp/scale" "$out/scale"; } || echo "scale app failed" >>"$out/scale.stderr"
for mode in password password-and-certificate certificate password-or-certificate; do
  args=(--client-auth "$mode")
  node dist/scripts/local-bundle.js --out "$tmp/local-$mode" "${args[@]}" >/dev/null 2>"$out/local-$mode.stderr" || echo "exit $?" >>"$out/local-$mode.stderr"
  mkdir -p "$out/local-$mode"; cp "$tmp/local-$mode/config/"* "$out/local-$mode/" 2>/dev/null || true
done
node dist/scripts/local-bundle.js --out "$tmp/local-dynsec" --dynamic-security >/dev/null 2>"$out/local-dynsec.stderr" || echo "exit $?" >>"$out/local-dynsec.stderr"
mkdir -p "$out/local-dynsec"; cp "$tmp/local-dynsec/config/"* "$out/local-dynsec/" 2>/dev/null || true
# the temporary directory's name is random: name it TMP everywhere
grep -rlF "$tmp" "$out" | while read -r f; do sed -i "s|$tmp|TMP|g" "$f"; done
find "$out" -type f | wc -l | xargs echo "snapshot files:"
