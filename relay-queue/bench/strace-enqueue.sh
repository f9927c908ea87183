#!/usr/bin/env bash
# Reproduces the syscall trace of issue 2 section 3: "acknowledged means durable".
#
# Runs dev.relay.queue.jdbc.EnqueueTrace (PRODUCERS threads enqueue N messages of 1 KiB into a
# fresh queue, each completed future marked by one write of "ACK i" to acks.log) under
#   strace -f -tt -e trace=openat,write,pwrite64,fsync,fdatasync,sync_file_range
# and then checks the trace:
#   - how many fsync/fdatasync calls hit the queue's journal segments (spool/*.seg, where an
#     acknowledged message is kept), against the number of groups the writer committed (one
#     force per group);
#   - that no ACK is written while a write to a segment is not yet followed by a sync, i.e.
#     every acknowledged message was on disk (written and synced) before its future completed.
#     (The database, queue.mv.db, is not synced on a message's way: it is rebuilt from the
#     journal after a crash.)
#
# Usage (from the repository root):
#   ./mvnw -B -q -pl relay-queue -am test-compile     # once
#   relay-queue/bench/strace-enqueue.sh [N=2000] [PRODUCERS=64] [OUT=/tmp/strace-enqueue]
# Needs strace (apt-get install -y strace). Prints a summary and keeps OUT/trace.txt.
set -euo pipefail
N=${1:-2000}
PRODUCERS=${2:-64}
OUT=${3:-/tmp/strace-enqueue}
HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$HERE/.." && pwd)
command -v strace >/dev/null || { echo "strace not found: apt-get install -y strace" >&2; exit 2; }
[ -d "$HERE/target/test-classes" ] || { echo "run ./mvnw -B -q -pl relay-queue -am test-compile first" >&2; exit 2; }
rm -rf "$OUT" && mkdir -p "$OUT"
(cd "$ROOT" && ./mvnw -B -q -pl relay-queue dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$OUT/cp.txt" >/dev/null)
CP="$HERE/target/test-classes:$HERE/target/classes:$(cat "$OUT/cp.txt")"
strace -f -tt -e trace=openat,write,pwrite64,fsync,fdatasync,sync_file_range -o "$OUT/trace.txt" \
    java -Xmx512m -cp "$CP" dev.relay.queue.jdbc.EnqueueTrace "$OUT/run" "$N" "$PRODUCERS" | tee "$OUT/result.txt"
python3 - "$OUT/trace.txt" "$OUT/result.txt" <<'PY'
import re, sys
trace, result = sys.argv[1], open(sys.argv[2]).read()
groups = int(re.search(r"groups=(\d+)", result).group(1))
db_fds, ack_fds = set(), set()      # (fd) -> the file it names, from openat
syncs = writes = acks = 0
unsynced = False                    # a write to the database not yet followed by a sync
violations, first_sync_line, excerpt = [], None, []
line_re = re.compile(r"^(\d+)\s+(\S+)\s+(\w+)\((.*)$")
resumed_re = re.compile(r"^(\d+)\s+(\S+)\s+<\.\.\. (\w+) resumed>")
pending = {}                        # pid -> fd of a sync that has started but not returned
acks_per_sync, since = [], 0
def synced(raw):
    global syncs, unsynced, first_sync_line, since
    syncs += 1; unsynced = False
    if first_sync_line is None: first_sync_line = raw
    if since: acks_per_sync.append(since)
    since = 0
    if len(excerpt) < 40: excerpt.append(raw.rstrip())
for raw in open(trace):
    r = resumed_re.match(raw)
    if r and r.group(3) in ("fsync", "fdatasync", "sync_file_range") and r.group(1) in pending:
        del pending[r.group(1)]
        synced(raw)   # a sync counts when it returns
        continue
    m = line_re.match(raw)
    if not m:
        continue
    pid, ts, call, rest = m.groups()
    if call == "openat":
        fm = re.search(r'"([^"]+)".*= (\d+)$', rest.strip())
        if fm:
            path, fd = fm.group(1), int(fm.group(2))
            db_fds.discard(fd); ack_fds.discard(fd)
            if path.endswith(".seg"):
                db_fds.add(fd)
            elif path.endswith("acks.log"):
                ack_fds.add(fd)
        continue
    fdm = re.match(r"(\d+)", rest)
    if not fdm:
        continue
    fd = int(fdm.group(1))
    if fd in db_fds and call in ("write", "pwrite64"):
        writes += 1; unsynced = True
        if first_sync_line is not None and len(excerpt) < 40: excerpt.append(raw.rstrip())
    elif fd in db_fds and call in ("fsync", "fdatasync", "sync_file_range"):
        if "<unfinished" in rest:
            pending[pid] = fd
            if len(excerpt) < 40 and first_sync_line is not None: excerpt.append(raw.rstrip())
        else:
            synced(raw)
    elif fd in ack_fds and call == "write":
        acks += 1; since += 1
        if unsynced:
            violations.append(raw.rstrip())
        if first_sync_line is not None and len(excerpt) < 40: excerpt.append(raw.rstrip()[:120])
print(f"groups committed: {groups}")
print(f"fsync/fdatasync on journal segments: {syncs}")
print(f"writes to journal segments: {writes}")
print(f"ACK writes: {acks}")
print(f"ACKs written while a journal write was not yet synced: {len(violations)}")
if acks_per_sync:
    a = sorted(acks_per_sync)
    print(f"ACKs after each sync (= group sizes): n={len(a)} min={a[0]} median={a[len(a)//2]} max={a[-1]}")
for v in violations[:10]:
    print("  VIOLATION " + v)
print("excerpt from the first sync:")
for e in excerpt:
    print("  " + e)
sys.exit(1 if violations else 0)
PY
