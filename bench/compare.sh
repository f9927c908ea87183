#!/bin/bash
# bench/compare.sh - the relay side by side with Postfix, under the shared load harness, in one run.
#
#   bench/compare.sh [SIZE=1024] [CONC=50] [COUNT=4000] [REPS=3]
#
# Builds the distribution if relay-dist/target/relay is missing (or with BUILD=1), starts the relay
# with bench/relay-bench.conf in a fresh temporary folder (empty queue), runs the harness's
# compare.sh against it (127.0.0.1:10055, sink on 10056), stops the relay with SIGTERM and prints
# where its log is. The harness installs and starts Postfix on first use: run as root.
#
# Environment:
#   RELAY_BENCH_HARNESS  the harness folder (default: ../shared/bench next to this repository)
#   JAVA_OPTS            JVM options of the relay under test (default -Xmx1g)
#   BUILD=1              rebuild the distribution first (./mvnw -B -q package -DskipTests)
#   WARMUP               messages sent through the relay before measuring (default 100000, 0: cold)
# Runs are serialised with flock on /tmp/relay-bench.lock: the harness's ports are fixed, and two
# runs at once would measure each other.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
HARNESS=${RELAY_BENCH_HARNESS:-$ROOT/../shared/bench}
if [ ! -x "$HARNESS/compare.sh" ]; then
  echo "bench/compare.sh: no harness at $HARNESS (set RELAY_BENCH_HARNESS to the folder holding compare.sh)" >&2
  exit 2
fi
HARNESS=$(cd "$HARNESS" && pwd)
RELAY_HOME=$ROOT/relay-dist/target/relay
if [ "${BUILD:-0}" = 1 ] || [ ! -x "$RELAY_HOME/bin/relay" ]; then
  echo "bench/compare.sh: building the distribution" >&2
  (cd "$ROOT" && ./mvnw -B -q package -DskipTests) || { echo "bench/compare.sh: the build failed" >&2; exit 2; }
fi

exec 9>/tmp/relay-bench.lock
if ! flock -w 1800 9; then
  echo "bench/compare.sh: another benchmark holds /tmp/relay-bench.lock for 30 minutes; giving up" >&2
  exit 2
fi

WORK=$(mktemp -d /tmp/relay-bench.XXXXXX)
cp "$HERE/relay-bench.conf" "$WORK/relay.conf"
cp "$HERE/relay-bench.routes" "$WORK/relay-bench.routes"
LOG=$WORK/relay.log
RELAY_PID=""
stop_relay() {
  if [ -n "$RELAY_PID" ] && kill -0 "$RELAY_PID" 2>/dev/null; then
    kill -TERM "$RELAY_PID"
    for _ in $(seq 300); do kill -0 "$RELAY_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$RELAY_PID" 2>/dev/null; then
      echo "bench/compare.sh: the relay did not stop within 30 s of SIGTERM; killing it" >&2
      kill -KILL "$RELAY_PID"
    fi
    wait "$RELAY_PID" 2>/dev/null
    echo "bench/compare.sh: relay stopped (exit code $?)" >&2
  fi
  RELAY_PID=""
}
trap stop_relay EXIT
trap 'exit 2' INT TERM

(cd "$WORK" && JAVA_OPTS=${JAVA_OPTS:--Xmx1g} exec "$RELAY_HOME/bin/relay" -c relay.conf) >"$LOG" 2>&1 &
RELAY_PID=$!
for _ in $(seq 600); do
  grep -q "relay started in" "$LOG" && break
  if ! kill -0 "$RELAY_PID" 2>/dev/null; then
    echo "bench/compare.sh: the relay did not start:" >&2
    cat "$LOG" >&2
    exit 2
  fi
  sleep 0.1
done
grep -q "relay started in" "$LOG" || { echo "bench/compare.sh: the relay did not start within 60 s (log: $LOG)" >&2; exit 2; }
echo "bench/compare.sh: relay $(sed -n 's/.*relay \([^ ]*\) starting.*/\1/p' "$LOG" | head -1) running in $WORK (log: $LOG)" >&2

# Warm-up. A JVM compiles its hot code while it runs: the first tens of thousands of messages pay
# for the JIT compiler (C2 alone took about 600 us of CPU per message after 20,000 messages, 90 us
# after 60,000, 30 us after 100,000), while Postfix's C code is compiled before it starts. A relay runs for days, so it
# is measured warm, as JMH measures Java code: WARMUP messages (default 100000; 0 for a cold run)
# go through the relay to a sink of our own before the harness starts, and the queue is left empty.
WARMUP=${WARMUP:-100000}
if [ "$WARMUP" -gt 0 ]; then
  SIZE_W=${1:-1024}
  echo "bench/compare.sh: warming the relay up with $WARMUP messages of $SIZE_W bytes" >&2
  smtp-sink -u nobody 127.0.0.1:10056 500 & WSINK=$!
  sleep 0.5
  timeout 600 smtp-source -s 50 -m "$WARMUP" -l "$SIZE_W" -f warmup@src.test -t warmup@dst.test 127.0.0.1:10055
  for _ in $(seq 600); do
    waiting=$(cd "$WORK" && "$RELAY_HOME/bin/relayctl" -c relay.conf stats 2>/dev/null \
      | awk '$1 == "queued" || $1 == "deferred" {n += $2} END {print n + 0}')
    [ "$waiting" = 0 ] && break
    sleep 0.5
  done
  kill "$WSINK" 2>/dev/null; wait "$WSINK" 2>/dev/null
  echo "bench/compare.sh: warm-up done, $waiting recipients left waiting" >&2
fi

"$HARNESS/compare.sh" 127.0.0.1:10055 10056 "$@"
rc=$?
stop_relay
echo "bench/compare.sh: queue left after the run: $(cd "$WORK" && "$RELAY_HOME/bin/relayctl" -c relay.conf stats 2>&1 | head -3 | tr '\n' ' ')" >&2
echo "bench/compare.sh: relay log and data kept in $WORK" >&2
exit $rc
