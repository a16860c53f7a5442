#!/bin/sh
# mqtt-fortress init container for EMQX: runs hash-credentials.erl with the image's Erlang runtime.
set -eu
umask 077
: "${FORTRESS_PLAIN:?}" "${FORTRESS_USERS:?}" "${FORTRESS_OUT:?}"
here=$(dirname "$0")
erl=${FORTRESS_ERL:-}
if [ -z "$erl" ]; then
  for e in /opt/emqx/erts-*/bin/erl; do [ -x "$e" ] && erl=$e && break; done
fi
[ -n "$erl" ] || erl=erl
exec "$erl" -noshell -eval "$(cat "$here/hash-credentials.erl")"
