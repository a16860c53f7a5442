#!/bin/sh
# mqtt-fortress: builds Mosquitto's hashed password files from a mounted Secret of plaintext
# passwords and stages the TLS certificate from its Secret; in "watch" mode it rebuilds or
# re-stages when a Secret changes, validates, then reloads the broker.
# Runs in the eclipse-mosquitto image (busybox sh, mosquitto, mosquitto_passwd, mosquitto_sub), as
# the broker's non-root UID.
#
#   fortress-auth.sh build   build once (init container); exit non-zero on any problem
#   fortress-auth.sh once    rebuild if the inputs changed since the last build, validate, SIGHUP
#   fortress-auth.sh watch   "once" every FORTRESS_INTERVAL seconds (sidecar)
#
# Environment:
#   FORTRESS_PLAIN    directory of the mounted Secret: one file per username holding its password
#   FORTRESS_USERS    file listing usernames of the TLS listener, one per line
#   FORTRESS_METRICS_USERS  file listing usernames of the loopback metrics listener (optional)
#   FORTRESS_OUT      directory for passwd (and passwd-metrics); shared with the broker
#   FORTRESS_SCRATCH  private tmpfs directory for plaintext staging (not mounted by the broker)
#   FORTRESS_ACLS     space-separated ACL files the broker reads; checked before every reload
#   FORTRESS_MODE     acl-file (default: SIGHUP reloads) or dynamic-security (the plugin ignores
#                     SIGHUP: the reloader restarts mosquitto with SIGTERM and kubelet starts it again)
#   FORTRESS_DYNSEC_TEMPLATE  dynamic-security JSON with @FORTRESS-HASH:<user>@ / @FORTRESS-SALT:<user>@
#                     markers (dynamic-security mode); the result is FORTRESS_OUT/dynamic-security.json
#   FORTRESS_ACL_GZ   gzipped ACL (large fleets); unpacked and validated into FORTRESS_OUT/acl
#   FORTRESS_TLS_SRC  mounted TLS Secret (tls.crt, tls.key, ca.crt); optional
#   FORTRESS_TLS_CA_SRC  mounted Secret whose ca.crt verifies client certificates (default: the
#                     TLS Secret's ca.crt)
#   FORTRESS_TLS_DIR  staged copy the broker reads; a pair is staged only after a trial broker on
#                     loopback started with it and a TLS handshake against it verified
#   FORTRESS_TLS_PROBE_PORT  loopback port of the trial broker (default 48883)
#   FORTRESS_BROKER_CONF  config path that identifies the real broker process (default
#                     /mosquitto/config/mosquitto.conf)
#   FORTRESS_INTERVAL seconds between checks in watch mode (default 30)
#   MOSQUITTO_PID     pid to signal (default: found with pidof mosquitto)
# Passwords never reach stdout, stderr or the command line of any process.
set -eu
umask 077
: "${FORTRESS_PLAIN:?}" "${FORTRESS_USERS:?}" "${FORTRESS_OUT:?}" "${FORTRESS_SCRATCH:?}"
MIN_LEN=32
log() { printf '%s fortress-auth: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

# build_file OUTPUT USERLIST -> writes OUTPUT.new (hashed), returns non-zero on any problem
build_file() {
  out=$1; list=$2
  stage=$(mktemp "$FORTRESS_SCRATCH/stage.XXXXXX") || return 1
  n=0
  while IFS= read -r u || [ -n "$u" ]; do
    [ -n "$u" ] || continue
    case "$u" in *[!A-Za-z0-9._-]*) log "invalid username in user list: refusing"; rm -f "$stage"; return 1;; esac
    f="$FORTRESS_PLAIN/$u"
    if [ ! -f "$f" ]; then log "no password for user $u: the Secret has no key \"$u\""; rm -f "$stage"; return 1; fi
    pw=$(cat "$f")
    case "$pw" in *"
"*|*"$(printf '\r')"*) log "password of $u contains a line break"; rm -f "$stage"; return 1;; esac
    if [ "${#pw}" -lt "$MIN_LEN" ]; then log "password of $u is shorter than $MIN_LEN characters (baseline AUTH-2)"; rm -f "$stage"; return 1; fi
    printf '%s:%s\n' "$u" "$pw" >>"$stage"
    n=$((n + 1))
  done <"$list"
  pw=
  if ! mosquitto_passwd -U "$stage" >/dev/null 2>&1; then log "mosquitto_passwd failed"; rm -f "$stage"; return 1; fi
  # Validate: exactly n lines, every one a $7$ hash. A bad file on SIGHUP would disable auth checks.
  good=$(grep -cE '^[A-Za-z0-9._-]+:\$7\$[0-9]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$' "$stage" || true)
  total=$(grep -c '' "$stage" || true)
  if [ "$good" != "$n" ] || [ "$total" != "$n" ]; then log "hashed file failed validation ($good of $n lines valid)"; rm -f "$stage"; return 1; fi
  chmod 0400 "$stage" 2>/dev/null || true
  mv -f "$stage" "$out.new"
}

