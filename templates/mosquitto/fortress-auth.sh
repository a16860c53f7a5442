#!/bin/sh
# mqtt-fortress: builds Mosquitto's hashed password files from a mounted Secret of plaintext
# passwords, and (in "watch" mode) rebuilds them when the Secret changes, then reloads the broker.
# Runs in the eclipse-mosquitto image (busybox sh + mosquitto_passwd), as the broker's non-root UID.
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

reload() {
  pid=${MOSQUITTO_PID:-$(pidof mosquitto 2>/dev/null || true)}
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

case "${1:-}" in
  build) build_all && log "built password files" ;;
  once) once ;;
  watch)
    [ -f "$FORTRESS_SCRATCH/fingerprint" ] || fingerprint >"$FORTRESS_SCRATCH/fingerprint"
    while :; do once || true; sleep "${FORTRESS_INTERVAL:-30}"; done ;;
  *) echo "usage: fortress-auth.sh build|once|watch" >&2; exit 2 ;;
esac
