#!/bin/sh
# mqtt-fortress: builds Mosquitto's hashed password files from a mounted Secret of plaintext
# passwords and stages the TLS certificate from its Secret; in "watch" mode it rebuilds or
# re-stages when a Secret changes, validates, then asks the broker to reload.
# Runs in the eclipse-mosquitto image (busybox sh, mosquitto, mosquitto_passwd, mosquitto_sub) in
# its own container, under a UID of its own: it is the only container that mounts the plaintext
# Secret. The broker container (fortress-broker.sh) shares no process namespace with it; it reads
# the hashed files and the staged certificate from memory volumes and reloads when this script
# writes a reload request (FORTRESS_OUT/reload-hup or reload-restart).
#
#   fortress-auth.sh build     build once (init container); exit non-zero on any problem
#   fortress-auth.sh once      rebuild if the inputs changed since the last build, validate, request a reload
#   fortress-auth.sh tls-once  the same for the certificate only
#   fortress-auth.sh watch     "once" every FORTRESS_INTERVAL seconds (sidecar)
#
# One file, though over the project's 400 lines: it is shipped as the single ConfigMap key
# `fortress-auth.sh` and run as `/bin/sh <config>/fortress-auth.sh build|watch` by the init
# container and the reloader (constructs/mosquitto/objects.ts), and the same way by the local
# bundle, the tests and the benchmark. The audit (REV-2) compares the shipped key with this file,
# and its bytes are part of the pod's restart hash. Sourced parts would each need a ConfigMap key
# of their own, a path known to every caller and an audit entry, for parts (snapshots, password
# files, ACL checks, TLS staging, reload requests) that share one set of variables and the
# `set -eu` error path.
#
# Every cycle reads each input once into a private snapshot (FORTRESS_SCRATCH), validates and
# fingerprints that copy, stages exactly what was validated, and records the fingerprint as
# applied only if the source did not move meanwhile (a kubelet Secret volume swaps its "..data"
# symlink atomically: the snapshot is taken from the version directory it points to).
#
# Environment:
#   FORTRESS_PLAIN    directory of the mounted Secret: one file per username holding its password;
#                     or, for a fleet larger than one Secret, the directories of its shards
#                     separated by spaces (merged into one snapshot; a key in two shards is refused)
#   FORTRESS_USERS    file listing usernames of the TLS listener, one per line
#   FORTRESS_METRICS_USERS  file listing usernames of the loopback metrics listener (optional)
#   FORTRESS_OUT      directory for passwd (and passwd-metrics); shared with the broker
#   FORTRESS_SCRATCH  private directory for plaintext snapshots (not mounted by the broker)
#   FORTRESS_ACLS     space-separated ACL files the broker reads; checked before every reload
#   FORTRESS_MODE     acl-file (default: the broker reloads with SIGHUP) or dynamic-security (the
#                     plugin ignores SIGHUP: the broker's supervisor restarts mosquitto)
#   FORTRESS_DYNSEC_TEMPLATE  dynamic-security JSON with @FORTRESS-HASH:<user>@ / @FORTRESS-SALT:<user>@
#                     markers (dynamic-security mode); the result is FORTRESS_OUT/dynamic-security.json
#   FORTRESS_ACL_GZ   gzipped ACL (large fleets); unpacked and validated into FORTRESS_OUT/acl
#   FORTRESS_TLS_SRC  mounted TLS Secret (tls.crt, tls.key, ca.crt); optional
#   FORTRESS_TLS_CA_SRC  mounted Secret whose ca.crt verifies client certificates (default: the
#                     TLS Secret's ca.crt)
#   FORTRESS_TLS_DIR  staged copy the broker reads (tls.crt, tls.key, ca.crt = client CA,
#                     server-ca.crt = the CA of the server certificate, for the readiness probe);
#                     a pair is staged only after a trial broker on loopback started with it and a
#                     TLS handshake against it verified
#   FORTRESS_TLS_PROBE_PORT  loopback port of the trial broker (default 48883)
#   FORTRESS_INTERVAL seconds between checks in watch mode (default 30)
#   FORTRESS_CRL_INDEX  declared revoked client certificates; with it, fortress-crl.sh (next to this
#                     script) signs and refreshes FORTRESS_TLS_DIR/crl.pem (see its header)
#   MOSQUITTO_PID     local runs without fortress-broker.sh only: also signal this pid directly
# Passwords never reach stdout, stderr, an environment variable or the command line of any process.
set -eu
umask 077
: "${FORTRESS_PLAIN:?}" "${FORTRESS_USERS:?}" "${FORTRESS_OUT:?}" "${FORTRESS_SCRATCH:?}"
MIN_LEN=32
CR=$(printf '\r')
log() { printf '%s fortress-auth: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

# ---- snapshots ---------------------------------------------------------------------------------
# version DIR -> the target of DIR/..data (a kubelet Secret or ConfigMap volume), or "-" for a
# plain directory.
version() { readlink "$1/..data" 2>/dev/null || echo -; }

# copy_secret DIR DEST -> copies every key of the current version of DIR into DEST; fails when the
# volume moved to another version during the copy (the old version directory is then deleted).
copy_secret() {
  v=$(version "$1")
  if [ "$v" = - ]; then src=$1; else src=$1/$v; fi
  cp -R "$src/." "$2/" 2>/dev/null || return 1
  [ "$(version "$1")" = "$v" ] || return 1
  COPIED_VERSION=$v
}

# fingerprint_dir DIR -> digest of every file name and content under DIR (only a digest is kept)
fingerprint_dir() { (cd "$1" && find . -type f -exec sha256sum {} + | LC_ALL=C sort | sha256sum | cut -d' ' -f1); }

# config_digest -> digest of the live user lists, ACLs and templates (small files)
config_digest() {
  # shellcheck disable=SC2086 # space-separated lists of paths
  cat "$FORTRESS_USERS" ${FORTRESS_METRICS_USERS:+"$FORTRESS_METRICS_USERS"} ${FORTRESS_ACLS:-} ${FORTRESS_DYNSEC_TEMPLATE:-} ${FORTRESS_ACL_GZ:-} 2>/dev/null | sha256sum | cut -d' ' -f1
}

# versions -> the version of every directory of FORTRESS_PLAIN (one per shard), space-separated.
versions() {
  vs=
  for d in $FORTRESS_PLAIN; do vs="$vs${vs:+ }$(version "$d")"; done
  echo "$vs"
}

# quick_key -> "<Secret versions> <config digest>" for kubelet Secret volumes (their version
# directories never change once written), empty when any is a plain directory. An unchanged key
# skips the snapshot: a cycle with nothing new reads no password.
quick_key() {
  vs=$(versions)
  case " $vs " in *" - "*) ;; *) echo "$vs $(config_digest)" ;; esac
}

