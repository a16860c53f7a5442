#!/bin/sh
# mqtt-fortress for EMQX: runs the CRL server (fortress-crl.erl) with the image's Erlang runtime.
set -eu
umask 077
here=$(dirname "$0")
erl=${FORTRESS_ERL:-}
if [ -z "$erl" ]; then
  for e in /opt/emqx/erts-*/bin/erl; do [ -x "$e" ] && erl=$e && break; done
fi
[ -n "$erl" ] || erl=erl
exec "$erl" -noshell -eval "$(cat "$here/fortress-crl.erl")"
