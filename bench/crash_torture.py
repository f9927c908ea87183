#!/usr/bin/env python3
"""The product-level crash check of the relay: bin/relay killed with SIGKILL and started again on the same data.

Run it through bench/crash-torture.sh (which builds the distribution and documents the knobs); stdlib only.

    crash_torture.py torture     history, then CYCLES kill cycles, then a final drain and the check
    crash_torture.py diskfull    the full-disk-then-crash scenario of issue 11 on a small tmpfs

Every message carries its own tag in the sender (t<TAG>@example.org); its body is derived from the tag, so the
capturing sink (a thread of this process) can tell which message arrived, for which recipient, through which
queue id (the relay's Received: header) and whether the body is byte-exact (SHA-256 of what follows the
Received: fields the relay added). A message counts as acknowledged when its DATA got 250; the queue id is taken
from that reply. After every restart the running relay's queue (relayctl queue --json) plus what the sink has
received must cover every recipient of every acknowledged message that was not deleted.
"""
import asyncio
import hashlib
import json
import os
import random
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import threading
import time

ENV = os.environ
RELAY_HOME = ENV["RELAY_HOME"]
WORK = ENV["WORK"]
PORT = int(ENV.get("PORT", "2760"))
SINK_PORT = int(ENV.get("SINK_PORT", str(PORT + 1)))
SEED = int(ENV.get("SEED", str(int(time.time()))))
RND = random.Random(SEED)
QID_RE = re.compile(r"queued as ([0-9A-Z]+)")


def log(msg):
    line = "%s %s" % (time.strftime("%H:%M:%S"), msg)
    print(line, flush=True)
    with open(os.path.join(WORK, "summary.txt"), "a") as f:
        f.write(line + "\n")