# An invalid ACL file on SIGHUP makes Mosquitto 2.0 drop ACL enforcement: check the shape of
# every line first (comments at column 0, user, topic and pattern lines only).
validate_acls() {
  for a in "$@"; do
    [ -f "$a" ] || { log "ACL file $a is missing"; return 1; }
    bad=$(grep -cvE '^(#.*|user [A-Za-z0-9._-]+|(topic|pattern) (read|write|readwrite|deny) [^ ].*|)$' "$a" || true)
    if [ "$bad" != 0 ]; then log "ACL file $a has $bad malformed line(s)"; return 1; fi
  done
}

fingerprint() {
  # The Secret volume's ..data symlink changes atomically on every update; include file contents
  # so plain directories (local runs) work too. Only a digest is kept, never the content.
  { ls -la "$FORTRESS_PLAIN/" 2>/dev/null; cat "$FORTRESS_USERS" ${FORTRESS_METRICS_USERS:+"$FORTRESS_METRICS_USERS"} ${FORTRESS_ACLS:-} ${FORTRESS_DYNSEC_TEMPLATE:-} ${FORTRESS_ACL_GZ:-}; find "$FORTRESS_PLAIN/" -type f -exec cat {} + 2>/dev/null; } | sha256sum | cut -d' ' -f1
}

# build_dynsec HASHED_PASSWD -> FORTRESS_OUT/dynamic-security.json.new: one sed pass replaces
# every user's markers with the hash and salt of its $7$ line.
build_dynsec() {
  script=$(mktemp "$FORTRESS_SCRATCH/sed.XXXXXX") || return 1
  while IFS=: read -r u rest; do
    [ -n "$u" ] || continue
    salt=$(printf '%s' "$rest" | cut -d'$' -f4)
    hash=$(printf '%s' "$rest" | cut -d'$' -f5)
    iter=$(printf '%s' "$rest" | cut -d'$' -f3)
    [ "$iter" = 101 ] || { log "unexpected iteration count for $u"; rm -f "$script"; return 1; }
    ue=$(printf '%s' "$u" | sed 's/\./\\./g')
    printf 's|@FORTRESS-HASH:%s@|%s|\ns|@FORTRESS-SALT:%s@|%s|\n' "$ue" "$hash" "$ue" "$salt" >>"$script"
  done <"$1"
  out="$FORTRESS_OUT/dynamic-security.json.new"
  case "$FORTRESS_DYNSEC_TEMPLATE" in
    *.gz) gunzip -c "$FORTRESS_DYNSEC_TEMPLATE" | sed -f "$script" >"$out" || { rm -f "$script" "$out"; return 1; } ;;
    *) sed -f "$script" "$FORTRESS_DYNSEC_TEMPLATE" >"$out" || { rm -f "$script" "$out"; return 1; } ;;
  esac
  rm -f "$script"
  if grep -q '@FORTRESS-' "$out"; then log "dynamic-security file still has users without a password in the Secret"; rm -f "$out"; return 1; fi
}

