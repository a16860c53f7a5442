#!/usr/bin/env bash
# Installs the real peers the integration tests talk to: Mosquitto 2.0.21 (bookworm-backports),
# mosquitto-clients, openssl and Erlang (for EMQX acl.conf checks). Needs root; without root it
# only reports what is missing (those tests then skip with a reason, they never pass).
set -euo pipefail
have() { command -v "$1" >/dev/null 2>&1; }
mosq_ok() { have mosquitto && mosquitto -h 2>/dev/null | head -1 | grep -Eq 'mosquitto version 2\.0\.(1[89]|2[0-9])'; }
if mosq_ok && have openssl && have erl && have mosquitto_passwd; then
  echo "setup-peers: all peers present ($(mosquitto -h | head -1))"; exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-peers: not root; cannot install peers. Missing ones make their tests skip." >&2; exit 0
fi
src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ] && ! grep -q 'bookworm-backports' "$src"; then
  sed -i 's/^Suites: bookworm bookworm-updates$/Suites: bookworm bookworm-updates bookworm-backports/' "$src"
fi
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/backports.list
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t bookworm-backports mosquitto mosquitto-clients >/dev/null
apt-get install -y -qq openssl erlang-base >/dev/null
# promtool (check rules) ships with Debian's prometheus package.
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# The Debian package starts a system broker on 1883; tests start their own on other ports.
(systemctl stop mosquitto 2>/dev/null || service mosquitto stop 2>/dev/null || pkill -x mosquitto) >/dev/null 2>&1 || true
echo "setup-peers: $(mosquitto -h | head -1); erl $(erl -noshell -eval 'io:format("~s",[erlang:system_info(otp_release)]),halt().')"