# ------------------------------------------------------------------------------------------------ the sink
class Sink:
    """A capturing next hop. mode: 'accept' (250), 'defer' (451 to MAIL); up=False: the port is closed."""

    def __init__(self, port):
        self.port = port
        self.mode = "accept"
        self.incarnation = 0           # the relay incarnation a delivery is counted for (set by the driver)
        self.lock = threading.Lock()
        self.deliveries = {}           # (sender, rcpt) -> [(sha, qid, incarnation)]
        self.log = open(os.path.join(WORK, "sink.log"), "a", buffering=1)
        self.loop = asyncio.new_event_loop()
        self.server = None
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def set_up(self, up):
        async def change():
            if up and self.server is None:
                self.server = await asyncio.start_server(self.handle, "127.0.0.1", self.port, limit=1 << 20,
                                                         backlog=512, reuse_address=True)
            elif not up and self.server is not None:
                self.server.close()
                await self.server.wait_closed()
                self.server = None
        asyncio.run_coroutine_threadsafe(change(), self.loop).result(10)

    def record(self, sender, rcpts, body):
        # the relay prepends its Received: field (folded over continuation lines); the rest is the client's
        qid, i = None, 0
        while body.startswith(b"Received:", i):
            end = body.index(b"\r\n", i) + 2
            while body[end:end + 1] in (b" ", b"\t"):
                end = body.index(b"\r\n", end) + 2
            m = re.search(rb" id ([0-9A-Z]+)", body[i:end])
            qid = qid or (m.group(1).decode() if m else None)
            i = end
        sha = hashlib.sha256(body[i:]).hexdigest()
        with self.lock:
            for r in rcpts:
                self.deliveries.setdefault((sender, r), []).append((sha, qid, self.incarnation))
        self.log.write("%.3f inc=%d qid=%s from=%s nrcpt=%d sha=%s\n" %
                       (time.time(), self.incarnation, qid, sender, len(rcpts), sha[:16]))

    async def handle(self, reader, writer):
        w = writer.write
        sender, rcpts = None, []
        try:
            w(b"220 sink ESMTP\r\n")
            while True:
                line = await reader.readline()
                if not line:
                    break
                cmd = line[:4].upper()
                if cmd == b"EHLO":
                    w(b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 104857600\r\n")
                elif cmd == b"HELO":
                    w(b"250 sink\r\n")
                elif cmd == b"MAIL":
                    rcpts = []
                    if self.mode == "defer":
                        sender = None
                        w(b"451 4.3.0 sink: try again later\r\n")
                    else:
                        sender = line[10:].split(b">")[0].strip(b" <").decode("latin1")
                        # a relay before 4c65c3f (issue 17) put its name in front of every reverse-path in rfc821 mode
                        sender = sender.rsplit(":", 1)[-1] if sender.startswith("@") else sender
                        w(b"250 2.1.0 Ok\r\n")
                elif cmd == b"RCPT":
                    if sender is None:
                        w(b"503 5.5.1 need MAIL\r\n")
                    else:
                        rcpts.append(line[8:].split(b">")[0].strip(b" <").decode("latin1"))
                        w(b"250 2.1.5 Ok\r\n")
                elif cmd == b"DATA":
                    if sender is None or not rcpts:
                        w(b"503 5.5.1 need RCPT\r\n")
                        await writer.drain()
                        continue
                    w(b"354 go\r\n")
                    await writer.drain()
                    parts = []
                    while True:
                        chunk = await reader.readline()
                        if not chunk:
                            return                      # connection lost: nothing recorded, no 250
                        if chunk == b".\r\n":
                            break
                        parts.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    self.record(sender, rcpts, b"".join(parts))   # recorded before the 250 is sent
                    w(b"250 2.0.0 Ok: delivered\r\n")
                    sender, rcpts = None, []
                elif cmd == b"RSET":
                    sender, rcpts = None, []
                    w(b"250 2.0.0 Ok\r\n")
                elif cmd == b"NOOP":
                    w(b"250 2.0.0 Ok\r\n")
                elif cmd == b"QUIT":
                    w(b"221 2.0.0 Bye\r\n")
                    await writer.drain()
                    break
                else:
                    w(b"502 5.5.2 not implemented\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    def snapshot(self):
        with self.lock:
            return {k: list(v) for k, v in self.deliveries.items()}


# ------------------------------------------------------------------------------------------------ messages
def make_body(tag, size):
    """A deterministic body of about SIZE bytes: headers, then 76-character lines of random hex."""
    head = ("From: <t%s@example.org>\r\nTo: <r0@example.net>\r\nSubject: crash torture %s\r\n"
            "Message-ID: <%s@torture.test>\r\n\r\n" % (tag, tag, tag)).encode()
    n = max(1, (size - len(head)) // 78)
    hexed = random.Random(tag).randbytes(n * 38).hex().encode()
    return head + b"".join(hexed[i * 76:(i + 1) * 76] + b"\r\n" for i in range(n))


class Ledger:
    """What the clients were told: acknowledged messages (tag -> record), deletions, and a journal file."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}            # tag -> dict(sender, rcpts, sha, qid, inc)
        self.by_qid = {}
        self.deleted = {}          # qid -> incarnation in which relayctl delete returned 0
        self.delete_unknown = set()  # qid: relayctl delete interrupted (the kill), outcome unknown
        self.attempted = 0
        self.journal = open(os.path.join(WORK, "acked.jsonl"), "a", buffering=1)

    def ack(self, tag, sender, rcpts, sha, qid, inc):
        rec = dict(tag=tag, sender=sender, rcpts=rcpts, sha=sha, qid=qid, inc=inc)
        with self.lock:
            self.acked[tag] = rec
            self.by_qid[qid] = rec
        self.journal.write(json.dumps(dict(rec, rcpts=len(rcpts))) + "\n")


class Client:
    def __init__(self, ledger, state):
        self.ledger = ledger
        self.state = state

    def session(self, msgs, stop=None, retries=1):
        """msgs: [(tag, nrcpt, size)] sent one after the other on one connection; stops at the first failure."""
        left = list(msgs)
        for _ in range(retries):
            try:
                s = smtplib.SMTP("127.0.0.1", PORT, timeout=float(ENV.get("CLIENT_TIMEOUT", "120")))
                s.ehlo("client.torture.test")
                while left:
                    if stop is not None and stop.is_set():
                        break
                    tag, nrcpt, size = left[0]
                    sender = "t%s@example.org" % tag
                    rcpts = ["r%d@example.net" % i for i in range(nrcpt)]
                    body = make_body(tag, size)
                    with self.ledger.lock:
                        self.ledger.attempted += 1
                    code, _ = s.mail(sender)
                    if code != 250:
                        return code
                    for r in rcpts:
                        code, _ = s.rcpt(r)
                        if code != 250:
                            return code
                    inc = self.state["inc"]
                    code, resp = s.data(body)
                    if code == 250:
                        m = QID_RE.search(resp.decode("latin1"))
                        self.ledger.ack(tag, sender, rcpts, hashlib.sha256(body).hexdigest(),
                                        m.group(1) if m else None, inc)
                        left.pop(0)
                    else:
                        s.rset()
                        return code
                s.quit()
                return 250
            except (OSError, smtplib.SMTPException):
                time.sleep(0.5)
        return None


# ------------------------------------------------------------------------------------------------ the relay
class Relay:
    def __init__(self, conf, state):
        self.conf = conf
        self.state = state
        self.proc = None
        RELAYS.append(self)

    def start(self, wait=True, timeout=180):
        self.state["inc"] += 1
        inc = self.state["inc"]
        self.logfile = os.path.join(WORK, "relay-%d.log" % inc)
        out = open(self.logfile, "wb")
        self.proc = subprocess.Popen([os.path.join(RELAY_HOME, "bin", "relay"), "-c", self.conf],
                                     stdout=out, stderr=subprocess.STDOUT, cwd=WORK)
        self.t_start = time.time()
        if not wait:
            return True
        return self.wait_started(timeout)

    def wait_started(self, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.logfile, "rb") as f:
                if b"relay started" in f.read():
                    return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()
        self.proc = None

    def term(self, timeout=60):
        """SIGTERM; returns (seconds it took, exit code)."""
        t0 = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            rc = "killed after %ds" % timeout
        self.proc = None
        return time.time() - t0, rc

    def ctl(self, *args, timeout=120):
        try:
            ctl_conf = os.path.join(WORK, "relayctl.conf")
            p = subprocess.run([os.path.join(RELAY_HOME, "bin", "relayctl"), "-c", ctl_conf] + list(args),
                               capture_output=True, timeout=timeout)
            return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            return None, "", "timeout"

    def queue(self):
        """qid -> {address: state} of the running relay, or None when relayctl failed."""
        rc, out, err = self.ctl("queue", "--json")
        if rc != 0:
            self.last_error = err.strip()
            return None
        q = {}
        for line in out.splitlines():
            if line.startswith("{"):
                m = json.loads(line)
                q[m["queue_id"]] = {r["address"].strip("<>"): r["state"] for r in m["recipients"]}
        return q


def write_conf(data_dir, extra=""):
    conf = os.path.join(WORK, "relay.conf")
    with open(conf, "w") as f:
        f.write("""hostname = relay.torture.test
listen = 127.0.0.1:%d
data_directory = %s
routes_file = %s/routes
metrics_listen = none
trusted_networks = 127.0.0.0/8
retry_min_backoff = 1s
retry_max_backoff = 2s
host_down_time = 1s
max_message_size = 20M
tls_enabled = no
client_tls = none
%s""" % (PORT, data_dir, WORK, extra))
    with open(os.path.join(WORK, "routes"), "w") as f:
        f.write("*  [127.0.0.1]:%d\n" % SINK_PORT)
    # relayctl gets a configuration of its own whose queue_directory does not exist: when the relay is down
    # (killed), relayctl would otherwise open queue.mv.db itself (and H2 compacts the file when it closes it,
    # or holds the lock the restarting relay needs); with it, relayctl fails instead.
    with open(conf) as f, open(os.path.join(WORK, "relayctl.conf"), "w") as g:
        g.write(f.read() + "admin_socket = %s/relayctl.sock\nqueue_directory = %s/no-such-queue\n" % (data_dir, WORK))
    return conf


# ------------------------------------------------------------------------------------------------ checks
def check(ledger, sink, queue, final=False):
    """Every recipient of every acknowledged, not deleted message: delivered (byte-exact, right queue id) or
    listed in the live queue. Returns a dict of counts and lists of bad tags."""
    got = sink.snapshot()
    r = dict(messages=0, recipients=0, delivered=0, queued=0, unknown=0, lost=0, corrupt=0, duplicates=0,
             dup_messages=0, resurrected=0, deleted=0, lost_tags=[], corrupt_tags=[], resurrected_qids=[])
    with ledger.lock:
        acked = list(ledger.acked.values())
        deleted = dict(ledger.deleted)
        unknown = set(ledger.delete_unknown)
    for m in acked:
        qid = m["qid"]
        if qid in deleted:
            r["deleted"] += 1
            later = [d for rc in m["rcpts"] for d in got.get((m["sender"], rc), []) if d[2] > deleted[qid]]
            if (queue is not None and qid in queue) or later:
                r["resurrected"] += 1
                r["resurrected_qids"].append(qid)
            continue
        if qid in unknown and (queue is None or qid not in queue):
            r["deleted"] += 1       # a delete that the kill interrupted may have been done: not counted as lost
            continue
        r["messages"] += 1
        lost = corrupt = False
        dup = 0
        for rc in m["rcpts"]:
            r["recipients"] += 1
            ds = got.get((m["sender"], rc), [])
            good = [d for d in ds if d[0] == m["sha"] and d[1] == qid]
            if good:
                r["delivered"] += 1
                dup += len(ds) - 1
            if len(good) != len(ds):
                corrupt = True
            if not good:
                if queue is None:
                    r["unknown"] += 1        # relayctl could not list the queue: neither counted as queued nor lost
                elif rc in queue.get(qid, {}):
                    r["queued"] += 1
                else:
                    lost = True
                    r["lost"] += 1
        if dup:
            r["duplicates"] += dup
            r["dup_messages"] += 1
        if corrupt:
            r["corrupt"] += 1
            r["corrupt_tags"].append(m["tag"])
        if lost:
            r["lost_tags"].append("%s(%s)" % (m["tag"], qid))
    return r


def fmt(r):
    return ("acknowledged=%d recipients=%d delivered=%d queued=%d%s lost=%d corrupt=%d duplicates=%d(%d messages) "
            "deleted=%d resurrected=%d" % (r["messages"], r["recipients"], r["delivered"], r["queued"],
                                           " unknown=%d (relayctl failed)" % r["unknown"] if r["unknown"] else "",
                                           r["lost"],
                                           r["corrupt"], r["duplicates"], r["dup_messages"], r["deleted"],
                                           r["resurrected"]))


def drain(relay, sink, timeout):
    """Next hop up and accepting; held messages released; retry now; wait for an empty queue."""
    sink.set_up(True)
    sink.mode = "accept"
    deadline = time.time() + timeout
    q = None
    while time.time() < deadline:
        q = relay.queue()
        if q is not None and not q:
            return q
        if q:
            held = [i for i, rs in q.items() if "held" in rs.values()]
            if held:
                relay.ctl("release", *held)
            relay.ctl("retry", "--all")
        time.sleep(2)
    return q


# ------------------------------------------------------------------------------------------------ workloads
def rand_msg(tag):
    """A mixed message: mostly small, sometimes 100 KiB-1 MiB, rarely up to 10 MiB; 1 recipient mostly,
    sometimes 2-50, rarely up to 1,000."""
    x = RND.random()
    size = (RND.randint(300, 40000) if x < 0.85 else RND.randint(100 << 10, 1 << 20) if x < 0.97
            else RND.randint(2 << 20, 10 << 20))
    y = RND.random()
    nrcpt = 1 if y < 0.75 else RND.randint(2, 50) if y < 0.97 else RND.randint(200, 1000)
    return (tag, nrcpt, size)


def history(client, big, small, parallel):
    t0 = time.time()

    def run(fn, argss):
        th = [threading.Thread(target=fn, args=a) for a in argss]
        for t in th:
            t.start()
        for t in th:
            t.join()
    if big:
        sizes = [10 << 20, 6 << 20, 4 << 20, 3 << 20, 2 << 20, 1 << 20, 512 << 10]
        run(client.session, [([("h-big%d" % i, 1, sz)],) for i, sz in enumerate(sizes)])
    client.session([("h-fan", 1000, 20000)])
    run(client.session, [([("h-par%d-%d" % (k, j), 1 + j, random.Random(k).choice([1024, 4096, 30000, 200000]))
                           for j in range(3)],) for k in range(parallel)])
    run(client.session, [([("h-small%d-%d" % (k, j), 1, 1024) for j in range(small // 20)],) for k in range(20)])
    log("history: %.1f s" % (time.time() - t0))


def admin_loop(relay, ledger, stop, state):
    """relayctl hold / release / delete on random recently acknowledged messages, until stop. (No listing first:
    a relayctl run costs a JVM start, seconds on a loaded machine; a message already gone gives "no message".)"""
    while not stop.wait(RND.uniform(0.5, 2.0)):
        with ledger.lock:
            recent = [m["qid"] for m in list(ledger.acked.values())[-40:] if m["qid"] not in ledger.deleted]
        if not recent:
            continue
        qid = RND.choice(recent)
        op = RND.choice(["hold", "hold", "release", "release", "delete"])
        inc = state["inc"]
        if op == "delete":
            with ledger.lock:
                ledger.delete_unknown.add(qid)
            rc, out, err = relay.ctl("delete", "-y", qid)
            with ledger.lock:
                if rc == 0:
                    ledger.deleted[qid] = inc
                    ledger.delete_unknown.discard(qid)
                elif "no message" in err or "no such message" in err:
                    ledger.delete_unknown.discard(qid)     # it was not there (delivered, or deleted before)
        else:
            rc, out, err = relay.ctl(op, qid)
        gone = "no message" in err or "no such message" in err or "nothing to" in err
        key = "admin_%s_%s" % (op, "ok" if rc == 0 else "nothing_to_do" if gone else "failed")
        state[key] = state.get(key, 0) + 1


def torture():
    cycles = int(ENV.get("CYCLES", "30"))
    state = dict(inc=0)
    conf = write_conf(os.path.join(WORK, "data"))
    sink = Sink(SINK_PORT)
    sink.set_up(True)
    ledger = Ledger()
    client = Client(ledger, state)
    relay = Relay(conf, state)
    log("torture: SEED=%d CYCLES=%d PORT=%d SINK_PORT=%d RELAY_HOME=%s" % (SEED, cycles, PORT, SINK_PORT, RELAY_HOME))
    if not relay.start():
        log("RELAY CANNOT START (first start); log %s" % relay.logfile)
        return 2
    sink.incarnation = state["inc"]
    if ENV.get("HISTORY", "1") == "1":
        history(client, ENV.get("BIG", "1") == "1", int(ENV.get("SMALL", "2000")), int(ENV.get("PARALLEL", "200")))
        drain(relay, sink, 600)
    qfile = os.path.join(WORK, "data", "queue", "queue.mv.db")
    log("after history: %d acknowledged, queue file %d bytes" % (len(ledger.acked), os.path.getsize(qfile)))
    totals = dict(lost_at_restart=0, startup_kills=0, cannot_start=0)
    cycle_max = float(ENV.get("CYCLE_SECONDS", "8"))
    start_kill = float(ENV.get("START_KILL", "0.15"))
    deadline = time.time() + float(ENV.get("MAX_MINUTES", "120")) * 60
    done = 0
    for cycle in range(1, cycles + 1):
        if time.time() > deadline:
            log("MAX_MINUTES reached after %d cycles" % done)
            break
        # workload: 1-4 parallel sessions of up to 10 messages each; the sink defers for a while, then accepts
        sink.mode = "defer" if RND.random() < 0.7 else "accept"
        stop = threading.Event()
        workers = []
        for k in range(RND.randint(1, 4)):
            msgs = [rand_msg("c%dk%dm%d" % (cycle, k, j)) for j in range(RND.randint(1, 10))]
            workers.append(threading.Thread(target=client.session, args=(msgs, stop)))
        workers.append(threading.Thread(target=admin_loop, args=(relay, ledger, stop, state)))
        for t in workers:
            t.start()
        accept_at = time.time() + RND.uniform(0.5, cycle_max)
        kill_at = time.time() + RND.uniform(0.3, cycle_max)
        while time.time() < kill_at:
            if time.time() >= accept_at:
                sink.mode = "accept"
            time.sleep(0.05)
        relay.kill9()
        stop.set()
        for t in workers:
            t.join(120)
        sink.mode = "defer"
        # a kill during start-up, now and then
        if RND.random() < start_kill:
            relay.start(wait=False)
            time.sleep(RND.uniform(0.2, 4.0))
            relay.kill9()
            totals["startup_kills"] += 1
        if not relay.start(timeout=float(ENV.get("START_TIMEOUT", "180"))):
            totals["cannot_start"] += 1
            running = relay.proc is not None and relay.proc.poll() is None
            log("cycle %d: RELAY CANNOT START on this data (%s); log %s" %
                (cycle, "still starting after START_TIMEOUT" if running else "it exited", relay.logfile))
            subprocess.run(["grep", "-E", "rror|not started", relay.logfile])
            if running:
                thread_dump(relay, "threads-start-%d.txt" % state["inc"])
                shutil.copy(qfile, os.path.join(WORK, "queue-at-failed-start.mv.db"))
            relay.kill9()
            return 2
        sink.incarnation = state["inc"]
        q = relay.queue()
        r = check(ledger, sink, q)
        totals["lost_at_restart"] += r["lost"]
        done = cycle
        log("cycle %d: inc=%d queue=%s %s%s" % (cycle, state["inc"], "?" if q is None else len(q), fmt(r),
                                               (" LOST: " + " ".join(r["lost_tags"][:10])) if r["lost"] else ""))
        if cycle % int(ENV.get("DRAIN_EVERY", "10")) == 0:
            drain(relay, sink, 300)
    q = drain(relay, sink, float(ENV.get("DRAIN_TIMEOUT", "600")))
    r = check(ledger, sink, q, final=True)
    took, rc = relay.term()
    log("final: queue %s after the drain; SIGTERM took %.1f s, exit code %s" % ("?" if q is None else len(q), took, rc))
    if r["lost_tags"]:
        log("lost: " + " ".join(r["lost_tags"][:50]))
    if r["corrupt_tags"]:
        log("corrupt: " + " ".join(r["corrupt_tags"][:50]))
    if r["resurrected_qids"]:
        log("resurrected: " + " ".join(r["resurrected_qids"][:50]))
    bad = r["lost"] + r["corrupt"] + r["resurrected"] + totals["lost_at_restart"]
    # starts at which the queue's StoreRecovery found the H2 header behind the newest complete version (issue 11)
    repaired = 0
    for i in range(1, state["inc"] + 1):
        with open(os.path.join(WORK, "relay-%d.log" % i), "rb") as f:
            repaired += b"was not closed cleanly and its header leads to version" in f.read()
    log("SUMMARY torture: cycles=%d startup_kills=%d restarts=%d header_repairs=%d attempted=%d %s "
        "lost_at_restarts=%d admin=%s queue_file=%d -> %s" % (done, totals["startup_kills"], state["inc"] - 1,
                                             repaired, ledger.attempted, fmt(r), totals["lost_at_restart"],
                                             ",".join("%s:%d" % (k[6:], v) for k, v in sorted(state.items())
                                                      if k.startswith("admin_")),
                                             os.path.getsize(qfile), "FAIL" if bad else "PASS"))
    return 1 if bad else 0


# ------------------------------------------------------------------------------------------------ disk full
def diskfull():
    mnt = ENV.get("MNT", os.path.join(WORK, "mnt"))
    os.makedirs(mnt, exist_ok=True)
    subprocess.run(["umount", mnt], stderr=subprocess.DEVNULL)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt], check=True)
    try:
        return diskfull_run(mnt)
    finally:
        for relay in RELAYS:
            relay.kill9()
        shutil.copytree(os.path.join(mnt, "data"), os.path.join(WORK, "data-at-end"), dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.sock"))
        subprocess.run(["umount", "-l", mnt])


def send_until_full(client, prefix, conns, limit):
    """CONNS connections send 10 KB messages until a 4xx (or LIMIT each); returns the codes that stopped them."""
    codes = []

    def one(k):
        codes.append(client.session([("%s-%d-%d" % (prefix, k, j), 1, 10000) for j in range(limit)]))
    th = [threading.Thread(target=one, args=(k,)) for k in range(conns)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    return codes


def leases_stuck(relay, seconds):
    """Polls the queue for SECONDS with the next hop up; returns the recipients still not delivered."""
    deadline = time.time() + seconds
    q = None
    while time.time() < deadline:
        q = relay.queue()
        if q is not None and not q:
            return 0, q
        time.sleep(1)
    return (None if q is None else sum(len(rs) for rs in q.values())), q


def thread_dump(relay, name):
    dump = os.path.join(WORK, name)
    with open(dump, "w") as f:
        subprocess.run(["jcmd", str(relay.proc.pid), "Thread.print"], stdout=f, stderr=subprocess.STDOUT)
    log("        the relay's threads: %s" % dump)


def diskfull_run(mnt):
    state = dict(inc=0)
    data = os.path.join(mnt, "data")
    conf = write_conf(data, "queue_lease = %s\n" % ENV.get("QUEUE_LEASE", "30m"))
    sink = Sink(SINK_PORT)             # down: the port is closed
    ledger = Ledger()
    client = Client(ledger, state)
    relay = Relay(conf, state)
    ballast = os.path.join(mnt, "ballast")
    with open(ballast, "wb") as f:
        f.write(os.urandom(2 << 20))
    log("diskfull: SEED=%d tmpfs %s size=8m, 2 MiB ballast, next hop down" % (SEED, mnt))
    if not relay.start():
        log("RELAY CANNOT START on the empty tmpfs; log %s" % relay.logfile)
        return 2
    codes = send_until_full(client, "f1", 10, 2000)
    df = subprocess.run(["df", "-k", mnt], capture_output=True, text=True).stdout.splitlines()[-1]
    log("step 1: 10 connections until refused: stopped by %s; acknowledged %d; df: %s" %
        (sorted(set(map(str, codes))), len(ledger.acked), df))
    relay.kill9()
    log("step 2: kill -9 while full")
    started = relay.start(timeout=120)
    log("step 3: restart while full: %s (log %s)" % ("started" if started else "DID NOT START", relay.logfile))
    if started:
        sink.incarnation = state["inc"]
        q = relay.queue()
        r = check(ledger, sink, q)
        log("        after the restart on the full disk: queue=%s %s" %
            ("? (%s)" % relay.last_error if q is None else len(q), fmt(r)))
    else:
        subprocess.run(["grep", "-E", "not started", relay.logfile])
    os.remove(ballast)
    log("step 4: ballast freed")
    if not started:
        if not relay.start(timeout=120):
            log("RELAY CANNOT START after the ballast was freed; log %s" % relay.logfile)
            return 2
        sink.incarnation = state["inc"]
        log("        started once the ballast was freed")
    n0 = len(ledger.acked)
    codes = send_until_full(client, "f2", 5, 10)
    log("step 5: 50 more: acknowledged %d, stopped by %s" % (len(ledger.acked) - n0, sorted(set(map(str, codes)))))
    if None in codes:
        thread_dump(relay, "threads-step5.txt")
    sink.set_up(True)
    wait = float(ENV.get("LEASE_WAIT", "40"))
    left, q = leases_stuck(relay, wait)
    rc, out, err = relay.ctl("retry", "--all")
    stuck_states = {}
    for rs in (q or {}).values():
        for s in rs.values():
            stuck_states[s] = stuck_states.get(s, 0) + 1
    log("step 6: next hop up; after %ds: %s recipients not delivered %s; relayctl retry --all: rc=%s %s" %
        (wait, left, stuck_states, rc, (out + err).strip().replace("\n", " | ")))
    if left:
        left2, q = leases_stuck(relay, 15)
        log("        15 s after the retry: %s recipients not delivered" % left2)
        if left2:
            thread_dump(relay, "threads-stuck.txt")
    subprocess.run(["mount", "-o", "remount,size=64m", mnt], check=True)
    log("step 7: file system grown to 64m")
    took, rc = relay.term()
    with open(relay.logfile, "rb") as f:
        tail = [l.decode("utf-8", "replace").strip() for l in f if b"lease" in l or b"no space" in l.lower()]
    log("step 8: SIGTERM took %.1f s, exit code %s; lease/space lines in its log: %d %s" %
        (took, rc, len(tail), tail[-2:]))
    if not relay.start():
        log("RELAY CANNOT START after growing the file system; log %s" % relay.logfile)
        return 2
    sink.incarnation = state["inc"]
    t0 = time.time()
    q = drain(relay, sink, float(ENV.get("DRAIN_TIMEOUT", "300")))
    log("step 9: restart and drain: queue %s after %.1f s" % ("?" if q is None else len(q), time.time() - t0))
    r = check(ledger, sink, q, final=True)
    took, rc = relay.term()
    with open(os.path.join(WORK, "all-relay.log"), "wb") as out:
        for i in range(1, state["inc"] + 1):
            with open(os.path.join(WORK, "relay-%d.log" % i), "rb") as f:
                out.write(f.read())
    if r["lost_tags"]:
        log("lost: " + " ".join(r["lost_tags"][:50]))
    bad = r["lost"] + r["corrupt"]
    log("SUMMARY diskfull: attempted=%d %s stuck_after_space_back=%s final_stop=%.1fs -> %s" %
        (ledger.attempted, fmt(r), left, took, "FAIL" if bad else "PASS"))
    return 1 if bad else 0


RELAYS = []          # every Relay of this run: killed when the driver is stopped (SIGTERM, Ctrl-C)


def stop_driver(signum, frame):
    for relay in RELAYS:
        relay.kill9()
    sys.exit(2)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop_driver)
    signal.signal(signal.SIGINT, stop_driver)
    sys.exit({"torture": torture, "diskfull": diskfull}[sys.argv[1]]())
