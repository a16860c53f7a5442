#!/bin/sh
# mqtt-fortress for EMQX: runs hash-credentials.erl with the image's Erlang runtime, as the init
# container (FORTRESS_MODE=bootstrap, writes bootstrap.csv) or as the credential-sync sidecar
# (FORTRESS_MODE=sync, imports rotated passwords through the node's REST API).
set -eu
umask 077
: "${FORTRESS_PLAIN:?}" "${FORTRESS_USERS:?}"
case "${FORTRESS_MODE:-bootstrap}" in
  bootstrap) : "${FORTRESS_OUT:?}" ;;
  sync) : "${FORTRESS_API_KEYS:?}" ;;
esac
here=$(dirname "$0")
erl=${FORTRESS_ERL:-}
if [ -z "$erl" ]; then
  for e in /opt/emqx/erts-*/bin/erl; do [ -x "$e" ] && erl=$e && break; done
fi
[ -n "$erl" ] || erl=erl
exec "$erl" -noshell -eval "$(cat "$here/hash-credentials.erl")"
