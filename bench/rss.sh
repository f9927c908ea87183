#!/bin/bash
# bench/rss.sh - the relay's memory and threads: idle, under a burst, after it.
#
#   bench/rss.sh [COUNT=2000] [SIZE=10240] [CONC=50] [IDLE=30]
#
# Starts the relay of the distribution with bin/relay's own memory options (set RELAY_JAVA_OPTS
# to try others) and bench/relay-bench.conf in a fresh temporary folder, with an smtp-sink as its
# next hop (127.0.0.1:10056). Prints the resident memory (VmRSS), its peak (VmHWM) and the number
# of threads of the relay's JVM: IDLE seconds after start; right after COUNT messages of SIZE
# bytes were sent by smtp-source over CONC connections; when the queue is empty again; and IDLE
# seconds after that. The numbers in the README ("Memory and threads") come from this script.
# Needs smtp-source and smtp-sink (Debian package postfix, whose daemon need not run); run as root
# (smtp-sink -u nobody). Serialised with the other benchmarks by flock on /tmp/relay-bench.lock.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
COUNT=${1:-2000}
SIZE=${2:-10240}
CONC=${3:-50}
IDLE=${4:-30}
RELAY_HOME=$ROOT/relay-dist/target/relay
[ -x "$RELAY_HOME/bin/relay" ] || (cd "$ROOT" && ./mvnw -B -q package -DskipTests) || exit 2
for tool in smtp-source smtp-sink; do
  command -v $tool >/dev/null || { echo "bench/rss.sh: $tool not found (apt-get install postfix)" >&2; exit 2; }
done
exec 9>/tmp/relay-bench.lock
flock -w 1800 9 || { echo "bench/rss.sh: another benchmark holds /tmp/relay-bench.lock" >&2; exit 2; }

WORK=$(mktemp -d /tmp/relay-rss.XXXXXX)
cp "$HERE/relay-bench.conf" "$WORK/relay.conf"
cp "$HERE/relay-bench.routes" "$WORK/relay-bench.routes"
smtp-sink -u nobody 127.0.0.1:10056 500 & SINK=$!
(cd "$WORK" && unset JAVA_OPTS && exec "$RELAY_HOME/bin/relay" -c relay.conf) >"$WORK/relay.log" 2>&1 &
RELAY=$!
cleanup() { kill -TERM "$RELAY" 2>/dev/null; wait "$RELAY" 2>/dev/null; kill "$SINK" 2>/dev/null; wait "$SINK" 2>/dev/null; }
trap cleanup EXIT
for _ in $(seq 600); do grep -q "relay started in" "$WORK/relay.log" 2>/dev/null && break; sleep 0.1; done
JVM=$(pgrep -P "$RELAY" java || echo "$RELAY")
[ -d "/proc/$JVM/task" ] || { echo "bench/rss.sh: the relay did not start (log: $WORK/relay.log)" >&2; exit 2; }

waiting() {
  "$RELAY_HOME/bin/relayctl" -c "$WORK/relay.conf" stats 2>/dev/null \
    | awk '$1 == "queued" || $1 == "deferred" {n += $2} END {print n + 0}'
}
drain() { for _ in $(seq 1200); do [ "$(waiting)" = 0 ] && return; sleep 0.5; done; }
show() {
  awk -v what="$1" '/^VmRSS/ {rss = $2} /^VmHWM/ {hwm = $2} /^Threads/ {t = $2}
      END {printf "%-34s RSS %5.0f MiB   peak %5.0f MiB   threads %3d\n", what, rss / 1024, hwm / 1024, t}' "/proc/$JVM/status"
}
echo "relay pid $JVM, JVM options: $(ps -o args= -p "$JVM" | tr ' ' '\n' | grep -E '^-X' | tr '\n' ' ')"
sleep "$IDLE"; show "idle ${IDLE}s after start"
t0=$(date +%s.%N)
timeout 900 smtp-source -s "$CONC" -m "$COUNT" -l "$SIZE" -f s@src.test -t u@dst.test 127.0.0.1:10055
t1=$(date +%s.%N)
show "after $COUNT x $SIZE B over $CONC conns"
drain; show "queue empty again"
sleep "$IDLE"; show "idle ${IDLE}s later"
echo "sent in $(echo "$t1 - $t0" | bc -l | xargs printf '%.1f') s; relay log and data: $WORK"