# copy_plain DEST -> copies the current version of every shard of FORTRESS_PLAIN into DEST (one
# directory of keys) and sets COPIED_VERSIONS (their versions, space-separated). Returns 1 when a
# shard moved during the copy (copy_secret; worth a retry), 2 when a key is in two shards (logged;
# the set is refused: which password is meant would be a guess).
copy_plain() {
  case "$FORTRESS_PLAIN" in
    *" "*) ;;
    *) copy_secret "$FORTRESS_PLAIN" "$1" || return 1; COPIED_VERSIONS=$COPIED_VERSION; return 0 ;;
  esac
  COPIED_VERSIONS=
  i=0
  for d in $FORTRESS_PLAIN; do
    i=$((i + 1))
    mkdir "$1.$i" && copy_secret "$d" "$1.$i" || { rm -rf "$1".*; return 1; }
    COPIED_VERSIONS="$COPIED_VERSIONS${COPIED_VERSIONS:+ }$COPIED_VERSION"
  done
  dup=$(j=0; while [ "$j" -lt "$i" ]; do j=$((j + 1)); ls -A "$1.$j"; done | sort | uniq -d | head -n 1)
  if [ -n "$dup" ]; then
    log "the key \"$dup\" is in two credential Secrets (shards): refusing the new set until it is in one only (a shard moved by a resharding is cleared at its next refresh)"
    rm -rf "$1".*; return 2
  fi
  j=0
  while [ "$j" -lt "$i" ]; do
    j=$((j + 1))
    cp -R "$1.$j/." "$1/" && rm -rf "$1.$j" || { rm -rf "$1".*; return 1; }
  done
}