build_all() {
  # shellcheck disable=SC2086 # a space-separated list of paths
  validate_acls ${FORTRESS_ACLS:-} || return 1
  if [ -n "${FORTRESS_ACL_GZ:-}" ]; then
    gunzip -c "$FORTRESS_ACL_GZ" >"$FORTRESS_OUT/acl.new" || { log "cannot unpack $FORTRESS_ACL_GZ"; rm -f "$FORTRESS_OUT/acl.new"; return 1; }
    validate_acls "$FORTRESS_OUT/acl.new" || { rm -f "$FORTRESS_OUT/acl.new"; return 1; }
  fi
  build_file "$FORTRESS_OUT/passwd" "$FORTRESS_USERS" || return 1
  if [ "${FORTRESS_MODE:-acl-file}" = dynamic-security ]; then
    build_dynsec "$FORTRESS_OUT/passwd.new" || { rm -f "$FORTRESS_OUT/passwd.new"; return 1; }
  fi
  if [ -n "${FORTRESS_METRICS_USERS:-}" ]; then
    build_file "$FORTRESS_OUT/passwd-metrics" "$FORTRESS_METRICS_USERS" || { rm -f "$FORTRESS_OUT/passwd.new"; return 1; }
    mv -f "$FORTRESS_OUT/passwd-metrics.new" "$FORTRESS_OUT/passwd-metrics"
  fi
  mv -f "$FORTRESS_OUT/passwd.new" "$FORTRESS_OUT/passwd"
  [ -f "$FORTRESS_OUT/dynamic-security.json.new" ] && mv -f "$FORTRESS_OUT/dynamic-security.json.new" "$FORTRESS_OUT/dynamic-security.json"
  [ -f "$FORTRESS_OUT/acl.new" ] && mv -f "$FORTRESS_OUT/acl.new" "$FORTRESS_OUT/acl"
  fingerprint >"$FORTRESS_SCRATCH/fingerprint"
}

# The real broker, not a trial one: the mosquitto process started with the broker's config.
broker_pid() {
  if [ -n "${MOSQUITTO_PID:-}" ]; then echo "$MOSQUITTO_PID"; return; fi
  for p in $(pidof mosquitto 2>/dev/null); do
    if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "${FORTRESS_BROKER_CONF:-/mosquitto/config/mosquitto.conf}"; then echo "$p"; return; fi
  done
}

reload() {
  pid=$(broker_pid)
  if [ -z "$pid" ]; then log "mosquitto is not running; nothing to reload"; return 0; fi
  if [ "${FORTRESS_MODE:-acl-file}" = dynamic-security ]; then
    kill -TERM "$pid" && log "dynamic-security file rebuilt; stopped mosquitto ($pid) so that it restarts with it (the plugin ignores SIGHUP)"
  else
    kill -HUP "$pid" && log "password files rebuilt; sent SIGHUP to mosquitto ($pid)"
  fi
}

once() {
  now=$(fingerprint)
  last=$(cat "$FORTRESS_SCRATCH/fingerprint" 2>/dev/null || true)
  [ "$now" = "$last" ] && return 0
  if build_all; then reload; else log "credentials or ACL changed but the new set is invalid: keeping the current files, no reload"; return 1; fi
}


# ---- TLS: validate a certificate pair with Mosquitto itself, then stage it -------------------
tls_fingerprint() {
  cat "$FORTRESS_TLS_SRC/tls.crt" "$FORTRESS_TLS_SRC/tls.key" "$(client_ca)" 2>/dev/null | sha256sum | cut -d' ' -f1
}

client_ca() {
  if [ -n "${FORTRESS_TLS_CA_SRC:-}" ]; then echo "$FORTRESS_TLS_CA_SRC/ca.crt"; else echo "$FORTRESS_TLS_SRC/ca.crt"; fi
}

