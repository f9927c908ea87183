#!/bin/bash
# bench/crash-torture.sh - the crash check of the whole product: bin/relay killed with SIGKILL and started again.
#
#   bench/crash-torture.sh [torture]     history, CYCLES kill cycles, a final drain, the check   (minutes)
#   bench/crash-torture.sh diskfull      full disk, kill -9, restart while full, space back   (root: mounts a tmpfs)
#
# torture: starts the distribution's bin/relay (next hop `*` -> a capturing sink in the driver's own process),
# builds a queue file with a history (BIG: 10, 6, 4, 3, 2, 1, 0.5 MiB messages at once; one message to 1,000
# recipients; PARALLEL sessions of 3 messages; SMALL 1 KiB messages over 20 connections), then runs CYCLES
# cycles: 1-4 client sessions send 1-10 mixed messages each (300 B to 10 MiB, 1 to 1,000 recipients), the sink
# defers (451 to MAIL) and later accepts, relayctl hold/release/delete run on random queued messages, and the
# relay is killed with SIGKILL at a random moment (0.3 s to CYCLE_SECONDS), now and then also during its
# start-up (START_KILL), then started again on the same data. After each restart and after the final drain:
# every recipient of every message that got 250 was delivered byte-exact (SHA-256 of the body after the relay's
# Received: field, through the queue id of the 250) or is listed in the live queue; deleted messages stay gone
# (not in the queue, not delivered by a later incarnation). Duplicates (a delivery repeated after a kill that
# came before its outcome was recorded: at least once) are counted, not failed.
# Prints a line per cycle and a SUMMARY line; exit 0: nothing lost, 1: something lost, 2: could not run.
#
# diskfull (issue 11, "a full disk, then a crash"): the data folder on an 8 MiB tmpfs with 2 MiB of ballast, the
# next hop down; 10 connections send 10 KB messages until refused; kill -9 while full; start again while full;
# free the ballast; 50 more messages; next hop up; how many recipients are still not delivered LEASE_WAIT
# seconds later (stuck leases) and what `relayctl retry --all` says; grow the tmpfs to 64 MiB; SIGTERM (how
# long it takes); start again, drain, check as above.
#
# Environment (defaults in brackets):
#   RELAY_HOME     the distribution [relay-dist/target/relay, built with ./mvnw -B -q package -DskipTests if
#                  missing or BUILD=1]
#   WORK           the run's folder, emptied first [/tmp/relay-crash-torture-$MODE]
#   PORT           the relay's SMTP port [2760]; SINK_PORT the sink's [PORT+1]; loopback only
#   CYCLES [30]  CYCLE_SECONDS [8]  START_KILL (probability of a kill during start-up) [0.15]
#   START_TIMEOUT  seconds a restart may take before the run stops with a thread dump and a copy of the file [180]
#   HISTORY [1]  BIG [1]  SMALL [2000]  PARALLEL [200]  DRAIN_EVERY (cycles) [10]  DRAIN_TIMEOUT (s) [600]
#   MAX_MINUTES    stop starting cycles after this long [120]      SEED  the random seed [the time]
#   diskfull: MNT (the tmpfs mount point) [$WORK/mnt]  QUEUE_LEASE [30m]  LEASE_WAIT (s) [40]
#   CLIENT_TIMEOUT the client's SMTP timeout, seconds [120]
# Needs Java 17+ and python3 (standard library only). Kills only the relay processes it started.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
MODE=${1:-torture}
case $MODE in
  torture|diskfull) ;;
  *) echo "bench/crash-torture.sh: unknown mode '$MODE' (torture or diskfull)" >&2; exit 2 ;;
esac
if [ -z "${RELAY_HOME:-}" ]; then
  RELAY_HOME=$ROOT/relay-dist/target/relay
  if [ "${BUILD:-0}" = 1 ] || [ ! -x "$RELAY_HOME/bin/relay" ]; then
    echo "bench/crash-torture.sh: building the distribution" >&2
    (cd "$ROOT" && ./mvnw -B -q package -DskipTests) || { echo "bench/crash-torture.sh: the build failed" >&2; exit 2; }
  fi
fi
if [ ! -x "$RELAY_HOME/bin/relay" ]; then
  echo "bench/crash-torture.sh: no bin/relay in RELAY_HOME=$RELAY_HOME" >&2
  exit 2
fi
if [ "$MODE" = diskfull ] && [ "$(id -u)" != 0 ]; then
  echo "bench/crash-torture.sh: diskfull mounts a tmpfs: run it as root" >&2
  exit 2
fi
RELAY_HOME=$(cd "$RELAY_HOME" && pwd)
WORK=${WORK:-/tmp/relay-crash-torture-$MODE}
if mountpoint -q "$WORK/mnt" 2>/dev/null; then umount -l "$WORK/mnt"; fi
rm -rf "$WORK" && mkdir -p "$WORK" || exit 2
export RELAY_HOME WORK
exec "${PYTHON:-python3}" "$HERE/crash_torture.py" "$MODE"