# snapshot -> SNAP (a private copy of every credential input), SNAP_FP, SNAP_VERSION, SNAP_QUICK
snapshot() {
  SNAP_QUICK=$(quick_key)
  SNAP=$(mktemp -d "$FORTRESS_SCRATCH/snap.XXXXXX") || return 1
  tries=0
  while :; do
    mkdir "$SNAP/plain" "$SNAP/cfg"
    rc=0; copy_plain "$SNAP/plain" || rc=$?
    [ "$rc" = 0 ] && break
    [ "$rc" = 2 ] && { rm -rf "$SNAP"; return 1; }
    tries=$((tries + 1))
    rm -rf "${SNAP:?}/plain" "${SNAP:?}/cfg"
    [ "$tries" -lt 3 ] || { log "the credentials Secret kept changing while it was read; retrying next cycle"; rm -rf "$SNAP"; return 1; }
  done
  SNAP_VERSION=$COPIED_VERSIONS
  cp "$FORTRESS_USERS" "$SNAP/cfg/users" || { rm -rf "$SNAP"; return 1; }
  if [ -n "${FORTRESS_METRICS_USERS:-}" ]; then cp "$FORTRESS_METRICS_USERS" "$SNAP/cfg/metrics-users" || { rm -rf "$SNAP"; return 1; }; fi
  i=0
  for a in ${FORTRESS_ACLS:-}; do
    i=$((i + 1))
    if [ -f "$a" ]; then cp "$a" "$SNAP/cfg/acl-$i"; fi
  done
  if [ -n "${FORTRESS_DYNSEC_TEMPLATE:-}" ]; then cp "$FORTRESS_DYNSEC_TEMPLATE" "$SNAP/cfg/dynsec-template" || { rm -rf "$SNAP"; return 1; }; fi
  if [ -n "${FORTRESS_ACL_GZ:-}" ]; then cp "$FORTRESS_ACL_GZ" "$SNAP/cfg/acl.gz" || { rm -rf "$SNAP"; return 1; }; fi
  SNAP_FP=$(fingerprint_dir "$SNAP")
}

