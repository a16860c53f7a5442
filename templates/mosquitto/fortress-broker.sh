#!/bin/sh
# mqtt-fortress: the broker container's entrypoint. Runs mosquitto as its child and reloads it
# when the credentials reloader (fortress-auth.sh, another container under another UID, with no
# shared process namespace) has staged validated files: SIGHUP for passwords, ACL and a renewed
# certificate; a restart of the mosquitto process for the dynamic-security plugin and a new client
# CA (neither is reloaded by SIGHUP). The broker container never sees a plaintext password.
# POSIX sh (busybox in the eclipse-mosquitto image); no tool beyond sleep, kill and mosquitto_sub.
#
#   fortress-broker.sh run CONF REQUEST_DIR   supervise mosquitto -c CONF; REQUEST_DIR holds the
#                                             reload-hup / reload-restart files the reloader writes
#   fortress-broker.sh ready PORT CAFILE [certificate]
#                                             readiness: exit 0 only if a TLS handshake with the
#                                             broker on 127.0.0.1:PORT verifies against CAFILE
#
# Environment: FORTRESS_WATCH_INTERVAL seconds between checks of the request files (default 1).
set -u
log() { printf '%s fortress-broker: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

# seq_of FILE -> the request counter in FILE (0 when absent)
seq_of() {
  s=0
  if [ -f "$1" ]; then read -r s _ <"$1" || s=0; fi
  echo "${s:-0}"
}

run() {
  conf=$1; req=$2
  hup_seen=$(seq_of "$req/reload-hup")
  restart_seen=$(seq_of "$req/reload-restart")
  stopping=0
  trap 'stopping=1; [ -n "${pid:-}" ] && kill -TERM "$pid" 2>/dev/null' TERM INT
  mosquitto -c "$conf" &
  pid=$!
  while :; do
    sleep "${FORTRESS_WATCH_INTERVAL:-1}" &
    wait $! 2>/dev/null || true
    if [ "$stopping" = 1 ] || ! kill -0 "$pid" 2>/dev/null; then
      rc=0; wait "$pid" || rc=$?
      [ "$stopping" = 1 ] && exit 0
      log "mosquitto exited with status $rc"
      exit $((rc == 0 ? 1 : rc))
    fi
    r=$(seq_of "$req/reload-restart")
    if [ "$r" != "$restart_seen" ]; then
      restart_seen=$r
      # A restart re-reads every file, so a pending SIGHUP is covered too.
      hup_seen=$(seq_of "$req/reload-hup")
      log "restart requested ($r): stopping mosquitto ($pid)"
      kill -TERM "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null || true
      [ "$stopping" = 1 ] && exit 0
      mosquitto -c "$conf" &
      pid=$!
      log "mosquitto restarted ($pid)"
      continue
    fi
    h=$(seq_of "$req/reload-hup")
    if [ "$h" != "$hup_seen" ]; then
      hup_seen=$h
      kill -HUP "$pid" && log "reload requested ($h): sent SIGHUP to mosquitto ($pid)"
    fi
  done
}

# The probe completes a TLS handshake and an MQTT CONNECT whose unsupported authentication method
# the broker refuses (CONNACK 140): no credential, and no "not authorised" line for the
# authentication-failure alert. A listener that requires client certificates cannot complete a
# handshake without one: there the probe passes when the server's certificate verified and the
# server then asked for a client certificate ("certificate required"), tried a few times because
# the alert may arrive before the client reports it.
ready() {
  port=$1; ca=$2; mode=${3:-password}
  if [ "$mode" != certificate ]; then
    out=$(mosquitto_sub -h 127.0.0.1 -p "$port" --cafile "$ca" --insecure -V 5 -D connect authentication-method fortress-readiness -u fortress-readiness -i fortress-readiness -t fortress/readiness -C 1 -W 3 2>&1)
    rc=$?
    if [ "$rc" = 140 ]; then exit 0; fi
    echo "not ready: no verified TLS handshake with the broker on port $port (exit $rc): $(echo "$out" | head -1 | cut -c1-200)"
    exit 1
  fi
  i=0
  while [ $i -lt 6 ]; do
    out=$(mosquitto_sub -d -h 127.0.0.1 -p "$port" --cafile "$ca" --insecure -V 5 -i fortress-readiness -t fortress/readiness -C 1 -W 3 2>&1)
    case "$out" in
      *"verify failed"*|*"expired"*) break ;;
      *"certificate required"*) exit 0 ;;
    esac
    i=$((i + 1))
  done
  echo "not ready: no verified TLS handshake with the broker on port $port: $(echo "$out" | grep -m1 -E 'Error|rror' | cut -c1-200)"
  exit 1
}

case "${1:-}" in
  run) [ $# -eq 3 ] || { echo "usage: fortress-broker.sh run CONF REQUEST_DIR" >&2; exit 2; }; run "$2" "$3" ;;
  ready) [ $# -ge 3 ] || { echo "usage: fortress-broker.sh ready PORT CAFILE [certificate]" >&2; exit 2; }; ready "$2" "$3" "${4:-password}" ;;
  *) echo "usage: fortress-broker.sh run CONF REQUEST_DIR | ready PORT CAFILE [certificate]" >&2; exit 2 ;;
esac
