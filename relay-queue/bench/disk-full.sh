#!/usr/bin/env bash
# Issue 2 section 6, a real full disk: mounts a 3 MiB tmpfs (needs root), fills a queue on it with
# 64 KiB messages until an enqueue fails, frees 512 KiB of that file system and enqueues again in
# the same process (the queue must open the database H2 closed by itself), then copies the database
# to a roomy folder, reopens it and counts the messages: every acknowledged one must be there and
# whole, the failed one absent.
#
# Usage (from the repository root, as root):
#   ./mvnw -B -q -pl relay-queue -am test-compile     # once
#   relay-queue/bench/disk-full.sh [WORK=/tmp/queue-disk-full]
set -euo pipefail
WORK=${1:-/tmp/queue-disk-full}
HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$HERE/.." && pwd)
mkdir -p "$WORK/tiny" "$WORK/after"
(cd "$ROOT" && ./mvnw -B -q -pl relay-queue dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$WORK/cp.txt" >/dev/null)
CP="$HERE/target/test-classes:$HERE/target/classes:$(cat "$WORK/cp.txt")"
mount -t tmpfs -o size=3m tmpfs "$WORK/tiny"
trap 'umount "$WORK/tiny" 2>/dev/null || true' EXIT
java -cp "$CP" dev.relay.queue.jdbc.DiskFullTrial "$WORK/tiny/q" fill 2>/dev/null
rm -rf "$WORK/after/q" && cp -r "$WORK/tiny/q" "$WORK/after/q"
java -cp "$CP" dev.relay.queue.jdbc.DiskFullTrial "$WORK/after/q" check 2>/dev/null