# ---- credentials -------------------------------------------------------------------------------
# build_file OUTPUT USERLIST -> writes OUTPUT.new (hashed) from the snapshot. An identity without
# a valid password in the snapshot (no key yet, too short, a line break) does not block the rest:
# it keeps its current hash if it has one, is left out otherwise, and is logged as incomplete.
#
# Only what changed is hashed: FORTRESS_SCRATCH/digests-<file> holds "username sha256-of-password"
# for every line the last build hashed. A username whose password digest is unchanged and whose
# line is in the current file keeps that line; the rest (new, changed, incomplete) go through the
# checks and mosquitto_passwd. The digests stay in the private scratch volume, next to the
# plaintext snapshots, and are replaced only after the file they describe (apply_digests).
build_file() {
  out=$1; list=$2
  digests="$FORTRESS_SCRATCH/digests-${out##*/}"
  stage=$(mktemp "$FORTRESS_SCRATCH/stage.XXXXXX") || return 1
  keep=$(mktemp "$FORTRESS_SCRATCH/keep.XXXXXX") || { rm -f "$stage"; return 1; }
  todo=$(mktemp "$FORTRESS_SCRATCH/todo.XXXXXX") || { rm -f "$stage" "$keep"; return 1; }
  now=$(mktemp "$FORTRESS_SCRATCH/now.XXXXXX") || { rm -f "$stage" "$keep" "$todo"; return 1; }
  # One sha256sum for every key of the snapshot: "digest  ./username".
  (cd "$SNAP/plain" && find . -maxdepth 1 -type f -exec sha256sum {} +) | awk '{ sub(/^\.\//, "", $2); print $2, $1 }' >"$now" || { rm -f "$stage" "$keep" "$todo" "$now"; return 1; }
  # reuse: lines of the current file for unchanged users; todo: every other listed user. The
  # first build has neither digests nor a current file: empty stand-ins.
  [ -f "$digests" ] || : >"$digests"
  cur=$out; [ -f "$cur" ] || { cur="$stage.none"; : >"$cur"; }
  awk -v reuse="$stage.reuse" -v todo="$todo" '
    FILENAME == ARGV[1] { now[$1] = $2; next }
    FILENAME == ARGV[2] { old[$1] = $2; next }
    FILENAME == ARGV[3] { i = index($0, ":"); if (i > 1) line[substr($0, 1, i - 1)] = $0; next }
    $0 != "" {
      if (($0 in now) && ($0 in old) && now[$0] == old[$0] && ($0 in line)) { print line[$0] > reuse; print $0, now[$0] > (reuse ".digests") }
      else print $0 > todo
    }' "$now" "$digests" "$cur" "$list" || { log "cannot compare the password digests"; rm -f "$stage" "$keep" "$todo" "$now" "$stage.none" "$stage.reuse" "$stage.reuse.digests"; return 1; }
  rm -f "$stage.none"
  [ -f "$stage.reuse" ] || : >"$stage.reuse"
  [ -f "$stage.reuse.digests" ] || : >"$stage.reuse.digests"
  r=$(grep -c '' "$stage.reuse" || true)
  # One awk for every identity to hash (a shell loop cost a read per byte and made a 50 000-fleet
  # start take minutes): the first line of its key is the password; any further non-empty line,
  # or a carriage return, is a line break inside it. Valid ones go to the staging file as
  # "user:password" (the password never reaches a command line); the others, with the reason,
  # to $todo.bad. Byte lengths (LC_ALL=C), as the shell counted them.
  LC_ALL=C awk -v dir="$SNAP/plain" -v min="$MIN_LEN" -v stage="$stage" -v hashed="$todo.hashed" -v bad="$todo.bad" '
    $0 == "" { next }
    /[^A-Za-z0-9._-]/ { exit 3 }
    {
      f = dir "/" $0; pw = ""; ln = 0; last = 0
      while ((rc = (getline l < f)) > 0) { ln++; if (ln == 1) pw = l; if (l != "") last = ln }
      close(f)
      if (rc < 0 && ln == 0) { print $0, "nokey" > bad; next }
      if (last > 1 || index(pw, "\r") > 0) { print $0, "linebreak" > bad; next }
      if (length(pw) < min) { print $0, "short" > bad; next }
      print $0 ":" pw > stage; print $0 > hashed
    }' "$todo" || { log "invalid username in user list: refusing"; rm -f "$stage" "$keep" "$todo" "$todo.hashed" "$todo.bad" "$now" "$stage.reuse" "$stage.reuse.digests"; return 1; }
  n=0; [ -f "$todo.hashed" ] && n=$(grep -c '' "$todo.hashed")
  # Incomplete identities keep their current line if they have one (one awk over the current file).
  k=0; curf=$out; [ -f "$curf" ] || curf=/dev/null
  if [ -f "$todo.bad" ]; then
    awk -v keep="$keep" -v inc="$SNAP/incomplete" -v min="$MIN_LEN" '
      FILENAME == ARGV[1] { i = index($0, ":"); if (i > 1) line[substr($0, 1, i - 1)] = $0; next }
      {
        why = $2 == "nokey" ? "the Secret has no key \"" $1 "\"" : $2 == "linebreak" ? "its password contains a line break" : "its password is shorter than " min " characters (baseline AUTH-2)"
        if ($1 in line) { print line[$1] >> keep; printf "incomplete identity %s: %s; it keeps its current password until the Secret holds a valid one\n", $1, why >> inc }
        else printf "incomplete identity %s: %s; not admitted until the Secret holds a valid one\n", $1, why >> inc
      }' "$curf" "$todo.bad" || { log "cannot record the incomplete identities"; rm -f "$stage" "$keep" "$todo" "$todo.hashed" "$todo.bad" "$now" "$stage.reuse" "$stage.reuse.digests"; return 1; }
    [ -f "$keep" ] && k=$(grep -c '' "$keep")
    rm -f "$todo.bad"
  fi
  pw=
  if [ "$n" -gt 0 ] && ! mosquitto_passwd -U "$stage" >/dev/null 2>&1; then log "mosquitto_passwd failed"; rm -f "$stage" "$keep" "$todo" "$todo.hashed" "$now" "$stage.reuse" "$stage.reuse.digests"; return 1; fi
  # The digests of what this file now holds: the reused lines' and the freshly hashed ones'.
  { cat "$stage.reuse.digests"; [ -f "$todo.hashed" ] && awk 'FILENAME == ARGV[1] { d[$1] = $2; next } { print $1, d[$1] }' "$now" "$todo.hashed"; } >"$digests.new"
  cat "$keep" "$stage.reuse" >>"$stage"; rm -f "$keep" "$todo" "$todo.hashed" "$now" "$stage.reuse" "$stage.reuse.digests"
  # Validate: exactly n + k + r lines, every one a $7$ hash. A bad file on SIGHUP would disable auth checks.
  good=$(grep -cE '^[A-Za-z0-9._-]+:\$7\$[0-9]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$' "$stage" || true)
  total=$(grep -c '' "$stage" || true)
  if [ "$good" != $((n + k + r)) ] || [ "$total" != $((n + k + r)) ]; then log "hashed file failed validation ($good of $((n + k + r)) lines valid)"; rm -f "$stage" "$digests.new"; return 1; fi
  # Group-readable: the broker runs under another UID in the same group.
  chmod 0440 "$stage"
  mv -f "$stage" "$out.new"
}

