#!/bin/sh
# mqtt-fortress: signs the certificate revocation list (CRL) the broker reads, from the declared
# list of revoked client certificates, with the client CA's key. Called by fortress-auth.sh (the
# credentials container, its own UID) on every cycle; the broker container never sees the key.
# Needs the image's `openssl` command (LibreSSL's in the Alpine eclipse-mosquitto image).
#
#   fortress-crl.sh    exit 0: nothing to do; 10: the CRL was signed again for the same list
#                      (reload with SIGHUP); 11: the list changed (restart mosquitto: it does not
#                      re-check open sessions against a CRL); 12: first CRL staged (no reload);
#                      1: refused, the current CRL stays (logged)
#
# Environment:
#   FORTRESS_CRL_INDEX    declared list as an openssl ca database (rendered by the kit; .gz: gzipped)
#   FORTRESS_CRL_CA       mounted Secret of the client CA: tls.crt, tls.key
#   FORTRESS_CRL_HOURS    lifetime of a signed CRL (nextUpdate), hours
#   FORTRESS_CRL_REFRESH  sign again when the staged CRL is older than this, seconds
#   FORTRESS_TLS_DIR      staged TLS files; the CRL is staged as crl.pem and must verify
#                         against the staged client CA (ca.crt)
#   FORTRESS_SCRATCH      private working directory
set -eu
umask 077
: "${FORTRESS_CRL_INDEX:?}" "${FORTRESS_CRL_CA:?}" "${FORTRESS_CRL_HOURS:?}" "${FORTRESS_CRL_REFRESH:?}" "${FORTRESS_TLS_DIR:?}" "${FORTRESS_SCRATCH:?}"
log() { printf '%s fortress-auth: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

state=$FORTRESS_SCRATCH/crl-state
mkdir -p "$state"
# A long list (over the ConfigMap's inline limit) ships gzipped as <index>.gz.
index=$FORTRESS_CRL_INDEX
case $index in
  *.gz) gunzip -c "$index" >"$state/index.plain" || { log "cannot unpack $index; keeping the current CRL"; exit 1; }; index=$state/index.plain ;;
esac
list_fp=$(cat "$index" "$FORTRESS_TLS_DIR/ca.crt" 2>/dev/null | sha256sum | cut -d' ' -f1)
now=$(date +%s)
signed_at=$(cat "$state/signed-at" 2>/dev/null || echo 0)
staged_fp=$(cat "$state/list" 2>/dev/null || true)
if [ -s "$FORTRESS_TLS_DIR/crl.pem" ] && [ "$list_fp" = "$staged_fp" ] && [ $((now - signed_at)) -lt "$FORTRESS_CRL_REFRESH" ]; then exit 0; fi

# Every line must be a revoked entry in the kit's form: anything else (an edited ConfigMap) is refused.
bad=$(grep -c -v -E '^R	[0-9]{12}Z	[0-9]{12}Z,(unspecified|keyCompromise|CACompromise|affiliationChanged|superseded|cessationOfOperation)	[0-9A-F]{2,40}	unknown	/CN=[A-Za-z0-9._-]{1,128}$' "$index" || true)
if [ "$bad" != 0 ]; then log "revocation list refused: $bad line(s) of $FORTRESS_CRL_INDEX are not revoked entries; keeping the current CRL"; exit 1; fi

work=$(mktemp -d "$FORTRESS_SCRATCH/crl.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$index" "$work/index.txt"
printf 'unique_subject = no\n' >"$work/index.txt.attr"
# The CRL number only grows (RFC 5280 5.2.3); kept across cycles in the private scratch volume,
# seeded from the clock so that a restarted container never issues a smaller number.
n=$(cat "$state/crlnumber" 2>/dev/null || echo 0)
[ "$n" -ge "$now" ] 2>/dev/null || n=$now
n=$((n + 1))
printf '%X\n' "$n" | sed 's/^\(\(..\)*.\)$/0\1/' >"$work/crlnumber"
cat >"$work/ca.cnf" <<EOF
[ca]
default_ca = c
[c]
database = $work/index.txt
crlnumber = $work/crlnumber
default_md = sha256
EOF
if ! out=$(openssl ca -gencrl -batch -config "$work/ca.cnf" -cert "$FORTRESS_CRL_CA/tls.crt" -keyfile "$FORTRESS_CRL_CA/tls.key" -crlhours "$FORTRESS_CRL_HOURS" -out "$work/crl.pem" 2>&1); then
  log "cannot sign the CRL with the client CA in $FORTRESS_CRL_CA: $(echo "$out" | grep -v '^Using configuration' | head -1 | cut -c1-200); keeping the current CRL"
  exit 1
fi
# The CRL must verify against the client CA the broker trusts (a Secret of another CA, or a key
# that does not match its certificate, is refused here rather than locking every device out).
if ! out=$(openssl crl -in "$work/crl.pem" -CAfile "$FORTRESS_TLS_DIR/ca.crt" -noout 2>&1) || ! echo "$out" | grep -q 'verify OK'; then
  log "the signed CRL does not verify against the broker's client CA ($(echo "$out" | head -1 | cut -c1-200)); keeping the current CRL"
  exit 1
fi
first=0
[ -s "$FORTRESS_TLS_DIR/crl.pem" ] || first=1
cp "$work/crl.pem" "$FORTRESS_TLS_DIR/crl.pem.new" && chmod 0440 "$FORTRESS_TLS_DIR/crl.pem.new"
mv -f "$FORTRESS_TLS_DIR/crl.pem.new" "$FORTRESS_TLS_DIR/crl.pem"
printf '%s\n' "$n" >"$state/crlnumber"
printf '%s\n' "$now" >"$state/signed-at"
printf '%s\n' "$list_fp" >"$state/list"
count=$(grep -c '^R' "$work/index.txt" || true)
if [ "$first" = 1 ]; then log "signed the CRL ($count revoked, valid ${FORTRESS_CRL_HOURS}h)"; exit 12; fi
if [ "$list_fp" != "$staged_fp" ]; then log "revocation list changed: signed a new CRL ($count revoked); open sessions are cut by a restart"; exit 11; fi
log "CRL signed again before it expires ($count revoked, valid ${FORTRESS_CRL_HOURS}h)"
exit 10
