#!/usr/bin/env bash
# Installs the real peers the integration tests talk to: Mosquitto 2.0.21 (bookworm-backports),
# mosquitto-clients, openssl, Erlang (EMQX acl.conf checks) and promtool (Debian prometheus, alert
# rule tests). As root it installs what is missing with apt-get. As any other user it changes
# nothing: it lists what is missing and how to install it, and exits 0, so `&& npm test` still
# runs (the tests of a missing peer are reported as skipped with the reason, never as passed).
set -euo pipefail

usage() {
  cat <<'EOF'
scripts/setup-peers.sh [--dry-run]

Installs the peers of the integration tests on Debian 12 (bookworm): mosquitto and
mosquitto-clients 2.0.21 from bookworm-backports, openssl, erlang-base, erlang-crypto, erlang-public-key, erlang-ssl and erlang-inets, prometheus (for promtool).
As root: installs what is missing (apt-get), then stops the system services those packages start.
Not root: installs nothing; prints what is missing and the command to install it; exits 0.

  --dry-run   print what is missing and what would be installed; change nothing
  -h, --help  print this help and change nothing
EOF
}
dry=0
for a in "$@"; do case "$a" in -h|--help) usage; exit 0 ;; esac; done # --help wins over anything
for a in "$@"; do
  case "$a" in
    --dry-run) dry=1 ;;
    *) echo "error USAGE: unknown argument '$a'. Usage: scripts/setup-peers.sh [--dry-run] (--help for details)" >&2; exit 1 ;;
  esac
done

have() { command -v "$1" >/dev/null 2>&1; }
# Read the whole output first: `mosquitto -h | head -1` can die of SIGPIPE, which pipefail reports.
mosq_ok() { local v; have mosquitto && v="$(mosquitto -h 2>/dev/null || true)" && grep -Eq '^mosquitto version 2\.0\.(1[89]|2[0-9])' <<<"${v%%$'\n'*}"; }

# Each missing peer: "what it is|Debian package|from backports (yes/no)".
missing=()
mosq_ok || missing+=("mosquitto 2.0.18+|mosquitto|yes")
{ have mosquitto_passwd && have mosquitto_pub; } || missing+=("mosquitto clients (mosquitto_passwd and mosquitto_pub)|mosquitto-clients|yes")
have openssl || missing+=("openssl|openssl|no")
# The EMQX tests hash with Erlang's crypto application, a package of its own (erlang-crypto).
erl_ok() { have erl && erl -noshell -eval 'halt(case code:ensure_loaded(crypto) of {module, crypto} -> 0; _ -> 1 end).' >/dev/null 2>&1; }
erl_ok || missing+=("Erlang (erl) with crypto|erlang-base erlang-crypto|no")
# The EMQX CRL server test signs with public_key and checks revocation with OTP's ssl and inets (httpc).
erl_ssl_ok() { have erl && erl -noshell -eval 'halt(case [code:ensure_loaded(M) || M <- [public_key, ssl, httpc]] of [{module, _}, {module, _}, {module, _}] -> 0; _ -> 1 end).' >/dev/null 2>&1; }
erl_ssl_ok || missing+=("Erlang public_key/ssl/inets|erlang-public-key erlang-ssl erlang-inets|no")
have promtool || missing+=("promtool|prometheus|no")

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-peers: all peers present"; exit 0
fi
names=$(printf '%s\n' "${missing[@]}" | cut -d'|' -f1 | paste -sd, - | sed 's/,/, /g')
backports=$(printf '%s\n' "${missing[@]}" | awk -F'|' '$3=="yes"{print $2}' | paste -sd' ' -)
plain=$(printf '%s\n' "${missing[@]}" | awk -F'|' '$3=="no"{print $2}' | paste -sd' ' -)

if [ "$dry" = 1 ]; then
  echo "setup-peers: missing: $names"
  [ -n "$backports" ] && echo "setup-peers: would run: apt-get install -t bookworm-backports $backports"
  [ -n "$plain" ] && echo "setup-peers: would run: apt-get install --no-install-recommends $plain"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-peers: not root, so nothing is installed. Missing: $names."
  echo "setup-peers: their tests will be reported as skipped with the reason. To install them, run this script as root (for example: sudo scripts/setup-peers.sh)."
  exit 0
fi
if ! have apt-get; then
  echo "error NO_APT: missing $names, and this machine has no apt-get; install them with its package manager (Debian packages: $backports $plain)." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ -n "$backports" ]; then
  src=/etc/apt/sources.list.d/debian.sources
  if [ -f "$src" ] && ! grep -q 'bookworm-backports' "$src"; then
    sed -i 's/^Suites: bookworm bookworm-updates$/Suites: bookworm bookworm-updates bookworm-backports/' "$src"
  fi
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/backports.list
  fi
fi
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package lists is intended
[ -z "$backports" ] || apt-get install -y -qq -t bookworm-backports $backports >/dev/null
# shellcheck disable=SC2086
[ -z "$plain" ] || apt-get install -y -qq --no-install-recommends $plain >/dev/null
# The Debian packages start a system broker on 1883 and a Prometheus server on 9090 where an init
# system runs; the tests start their own processes on loopback ports and need neither.
(systemctl stop mosquitto 2>/dev/null || service mosquitto stop 2>/dev/null || pkill -x mosquitto) >/dev/null 2>&1 || true
(systemctl stop prometheus 2>/dev/null || service prometheus stop 2>/dev/null) >/dev/null 2>&1 || true
if ! { mosq_ok && have mosquitto_passwd && have openssl && have erl && have promtool; }; then
  echo "error INSTALL: apt-get finished but a peer is still missing or too old (wanted: $names); check the apt sources for bookworm-backports." >&2
  exit 1
fi
echo "setup-peers: installed $names"
