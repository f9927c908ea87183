#!/bin/bash
# bench/cpu-per-message.sh - where the relay's CPU goes, per message, by thread.
#
#   bench/cpu-per-message.sh [COUNT=10000] [WARMUP=60000]
#
# Starts the relay with bench/relay-bench.conf in a fresh temporary folder and an smtp-sink as its
# next hop (127.0.0.1:10056), sends WARMUP messages (JIT warm-up, not measured), then COUNT messages
# of 1 KiB over 50 connections with smtp-source, and prints the CPU time each group of the relay's
# threads used while they were sent (from /proc/PID/task/*/stat), in microseconds per message,
# and the accept rate of that run. CPU per message moves much less than rates on a shared machine.
#
# Environment:
#   JAVA_OPTS   JVM options of the relay (default -Xmx1g)
#   PROFILE     an async-profiler library (libasyncProfiler.so): also write collapsed stacks of the
#               measured part to $WORK/profile.collapsed (async-profiler's itimer mode, no perf needed)
# Needs smtp-source and smtp-sink (Debian package postfix); run as root (smtp-sink -u nobody).
# Serialised with the other benchmarks by flock on /tmp/relay-bench.lock (the ports are fixed).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
COUNT=${1:-10000}
WARMUP=${2:-60000}
RELAY_HOME=$ROOT/relay-dist/target/relay
[ -x "$RELAY_HOME/bin/relay" ] || (cd "$ROOT" && ./mvnw -B -q package -DskipTests) || exit 2
for tool in smtp-source smtp-sink; do
  command -v $tool >/dev/null || { echo "bench/cpu-per-message.sh: $tool not found (apt-get install postfix)" >&2; exit 2; }
done
exec 9>/tmp/relay-bench.lock
flock -w 1800 9 || { echo "bench/cpu-per-message.sh: another benchmark holds /tmp/relay-bench.lock" >&2; exit 2; }

WORK=$(mktemp -d /tmp/relay-cpu.XXXXXX)
cp "$HERE/relay-bench.conf" "$WORK/relay.conf"
cp "$HERE/relay-bench.routes" "$WORK/relay-bench.routes"
smtp-sink -u nobody 127.0.0.1:10056 500 & SINK=$!
(cd "$WORK" && JAVA_OPTS=${JAVA_OPTS:--Xmx1g} exec "$RELAY_HOME/bin/relay" -c relay.conf) >"$WORK/relay.log" 2>&1 &
RELAY=$!
cleanup() { kill -TERM "$RELAY" 2>/dev/null; wait "$RELAY" 2>/dev/null; kill "$SINK" 2>/dev/null; wait "$SINK" 2>/dev/null; }
trap cleanup EXIT
for _ in $(seq 600); do grep -q "relay started in" "$WORK/relay.log" 2>/dev/null && break; sleep 0.1; done
JVM=$(pgrep -P "$RELAY" java || echo "$RELAY")
[ -d "/proc/$JVM/task" ] || { echo "bench/cpu-per-message.sh: the relay did not start (log: $WORK/relay.log)" >&2; exit 2; }

send() { timeout 900 smtp-source -s 50 -m "$1" -l 1024 -f s@src.test -t u@dst.test 127.0.0.1:10055; }
waiting() {
  (cd "$WORK" && "$RELAY_HOME/bin/relayctl" -c relay.conf stats 2>/dev/null) \
    | awk '$1 == "queued" || $1 == "deferred" {n += $2} END {print n + 0}'
}
drain() { for _ in $(seq 600); do [ "$(waiting)" = 0 ] && return; sleep 0.5; done; }
# CPU ticks per thread group: thread names without their numbers (delivery-17 -> delivery)
threads() {
  for t in /proc/"$JVM"/task/*; do
    echo "$(awk '{print $14 + $15}' "$t/stat") $(tr ' ' '_' < "$t/comm" | sed 's/[-#][0-9]*$//; s/[0-9]*$//')"
  done | awk '{c[$2] += $1} END {for (k in c) print k, c[k]}' | sort
}

if [ "$WARMUP" -gt 0 ]; then
  echo "bench/cpu-per-message.sh: warming up with $WARMUP messages" >&2
  send "$WARMUP"; drain
fi
[ -n "${PROFILE:-}" ] && jcmd "$JVM" JVMTI.agent_load "$PROFILE" '"start,event=itimer,interval=1ms,threads"' >/dev/null
threads > "$WORK/cpu.before"
t0=$(date +%s.%N)
send "$COUNT"
t1=$(date +%s.%N)
threads > "$WORK/cpu.after"
[ -n "${PROFILE:-}" ] && jcmd "$JVM" JVMTI.agent_load "$PROFILE" "\"stop,file=$WORK/profile.collapsed,collapsed\"" >/dev/null
drain
TICK=$(getconf CLK_TCK)
echo "relay CPU while $COUNT messages were sent (after $WARMUP warm-up messages), by thread:"
join -a2 -e0 -o 0,1.2,2.2 "$WORK/cpu.before" "$WORK/cpu.after" \
  | awk -v n="$COUNT" -v tick="$TICK" '{ms = ($3 - $2) * 1000 / tick; all += ms; if (ms > 0) printf "%8.0f us/msg  %s\n", ms * 1000 / n, $1}
      END {printf "%8.0f us/msg  all threads\n", all * 1000 / n}' | sort -rn
echo "accepted: $(echo "$COUNT / ($t1 - $t0)" | bc -l | xargs printf '%.0f') msg/s (smtp-source alone, not the harness)"
echo "relay log and data: $WORK${PROFILE:+; stacks: $WORK/profile.collapsed}"
