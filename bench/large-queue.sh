#!/bin/bash
# bench/large-queue.sh - the relay and relayctl on a large queue (issue 13, section 8).
#
#   bench/large-queue.sh [MESSAGES=200000] [RCPTS=1]
#
# Builds the distribution if relay-dist/target/relay is missing (or with BUILD=1), fills a fresh
# queue in a temporary folder with MESSAGES messages of RCPTS recipients each, all deferred at a
# next hop that refuses connections ([127.0.0.1]:DOWN_PORT), as a site that is down leaves it
# (bench/LargeQueueFill.java, on the queue API: fast, and the same rows the forwarder writes).
# Then it starts the relay on that queue and times, each from the shell as an administrator runs it:
#   start-up                 from launching bin/relay until relayctl reaches it over the admin socket
#   relayctl queue | head    until the pipeline ends (relayctl must stop when head has quit)
#   relayctl queue           the full listing to /dev/null (and --json)
#   relayctl stats
#   relayctl retry --all     every recipient due now (the relay then tries them: the site is down)
# and prints the relay's RSS after each step. Stops the relay with SIGTERM at the end.
#
# Environment: JAVA_OPTS (the relay's JVM options, default -Xmx512m), PORT (its SMTP port, default
# 2791), DOWN_PORT (the refusing next hop, default 9), KEEP=1 keeps the temporary folder.
set -u
MESSAGES=${1:-200000}
RCPTS=${2:-1}
PORT=${PORT:-2791}
DOWN_PORT=${DOWN_PORT:-9}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RELAY_HOME=$ROOT/relay-dist/target/relay
if [ "${BUILD:-0}" = 1 ] || [ ! -x "$RELAY_HOME/bin/relay" ]; then
  echo "bench/large-queue.sh: building the distribution" >&2
  (cd "$ROOT" && ./mvnw -B -q package -DskipTests) || { echo "bench/large-queue.sh: the build failed" >&2; exit 2; }
fi

WORK=$(mktemp -d /tmp/relay-large.XXXXXX)
mkdir -p "$WORK/data"
cat > "$WORK/relay.conf" <<CONF
hostname = relay-bench.localdomain
listen = 127.0.0.1:$PORT
metrics_listen = none
data_directory = $WORK/data
routes_file = $WORK/routes
CONF
echo "down.test [127.0.0.1]:$DOWN_PORT" > "$WORK/routes"
printf '<configuration><root level="WARN"/></configuration>\n' > "$WORK/quiet.xml"
RELAYCTL="$RELAY_HOME/bin/relayctl -c $WORK/relay.conf"
RELAY_PID=""
stop_relay() {
  if [ -n "$RELAY_PID" ] && kill -0 "$RELAY_PID" 2>/dev/null; then
    kill -TERM "$RELAY_PID"
    for _ in $(seq 600); do kill -0 "$RELAY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$RELAY_PID" 2>/dev/null && kill -KILL "$RELAY_PID"
    wait "$RELAY_PID" 2>/dev/null
  fi
  RELAY_PID=""
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap stop_relay EXIT
trap 'exit 2' INT TERM

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
rss() { [ -n "$RELAY_PID" ] && awk '/VmRSS/ { printf "%d MB", $2 / 1024 }' "/proc/$RELAY_PID/status" 2>/dev/null; }
report() { printf '%-34s %8s s   relay RSS %s\n' "$1" "$2" "$(rss)"; }

echo "bench/large-queue.sh: $MESSAGES messages x $RCPTS recipients, deferred at [127.0.0.1]:$DOWN_PORT ($WORK)"
java -Xmx512m -Dlogback.configurationFile="$WORK/quiet.xml" -cp "$RELAY_HOME/lib/*" "$HERE/LargeQueueFill.java" \
    "$WORK/data/queue" "$MESSAGES" "$RCPTS" "[127.0.0.1]:$DOWN_PORT" || exit 2
du -sh "$WORK/data/queue" | awk '{ print "queue database: " $1 }'

t=$(now)
(cd "$WORK" && JAVA_OPTS=${JAVA_OPTS:--Xmx512m} exec "$RELAY_HOME/bin/relay" -c relay.conf) >"$WORK/relay.log" 2>&1 &
RELAY_PID=$!
for _ in $(seq 1200); do
  $RELAYCTL version 2>/dev/null | grep -q 'running relay' && break
  kill -0 "$RELAY_PID" 2>/dev/null || { echo "the relay exited:" >&2; tail -20 "$WORK/relay.log" >&2; exit 2; }
  sleep 0.1
done
report "start-up (until relayctl answers)" "$(since "$t")"
grep -m1 -E 'started|ready' "$WORK/relay.log" | cut -c1-160

t=$(now); $RELAYCTL version >/dev/null; report "relayctl version (JVM start)" "$(since "$t")"
t=$(now); $RELAYCTL queue | head -n 20 >/dev/null; report "relayctl queue | head -n 20" "$(since "$t")"
t=$(now); $RELAYCTL queue --json | head -n 1 >/dev/null; report "relayctl queue --json | head -n 1" "$(since "$t")"
t=$(now); $RELAYCTL queue | tail -n 1; report "relayctl queue (all, to tail)" "$(since "$t")"
t=$(now); $RELAYCTL queue --json >/dev/null; report "relayctl queue --json (all)" "$(since "$t")"
t=$(now); $RELAYCTL queue --next-hop "[127.0.0.1]:$DOWN_PORT" --limit 10 >/dev/null
report "relayctl queue --next-hop H --limit 10" "$(since "$t")"
t=$(now); $RELAYCTL stats >/dev/null; report "relayctl stats" "$(since "$t")"
t=$(now); $RELAYCTL retry --all 2>/dev/null; report "relayctl retry --all" "$(since "$t")"
sleep 5; report "5 s later (forwarder deferring)" "-"