# apply_digests FILE -> the digests of FILE's new version take effect. The old ones are removed
# before FILE is replaced: a stop in between leaves no digests (the next build hashes everything),
# never digests that describe another version of FILE.
forget_digests() { rm -f "$FORTRESS_SCRATCH/digests-${1##*/}"; }
apply_digests() { if [ -f "$FORTRESS_SCRATCH/digests-${1##*/}.new" ]; then mv -f "$FORTRESS_SCRATCH/digests-${1##*/}.new" "$FORTRESS_SCRATCH/digests-${1##*/}"; fi; }

# An invalid ACL file on SIGHUP makes Mosquitto 2.0 drop ACL enforcement: check the shape of
# every line first (comments at column 0, user, topic and pattern lines only).
validate_acls() {
  for a in "$@"; do
    [ -f "$a" ] || { log "ACL file $a is missing"; return 1; }
    bad=$(grep -cvE '^(#.*|user [A-Za-z0-9._-]+|(topic|pattern) (read|write|readwrite|deny) [^ ].*|)$' "$a" || true)
    if [ "$bad" != 0 ]; then log "ACL file $a has $bad malformed line(s)"; return 1; fi
  done
}

# build_dynsec HASHED_PASSWD -> FORTRESS_OUT/dynamic-security.json.new: one sed pass replaces
# every user's markers with the hash and salt of its $7$ line; identities left out (incomplete)
# are removed from the JSON's clients instead of keeping a marker.
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
  case "${FORTRESS_DYNSEC_TEMPLATE:-}" in
    *.gz) gunzip -c "$SNAP/cfg/dynsec-template" | sed -f "$script" >"$out" || { rm -f "$script" "$out"; return 1; } ;;
    *) sed -f "$script" "$SNAP/cfg/dynsec-template" >"$out" || { rm -f "$script" "$out"; return 1; } ;;
  esac
  rm -f "$script"
  if grep -q '@FORTRESS-' "$out"; then
    # Incomplete identities keep a marker: lock them out with a random hash and salt of the
    # plugin's format (64 and 12 bytes) that no password matches, instead of refusing every change.
    hash=$(head -c 64 /dev/urandom | base64 | tr -d '\n')
    salt=$(head -c 12 /dev/urandom | base64 | tr -d '\n')
    sed -i -e "s|@FORTRESS-HASH:[A-Za-z0-9._-]*@|$hash|g" -e "s|@FORTRESS-SALT:[A-Za-z0-9._-]*@|$salt|g" "$out"
    if grep -q '@FORTRESS-' "$out"; then log "dynamic-security file still has markers"; rm -f "$out"; return 1; fi
  fi
  chmod 0440 "$out"
}

build_all() {
  acls=
  i=0
  for a in ${FORTRESS_ACLS:-}; do
    i=$((i + 1))
    [ -f "$SNAP/cfg/acl-$i" ] || { log "ACL file $a is missing"; return 1; }
    acls="$acls $SNAP/cfg/acl-$i"
  done
  # shellcheck disable=SC2086 # a space-separated list of paths
  validate_acls $acls || return 1
  if [ -n "${FORTRESS_ACL_GZ:-}" ]; then
    gunzip -c "$SNAP/cfg/acl.gz" >"$FORTRESS_OUT/acl.new" || { log "cannot unpack $FORTRESS_ACL_GZ"; rm -f "$FORTRESS_OUT/acl.new"; return 1; }
    validate_acls "$FORTRESS_OUT/acl.new" || { rm -f "$FORTRESS_OUT/acl.new"; return 1; }
    chmod 0440 "$FORTRESS_OUT/acl.new"
  fi
  rm -f "$SNAP/incomplete"
  build_file "$FORTRESS_OUT/passwd" "$SNAP/cfg/users" || return 1
  if [ "${FORTRESS_MODE:-acl-file}" = dynamic-security ]; then
    build_dynsec "$FORTRESS_OUT/passwd.new" || { rm -f "$FORTRESS_OUT/passwd.new"; return 1; }
  fi
  if [ -n "${FORTRESS_METRICS_USERS:-}" ]; then
    build_file "$FORTRESS_OUT/passwd-metrics" "$SNAP/cfg/metrics-users" || { rm -f "$FORTRESS_OUT/passwd.new"; return 1; }
    forget_digests passwd-metrics
    mv -f "$FORTRESS_OUT/passwd-metrics.new" "$FORTRESS_OUT/passwd-metrics"
    apply_digests passwd-metrics
  fi
  forget_digests passwd
  mv -f "$FORTRESS_OUT/passwd.new" "$FORTRESS_OUT/passwd"
  apply_digests passwd
  [ -f "$FORTRESS_OUT/dynamic-security.json.new" ] && mv -f "$FORTRESS_OUT/dynamic-security.json.new" "$FORTRESS_OUT/dynamic-security.json"
  [ -f "$FORTRESS_OUT/acl.new" ] && mv -f "$FORTRESS_OUT/acl.new" "$FORTRESS_OUT/acl"
  # What was applied is the snapshot: record its fingerprint, unless the Secret moved meanwhile
  # (then nothing is recorded and the next cycle applies the new version).
  if [ "$(versions)" = "$SNAP_VERSION" ] && [ "$(quick_key)" = "$SNAP_QUICK" ]; then
    printf '%s\n' "$SNAP_FP" >"$FORTRESS_SCRATCH/fingerprint"
    printf '%s\n' "$SNAP_QUICK" >"$FORTRESS_SCRATCH/quick"
  else
    rm -f "$FORTRESS_SCRATCH/fingerprint" "$FORTRESS_SCRATCH/quick"
    log "the credentials Secret changed while it was applied; the new version is applied on the next cycle"
  fi
  if [ -f "$SNAP/incomplete" ]; then sort -u "$SNAP/incomplete" >"$FORTRESS_SCRATCH/incomplete"; else rm -f "$FORTRESS_SCRATCH/incomplete"; fi
}

