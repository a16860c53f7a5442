#!/usr/bin/env bash
# The kit as another team installs it: a clean clone of this repository's HEAD (committed files
# only), `npm ci` there (the `prepare` script builds dist), `npm pack`, then ONE scratch project
# that installs the tarball with its peers from the npm registry and holds an ES module package
# and a CommonJS package. Each compiles the README's "Use it in your own stack" example with
# TypeScript 5.9 and with the project's own TypeScript, runs it with node, and checks the
# synthesized ACL. Exits non-zero on the first failure. `.ci/run` calls it.
set -euo pipefail

usage() {
  cat <<'EOF'
scripts/consumer-test.sh [--keep]

Consumer test: packs a clean clone of HEAD (uncommitted changes are NOT included) and, in a
scratch project under $TMPDIR, installs the tarball with cdktf, constructs and the providers from
the npm registry; compiles and synthesizes the README example as an ES module and as a CommonJS
project (tsconfig module nodenext, and the `cdktf init` default module commonjs) with TypeScript
5.9 and the project's TypeScript. Needs git, npm and the npm registry. Writes only under a
temporary directory, removed at the end.

  --keep      keep the temporary directory for inspection (its path is printed)
  -h, --help  print this help and change nothing
EOF
}
keep=0
for a in "$@"; do case "$a" in -h|--help) usage; exit 0 ;; esac; done # --help wins over anything
for a in "$@"; do
  case "$a" in
    --keep) keep=1 ;;
    *) echo "error USAGE: unknown argument '$a'. Usage: scripts/consumer-test.sh [--keep] (--help for details)" >&2; exit 1 ;;
  esac
done
for tool in git npm node; do
  command -v "$tool" >/dev/null 2>&1 || { echo "error MISSING_TOOL: $tool is not installed; the consumer test needs git, npm and node." >&2; exit 1; }
done

