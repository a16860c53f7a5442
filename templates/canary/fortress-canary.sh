#!/bin/sh
# mqtt-fortress attack canary: hostile-client checks against a running broker, with the mosquitto
# clients of the broker's own image. Run by the AttackCanary CronJob; also runs against a local
# bundle. One line per check on stdout; on any failure a last line
#   canary FAILED: <property>[; <property>...]
# and exit status 1, so the Job fails. The canary's password is read from a file, passed only to
# the mosquitto clients and never printed.
# POSIX sh (busybox in the eclipse-mosquitto image); needs mosquitto_pub, mosquitto_sub, timeout.
#
# Environment:
#   CANARY_HOST            broker host name (the TLS certificate must name it)
#   CANARY_PORT            broker TLS port (default 8883)
#   CANARY_CA_FILE         CA certificate the broker's certificate must verify against
#   CANARY_USERNAME        the canary identity
#   CANARY_PASSWORD_FILE   file holding the canary identity's password (first line)
#   CANARY_TOPIC           the canary's own subtree: it may publish and subscribe <topic>/echo and
#                          publish (not read) <topic>/sealed, nothing else
#   CANARY_FOREIGN_TOPIC   a topic another identity may publish and the canary may not
#   CANARY_TIMEOUT         seconds a client may take to connect and finish (default 10)
#   CANARY_QUIET           seconds a check waits for a delivery that must not come (default 3)
set -u

fail=''
ok() { printf 'canary ok: %s\n' "$1"; }
bad() {
  printf 'canary FAIL: %s: %s\n' "$1" "$2"
  fail="${fail:+$fail; }$1"
}
need() {
  eval "v=\${$1:-}"
  if [ -z "$v" ]; then
    printf 'canary FAILED: configuration: %s is not set\n' "$1"
    exit 2
  fi
}
for v in CANARY_HOST CANARY_CA_FILE CANARY_USERNAME CANARY_PASSWORD_FILE CANARY_TOPIC CANARY_FOREIGN_TOPIC; do need "$v"; done
port=${CANARY_PORT:-8883}
t=${CANARY_TIMEOUT:-10}
quiet=${CANARY_QUIET:-3}
user=$CANARY_USERNAME
pass=$(head -n 1 "$CANARY_PASSWORD_FILE" 2>/dev/null)
if [ -z "$pass" ]; then
  printf 'canary FAILED: configuration: no password in %s\n' "$CANARY_PASSWORD_FILE"
  exit 2
fi
echo_topic="$CANARY_TOPIC/echo"
sealed_topic="$CANARY_TOPIC/sealed"
nonce="canary-$(date +%s)-$$"

# pub/sub ARGS...: a client over TLS with the published CA, MQTT 5; prints what the client printed.
pub() { timeout "$t" mosquitto_pub -h "$CANARY_HOST" -p "$port" --cafile "$CANARY_CA_FILE" -V mqttv5 "$@" 2>&1; }
sub() { timeout "$((t + quiet))" mosquitto_sub -h "$CANARY_HOST" -p "$port" --cafile "$CANARY_CA_FILE" -V mqttv5 "$@" 2>&1; }
# A CONNACK refusal, as mosquitto_pub/sub print it for MQTT 5 (reason code 135 "not authorized"
# and 134 "bad user name or password").
refused() { printf '%s' "$1" | grep -Eq 'Connection error: (Not authorized|Bad user name or password)'; }
connect_error() { printf '%s' "$1" | grep -Eq 'Connection error|Error:|Unable to connect|Connection refused'; }
first() { printf '%s' "$1" | head -n 1; }

# 1. Round trip: the broker is alive, TLS verifies with the published CA, and the canary's own
#    topic is delivered (retained, so one connection publishes and the next reads it back).
out=$(pub -u "$user" -P "$pass" -t "$echo_topic" -m "$nonce" -q 1 -r)
got=$(sub -u "$user" -P "$pass" -i "$user" -t "$echo_topic" -C 1 -W "$t")
if [ "$got" = "$nonce" ]; then
  ok 'round trip over TLS'