# Incomplete identities are logged on every cycle until they are complete, so an alert on the
# line keeps firing while the problem lasts.
report_incomplete() {
  [ -f "$FORTRESS_SCRATCH/incomplete" ] || return 0
  while IFS= read -r l; do log "$l"; done <"$FORTRESS_SCRATCH/incomplete"
}

# request hup|restart: the broker's supervisor (fortress-broker.sh) watches these files and
# signals mosquitto; no container shares a process namespace with the broker.
request() {
  f="$FORTRESS_OUT/reload-$1"
  seq=0
  [ -f "$f" ] && read -r seq _ <"$f"
  seq=$((seq + 1))
  printf '%s %s\n' "$seq" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$f.tmp"
  chmod 0444 "$f.tmp"
  mv -f "$f.tmp" "$f"
  if [ -n "${MOSQUITTO_PID:-}" ]; then
    if [ "$1" = restart ]; then kill -TERM "$MOSQUITTO_PID" || true; else kill -HUP "$MOSQUITTO_PID" || true; fi
  fi
}

reload() {
  if [ "${FORTRESS_MODE:-acl-file}" = dynamic-security ]; then
    request restart
    log "dynamic-security file rebuilt; asked the broker to restart mosquitto (the plugin ignores SIGHUP) (request $seq)"
  else
    request hup
    log "password files rebuilt; asked the broker to reload (SIGHUP, request $seq)"
  fi
}

once() {
  q=$(quick_key)
  if [ -n "$q" ] && [ "$q" = "$(cat "$FORTRESS_SCRATCH/quick" 2>/dev/null || true)" ]; then report_incomplete; return 0; fi
  snapshot || return 1
  last=$(cat "$FORTRESS_SCRATCH/fingerprint" 2>/dev/null || true)
  if [ "$SNAP_FP" = "$last" ]; then
    rm -rf "$SNAP"; report_incomplete
    if [ -n "$SNAP_QUICK" ]; then printf '%s\n' "$SNAP_QUICK" >"$FORTRESS_SCRATCH/quick"; fi
    return 0
  fi
  if build_all; then
    rm -rf "$SNAP"; report_incomplete; reload
  else
    rm -rf "$SNAP"; log "credentials or ACL changed but the new set is invalid: keeping the current files, no reload"; return 1
  fi
}