root="$(cd "$(dirname "$0")/.." && pwd)"
project_ts="$(node -p "require('$root/package.json').devDependencies.typescript")"
peer() { node -p "require('$root/package.json').devDependencies['$1']"; }
work="$(mktemp -d "${TMPDIR:-/tmp}/fortress-consumer-XXXXXX")"
cleanup() { if [ "$keep" = 1 ]; then echo "consumer-test: kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
step() { echo "consumer-test: $*"; }
fail() { echo "error CONSUMER: $*" >&2; exit 1; }
start=$(date +%s)

step "clean clone of HEAD ($(git -C "$root" rev-parse --short HEAD))"
git clone --quiet --no-hardlinks "$root" "$work/clone"
# Without install scripts, so that dist/ is built by npm pack itself (prepare), as on a publish.
( cd "$work/clone" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null ) || fail "npm ci in the clean clone failed"
[ ! -e "$work/clone/dist" ] || fail "the clean clone already has dist/"
tarball="$(cd "$work/clone" && npm pack --silent --pack-destination "$work" 2>/dev/null | tail -1)"
step "packed $tarball"
listing="$(tar -tzf "$work/$tarball")"
for f in package/dist/constructs/index.js package/dist/constructs/index.d.ts package/dist/constructs/policy/index.js package/LICENSE package/CHANGELOG.md package/templates/example-policy.yaml; do
  grep -qx "$f" <<<"$listing" || fail "the tarball lacks $f"
done
if grep -Eq '^package/dist/(test|stacks|scripts)/' <<<"$listing"; then fail "the tarball ships dist/test, dist/stacks or dist/scripts"; fi

# One scratch project: node_modules at its root, an ESM package and a CommonJS package below it.
app="$work/consumer"
mkdir -p "$app/esm" "$app/cjs"
cat >"$app/package.json" <<'EOF'
{ "name": "fortress-consumer", "version": "1.0.0", "private": true }
EOF
step "installing the tarball, its peers, TypeScript 5.9 and $project_ts from the registry"
( cd "$app" && npm install --no-audit --no-fund --loglevel=error \
    "$work/$tarball" "cdktf@$(peer cdktf)" "constructs@^10" "@cdktf/provider-kubernetes@$(peer @cdktf/provider-kubernetes)" \
    "@cdktf/provider-aws@$(peer @cdktf/provider-aws)" "typescript@~5.9" "ts-project@npm:typescript@$project_ts" >/dev/null ) \
  || fail "npm install of the tarball with its peers failed"
copies="$(cd "$app" && find . -path '*/node_modules/constructs/package.json' | wc -l)"
[ "$copies" = 1 ] || fail "$copies copies of constructs are installed; the kit must use the consumer's"
step "one copy of constructs: $(node -p "require('$app/node_modules/constructs/package.json').version"), cdktf $(node -p "require('$app/node_modules/cdktf/package.json').version")"

# The README example, verbatim: the first ```ts block of "## Use it in your own stack".
awk '/^## Use it in your own stack/{s=1} s&&/^```ts/{c=1;next} c&&/^```/{exit} c{print}' "$root/README.md" >"$work/example.ts"
grep -q "synthExample" "$work/example.ts" || fail "README.md has no example under \"## Use it in your own stack\""
for kind in esm cjs; do
  cp "$work/example.ts" "$app/$kind/example.ts"
  cat >"$app/$kind/main.ts" <<'EOF'
import { synthExample } from './example.js';
synthExample(process.argv[2]).synth();
EOF
  # No @types/node in the project: the kit's types must not need them. `process` is declared here.
  cat >"$app/$kind/env.d.ts" <<'EOF'
declare const process: { argv: string[] };
EOF
done
echo '{ "type": "module" }' >"$app/esm/package.json"
echo '{ "type": "commonjs" }' >"$app/cjs/package.json"
# The README's consumer tsconfig (module nodenext), for both kinds of package.
for kind in esm cjs; do
  cat >"$app/$kind/tsconfig.json" <<'EOF'
{ "compilerOptions": { "target": "ES2022", "module": "nodenext", "moduleResolution": "nodenext", "strict": true, "types": [], "skipLibCheck": false, "outDir": "out" }, "include": ["*.ts"] }
EOF
done
# What `cdktf init --template typescript` writes (CommonJS, classic node resolution).
cat >"$app/cjs/tsconfig.cdktf-init.json" <<'EOF'
{ "compilerOptions": { "target": "ES2018", "module": "CommonJS", "lib": ["es2018"], "strict": true, "types": [], "skipLibCheck": true, "esModuleInterop": true, "outDir": "out-init" }, "include": ["*.ts"] }
EOF

check_synth() { # dir label
  local out="$1/cdktf.out" tf
  tf="$out/stacks/plant-telemetry/cdk.tf.json"
  [ -f "$tf" ] || fail "$2: no $tf"
  node -e '
    const tf = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const acl = Object.values(tf.resource.kubernetes_config_map_v1)[0].data.acl;
    if (!/user press-02\ntopic write plant\/press-02\/metrics/.test(acl)) { console.error("ACL of press-02 missing"); process.exit(1); }
  ' "$tf" || fail "$2: the synthesized ACL is not the example's"
  rm -rf "$out"
}
run_case() { # kind tsconfig outdir tsc label
  local kind="$1" cfg="$2" outdir="$3" tsc="$4" label="$5"
  ( cd "$app/$kind" && node "$app/node_modules/$tsc" -p "$cfg" ) || fail "$label: the example does not compile"
  ( cd "$app/$kind" && node "$outdir/main.js" cdktf.out ) || fail "$label: the compiled example does not run"
  check_synth "$app/$kind" "$label"
  rm -rf "$app/$kind/$outdir"
  step "ok: $label"
}
ts59="typescript/bin/tsc"
tsproj="ts-project/bin/tsc"
for tsc in "$ts59" "$tsproj"; do
  v="$(node -p "require('$app/node_modules/${tsc%%/bin/tsc}/package.json').version")"
  run_case esm tsconfig.json out "$tsc" "ES module, module nodenext, TypeScript $v"
  run_case cjs tsconfig.json out "$tsc" "CommonJS, module nodenext, TypeScript $v"
  run_case cjs tsconfig.cdktf-init.json out-init "$tsc" "CommonJS, cdktf init tsconfig (module commonjs), TypeScript $v"
done
# require() of the subpath export from plain CommonJS JavaScript.
( cd "$app/cjs" && node -e 'const p = require("mqtt-fortress/policy"); if (typeof p.checkFilter !== "function") process.exit(1);' ) || fail "require('mqtt-fortress/policy') failed"
step "ok: require('mqtt-fortress/policy') from CommonJS JavaScript"
step "passed in $(( $(date +%s) - start )) s"