# validate_tls CERT KEY CA: a throwaway broker on loopback must start with the pair (mosquitto
# refuses a key that does not match, or unparsable files), and a TLS handshake against it must
# verify (chain to ca.crt, not expired, not yet valid): mosquitto_sub then gets a CONNACK refusal.
validate_tls() {
  for f in "$1" "$2" "$3"; do [ -s "$f" ] || { log "new certificate rejected: TLS file $f is missing or empty"; return 1; }; done
  grep -q 'BEGIN CERTIFICATE' "$1" || { log "new certificate rejected: tls.crt holds no certificate"; return 1; }
  grep -q 'PRIVATE KEY' "$2" || { log "new certificate rejected: tls.key holds no private key"; return 1; }
  port=${FORTRESS_TLS_PROBE_PORT:-48883}
  conf="$FORTRESS_SCRATCH/tls-probe.conf"
  printf 'listener %s 127.0.0.1\ncertfile %s\nkeyfile %s\ncafile %s\nallow_anonymous false\nlog_dest stderr\npersistence false\n' "$port" "$1" "$2" "$3" >"$conf"
  mosquitto -c "$conf" >"$FORTRESS_SCRATCH/tls-probe.log" 2>&1 &
  probe=$!
  i=0
  while [ $i -lt 20 ]; do
    grep -q 'running' "$FORTRESS_SCRATCH/tls-probe.log" 2>/dev/null && break
    kill -0 "$probe" 2>/dev/null || break
    sleep 0.1; i=$((i + 1))
  done
  if ! kill -0 "$probe" 2>/dev/null; then
    log "new certificate rejected: a broker cannot start with it ($(grep -m1 -E 'Error|OpenSSL' "$FORTRESS_SCRATCH/tls-probe.log" | cut -c1-200))"
    return 1
  fi
  out=$(mosquitto_sub -h 127.0.0.1 -p "$port" --cafile "$FORTRESS_TLS_SRC/ca.crt" --insecure -u fortress-probe -P fortress-probe -t probe -C 1 -W 5 2>&1)
  rc=$?
  kill "$probe" 2>/dev/null; wait "$probe" 2>/dev/null
  if [ "$rc" = 5 ] && echo "$out" | grep -q 'not authorised'; then return 0; fi
  log "new certificate rejected: the TLS handshake does not verify against ca.crt (expired, not yet valid or another CA): $(echo "$out" | head -1 | cut -c1-200)"
  return 1
}

# stage_tls -> 0 staged, 1 invalid; sets TLS_CA_CHANGED=1 when the client CA changed
stage_tls() {
  TLS_CA_CHANGED=0
  validate_tls "$FORTRESS_TLS_SRC/tls.crt" "$FORTRESS_TLS_SRC/tls.key" "$(client_ca)" || return 1
  if [ -f "$FORTRESS_TLS_DIR/ca.crt" ] && ! cmp -s "$(client_ca)" "$FORTRESS_TLS_DIR/ca.crt"; then TLS_CA_CHANGED=1; fi
  for f in tls.crt tls.key; do cp "$FORTRESS_TLS_SRC/$f" "$FORTRESS_TLS_DIR/$f.new" && chmod 0400 "$FORTRESS_TLS_DIR/$f.new" 2>/dev/null; done
  cp "$(client_ca)" "$FORTRESS_TLS_DIR/ca.crt.new"
  for f in tls.crt tls.key ca.crt; do mv -f "$FORTRESS_TLS_DIR/$f.new" "$FORTRESS_TLS_DIR/$f"; done
  tls_fingerprint >"$FORTRESS_SCRATCH/tls-fingerprint"
}

tls_once() {
  [ -n "${FORTRESS_TLS_SRC:-}" ] || return 0
  now=$(tls_fingerprint)
  [ "$now" = "$(cat "$FORTRESS_SCRATCH/tls-fingerprint" 2>/dev/null)" ] && return 0
  if ! stage_tls; then log "keeping the current certificate"; return 1; fi
  pid=$(broker_pid)
  [ -n "$pid" ] || { log "certificate staged; mosquitto is not running"; return 0; }
  if [ "$TLS_CA_CHANGED" = 1 ]; then
    # Mosquitto does not reload cafile on SIGHUP: restart so client certificates verify against the new CA.
    kill -TERM "$pid" && log "client CA changed: stopped mosquitto ($pid) so that it restarts with the new CA"
  else
    kill -HUP "$pid" && log "certificate renewed and validated; sent SIGHUP to mosquitto ($pid)"
  fi
}

case "${1:-}" in
  build)
    # "&&" lists are exempt from set -e: fail the init container explicitly.
    build_all || exit 1
    log "built password files"
    if [ -n "${FORTRESS_TLS_SRC:-}" ]; then
      stage_tls || { log "no valid certificate to start with"; exit 1; }
      log "staged the validated certificate"
    fi ;;
  once) rc=0; once || rc=1; tls_once || rc=1; exit $rc ;;
  tls-once) tls_once ;;
  watch)
    [ -f "$FORTRESS_SCRATCH/fingerprint" ] || fingerprint >"$FORTRESS_SCRATCH/fingerprint"
    while :; do once || true; tls_once || true; sleep "${FORTRESS_INTERVAL:-30}"; done ;;
  *) echo "usage: fortress-auth.sh build|once|tls-once|watch" >&2; exit 2 ;;
esac