# ---- TLS: validate a certificate pair with Mosquitto itself, then stage it -------------------
# tls_snapshot -> TSNAP with tls.crt, tls.key, server-ca.crt, ca.crt (client CA); TLS_FP, TLS_VERSIONS
tls_snapshot() {
  TSNAP=$(mktemp -d "$FORTRESS_SCRATCH/tls.XXXXXX") || return 1
  tries=0
  while :; do
    v=$(version "$FORTRESS_TLS_SRC")
    if [ "$v" = - ]; then src=$FORTRESS_TLS_SRC; else src=$FORTRESS_TLS_SRC/$v; fi
    for f in tls.crt tls.key; do cp "$src/$f" "$TSNAP/$f" 2>/dev/null || true; done
    cp "$src/ca.crt" "$TSNAP/server-ca.crt" 2>/dev/null || true
    cv=-
    if [ -n "${FORTRESS_TLS_CA_SRC:-}" ]; then
      cv=$(version "$FORTRESS_TLS_CA_SRC")
      if [ "$cv" = - ]; then csrc=$FORTRESS_TLS_CA_SRC; else csrc=$FORTRESS_TLS_CA_SRC/$cv; fi
      cp "$csrc/ca.crt" "$TSNAP/ca.crt" 2>/dev/null || true
    else
      cp "$TSNAP/server-ca.crt" "$TSNAP/ca.crt" 2>/dev/null || true
    fi
    moved=0
    [ "$(version "$FORTRESS_TLS_SRC")" = "$v" ] || moved=1
    [ -z "${FORTRESS_TLS_CA_SRC:-}" ] || [ "$(version "$FORTRESS_TLS_CA_SRC")" = "$cv" ] || moved=1
    # A file missing from a version that did not move is reported by the validation.
    [ "$moved" = 1 ] || break
    tries=$((tries + 1))
    [ "$tries" -lt 3 ] || { log "the certificate Secret kept changing while it was read; retrying next cycle"; rm -rf "$TSNAP"; return 1; }
    rm -f "$TSNAP"/*
  done
  TLS_VERSIONS="$v $cv"
  TLS_FP=$(fingerprint_dir "$TSNAP")
}

tls_versions() {
  cv=-
  [ -n "${FORTRESS_TLS_CA_SRC:-}" ] && cv=$(version "$FORTRESS_TLS_CA_SRC")
  echo "$(version "$FORTRESS_TLS_SRC") $cv"
}

# validate_tls DIR: a throwaway broker on loopback must start with DIR's pair (mosquitto refuses
# a key that does not match, or unparsable files), and a TLS handshake against it must verify
# against DIR/server-ca.crt (chain, not expired, not yet valid): mosquitto_sub then gets a CONNACK
# refusal.
validate_tls() {
  for f in tls.crt tls.key ca.crt server-ca.crt; do [ -s "$1/$f" ] || { log "new certificate rejected: TLS file $f is missing or empty"; return 1; }; done
  grep -q 'BEGIN CERTIFICATE' "$1/tls.crt" || { log "new certificate rejected: tls.crt holds no certificate"; return 1; }
  grep -q 'PRIVATE KEY' "$1/tls.key" || { log "new certificate rejected: tls.key holds no private key"; return 1; }
  port=${FORTRESS_TLS_PROBE_PORT:-48883}
  conf="$FORTRESS_SCRATCH/tls-probe.conf"
  printf 'listener %s 127.0.0.1\ncertfile %s\nkeyfile %s\ncafile %s\nallow_anonymous false\nlog_dest stderr\npersistence false\n' "$port" "$1/tls.crt" "$1/tls.key" "$1/ca.crt" >"$conf"
  mosquitto -c "$conf" >"$FORTRESS_SCRATCH/tls-probe.log" 2>&1 &
  probe=$!
  # Wait until it listens (up to 10 s: a CPU-starved sidecar can be slow to start it).
  i=0
  while [ $i -lt 100 ]; do
    grep -q 'running' "$FORTRESS_SCRATCH/tls-probe.log" 2>/dev/null && break
    kill -0 "$probe" 2>/dev/null || break
    sleep 0.1; i=$((i + 1))
  done
  if kill -0 "$probe" 2>/dev/null && ! grep -q 'running' "$FORTRESS_SCRATCH/tls-probe.log" 2>/dev/null; then
    kill "$probe" 2>/dev/null; wait "$probe" 2>/dev/null || true
    log "the trial broker did not start within 10 s; the certificate is checked again next cycle"
    return 1
  fi
  if ! kill -0 "$probe" 2>/dev/null; then
    log "new certificate rejected: a broker cannot start with it ($(grep -m1 -E 'Error|OpenSSL' "$FORTRESS_SCRATCH/tls-probe.log" | cut -c1-200))"
    return 1
  fi
  rc=0
  out=$(mosquitto_sub -h 127.0.0.1 -p "$port" --cafile "$1/server-ca.crt" --insecure -u fortress-probe -P fortress-probe -t probe -C 1 -W 5 2>&1) || rc=$?
  kill "$probe" 2>/dev/null; wait "$probe" 2>/dev/null || true
  if [ "$rc" = 5 ] && echo "$out" | grep -q 'not authorised'; then return 0; fi
  log "new certificate rejected: the TLS handshake does not verify against ca.crt (expired, not yet valid or another CA): $(echo "$out" | head -1 | cut -c1-200)"
  return 1
}

# stage_tls -> 0 staged (or unchanged), 1 invalid; sets TLS_STAGED=1 and TLS_CA_CHANGED=1 when
# the client CA changed. Stages exactly the validated snapshot.
stage_tls() {
  TLS_CA_CHANGED=0; TLS_STAGED=0
  tls_snapshot || return 1
  if [ "$TLS_FP" = "$(cat "$FORTRESS_SCRATCH/tls-fingerprint" 2>/dev/null || true)" ]; then rm -rf "$TSNAP"; return 0; fi
  if ! validate_tls "$TSNAP"; then rm -rf "$TSNAP"; return 1; fi
  if [ -f "$FORTRESS_TLS_DIR/ca.crt" ] && ! cmp -s "$TSNAP/ca.crt" "$FORTRESS_TLS_DIR/ca.crt"; then TLS_CA_CHANGED=1; fi
  for f in tls.crt tls.key ca.crt server-ca.crt; do cp "$TSNAP/$f" "$FORTRESS_TLS_DIR/$f.new" && chmod 0440 "$FORTRESS_TLS_DIR/$f.new"; done
  for f in tls.crt tls.key ca.crt server-ca.crt; do mv -f "$FORTRESS_TLS_DIR/$f.new" "$FORTRESS_TLS_DIR/$f"; done
  TLS_STAGED=1
  if [ "$(tls_versions)" = "$TLS_VERSIONS" ]; then
    printf '%s\n' "$TLS_FP" >"$FORTRESS_SCRATCH/tls-fingerprint"
  else
    rm -f "$FORTRESS_SCRATCH/tls-fingerprint"
    log "the certificate Secret changed while it was staged; the new version is validated on the next cycle"
  fi
  rm -rf "$TSNAP"
}

tls_once() {
  [ -n "${FORTRESS_TLS_SRC:-}" ] || return 0
  if ! stage_tls; then log "keeping the current certificate"; return 1; fi
  [ "$TLS_STAGED" = 1 ] || return 0
  if [ "$TLS_CA_CHANGED" = 1 ]; then
    # Mosquitto does not reload cafile on SIGHUP: restart so client certificates verify against the new CA.
    request restart
    log "client CA changed: asked the broker to restart mosquitto with the new CA (request $seq)"
  else
    request hup
    log "certificate renewed and validated; asked the broker to reload (SIGHUP, request $seq)"
  fi
}

# crl_once -> signs or refreshes the CRL (fortress-crl.sh); a changed list restarts mosquitto,
# which re-checks no open session against a CRL; a refreshed one is loaded with SIGHUP.
crl_once() {
  [ -n "${FORTRESS_CRL_INDEX:-}" ] || return 0
  crc=0; sh "$(dirname "$0")/fortress-crl.sh" || crc=$?
  case $crc in
    0|12) return 0 ;;
    10) request hup; log "asked the broker to load the refreshed CRL (SIGHUP, request $seq)" ;;
    11) request restart; log "asked the broker to restart mosquitto with the new CRL (request $seq)" ;;
    *) return 1 ;;
  esac
}

case "${1:-}" in
  build)
    # "&&" lists are exempt from set -e: fail the init container explicitly.
    rm -f "$FORTRESS_SCRATCH/fingerprint" "$FORTRESS_SCRATCH/quick" "$FORTRESS_SCRATCH/tls-fingerprint"
    snapshot || exit 1
    build_all || { rm -rf "$SNAP"; exit 1; }
    rm -rf "$SNAP"
    report_incomplete
    log "built password files"
    if [ -n "${FORTRESS_TLS_SRC:-}" ]; then
      stage_tls && [ "$TLS_STAGED" = 1 ] || { log "no valid certificate to start with"; exit 1; }
      log "staged the validated certificate"
    fi
    if [ -n "${FORTRESS_CRL_INDEX:-}" ]; then
      rm -rf "$FORTRESS_SCRATCH/crl-state" "${FORTRESS_TLS_DIR:?}/crl.pem"
      crl_once || { log "no valid CRL to start with"; exit 1; }
    fi ;;
  once) rc=0; once || rc=1; tls_once || rc=1; crl_once || rc=1; exit $rc ;;
  tls-once) tls_once ;;
  watch)
    while :; do once || true; tls_once || true; crl_once || true; sleep "${FORTRESS_INTERVAL:-30}"; done ;;
  *) echo "usage: fortress-auth.sh build|once|tls-once|watch" >&2; exit 2 ;;
esac