else
  bad 'round trip over TLS' "published to $echo_topic and read back '$(first "$got$out")' instead of the fresh payload"
fi
pub -u "$user" -P "$pass" -t "$echo_topic" -r -n -q 1 >/dev/null

# 2. Anonymous: a CONNECT without credentials is refused.
out=$(pub -i "fortress-canary-anonymous" -t "$echo_topic" -m anonymous -q 1)
if refused "$out"; then ok 'anonymous refused'; else bad 'anonymous refused' "a client without credentials got: '$(first "$out")'"; fi

# 3. Wrong password: the canary's username with a password that is not its own.
out=$(pub -u "$user" -P "wrong-$nonce" -t "$echo_topic" -m wrong -q 1)
if refused "$out"; then ok 'wrong password refused'; else bad 'wrong password refused' "the canary's username with a wrong password got: '$(first "$out")'"; fi

# 4. Plaintext: MQTT without TLS on the broker port gets no CONNACK at all (no credentials are
#    sent: if the broker answers, it speaks plaintext MQTT, whatever it answers).
out=$(timeout "$t" mosquitto_pub -h "$CANARY_HOST" -p "$port" -V mqttv5 -i fortress-canary-plaintext -t "$echo_topic" -m plaintext -q 1 2>&1)
rc=$?
if [ "$rc" -eq 0 ] || printf '%s' "$out" | grep -q 'Connection error'; then
  bad 'plaintext refused' "MQTT without TLS on port $port was answered: '$(first "${out:-accepted}")'"
else
  ok 'plaintext refused'
fi

# 5. No write outside the canary topic: the broker answers the QoS 1 publish "not authorized".
out=$(pub -u "$user" -P "$pass" -t "$CANARY_FOREIGN_TOPIC" -m "$nonce" -q 1)
if printf '%s' "$out" | grep -q 'Publish 1 failed: Not authorized'; then
  ok 'no write outside the canary topic'
elif connect_error "$out"; then
  bad 'no write outside the canary topic' "could not check, the canary could not connect: '$(first "$out")'"
else
  bad 'no write outside the canary topic' "the broker accepted a publish to $CANARY_FOREIGN_TOPIC"
fi

# 6. No read outside the canary topic: with a retained message on its write-only topic as the
#    witness, a subscription to "#" must deliver nothing in the quiet window.
wout=$(pub -u "$user" -P "$pass" -t "$sealed_topic" -m "$nonce" -q 1 -r)
got=$(sub -u "$user" -P "$pass" -i "$user" -t '#' -v -W "$quiet")
pub -u "$user" -P "$pass" -t "$sealed_topic" -r -n -q 1 >/dev/null
seen=$(printf '%s\n' "$got" | grep -v '^Timed out$' | grep -v '^$' | head -n 1)
if [ -n "$wout" ]; then
  bad 'no read outside the canary topic' "the witness could not be published to $sealed_topic: '$(first "$wout")'"
elif connect_error "$seen"; then
  bad 'no read outside the canary topic' "could not check, the canary could not connect: '$seen'"
elif [ -n "$seen" ]; then
  bad 'no read outside the canary topic' "a subscription to # delivered '${seen%% *}'"
else
  ok 'no read outside the canary topic'
fi

# 7. $SYS: the broker's retained $SYS/broker/version must not be delivered.
got=$(sub -u "$user" -P "$pass" -i "$user" -t '$SYS/#' -v -C 1 -W "$quiet")
seen=$(printf '%s\n' "$got" | grep -v '^Timed out$' | grep -v '^$' | head -n 1)
if connect_error "$seen"; then
  bad '$SYS read refused' "could not check, the canary could not connect: '$seen'"
elif [ -n "$seen" ]; then
  bad '$SYS read refused' "a subscription to \$SYS/# delivered '${seen%% *}'"
else
  ok '$SYS read refused'
fi

if [ -n "$fail" ]; then
  printf 'canary FAILED: %s\n' "$fail"
  exit 1
fi
printf 'canary: all 7 checks passed against %s:%s\n' "$CANARY_HOST" "$port"
