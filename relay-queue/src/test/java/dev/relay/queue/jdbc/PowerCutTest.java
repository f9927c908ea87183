package dev.relay.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.MessageBody;
import dev.relay.queue.Outcome;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientOutcome;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.h2.mvstore.DataUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The power-failure variant of the crash-torture harness ({@link CrashTortureTest} is the kill -9
 * one). A kill keeps the operating system's page cache; a power cut loses whatever was written
 * but not synced. The queue runs on {@link PowerCutDisk}, which remembers what was synced; the
 * power is cut at a random moment, and the next round starts from a file the disk could hold then.
 *
 * <p>Each round, on one queue file with a history (built first: messages of up to 4 MiB sent
 * through and delivered, so that H2 reuses the freed space):
 * <ol>
 * <li>the file is aged by an hour (its header's creation time is moved back, and with it the age
 * of every chunk in it): H2 reuses a dead chunk's space only when the chunk was written more than
 * its retention time (45 s) ago, which every chunk of a long-running relay is, and which a round
 * of seconds otherwise never reaches. H2's settings are the production ones;</li>
 * <li>the queue is opened through {@code recovering:powercut:} and a concurrent workload runs:
 * senders (some one message at a time, some many at once) whose messages count as acknowledged
 * only once their future completed, a deliverer that claims, reads bodies and records outcomes
 * (delivered, deferred, failed), and an administrator who holds, releases, retries and deletes;</li>
 * <li>the power is cut at a random moment (sometimes during start-up, which may be repairing the
 * header of the previous round's image), the threads stop, and the crash image is built, with
 * the loss of unsynced writes chosen at random among {@link PowerCutDisk.Loss};</li>
 * <li>a copy of the image is opened the way production does ({@code recovering:file:}) and checked:
 * every acknowledged message is still queued, whole (its body's SHA-256, every recipient), or every
 * recipient of it had been reported delivered or failed, or it was being deleted; a message whose
 * delete had returned is not back; a recipient that was reported final but is waiting again is a
 * duplicate delivery, allowed and counted (outcomes are committed, not synced);</li>
 * <li>the image becomes the queue file of the next round.</li>
 * </ol>
 * {@code -Drelay.powercut.rounds=N} (default 12), {@code -Drelay.powercut.seed=S},
 * {@code -Drelay.powercut.maxMib=M} (largest body of the workload, default 1),
 * {@code -Drelay.powercut.young=true} (no ageing), {@code -Drelay.powercut.keep=true} (every round's
 * files under target/power-cut/).
 *
 * <p>Every file of the queue is on that disk: the database and the journal beside it (segments and
 * control files); the crash image is built for each. A round's image of the journal holds every
 * group that was synced, so nothing acknowledged may be missing; outcomes are not synced, so
 * deliveries reported before the cut may be waiting again (duplicates, counted).
 *
 * <p>Not in the default build (JUnit tag {@code powercut}, about a minute and a half for 12 rounds);
 * {@code ./mvnw -B -pl relay-queue -Ppowercut verify} runs it. Before the journal it found a queue
 * that refused to start after most cuts (H2's ordinary open would come up at a version older than
 * the last synced one: {@link StoreRecoveryTornChunkTest} shows it on MVStore alone), an
 * acknowledged message with a recipient missing, and a start that hung in its first UPDATE.
 */
@Tag("powercut")
class PowerCutTest {
    private static final SmtpReply OK = SmtpReply.of(250, "2.0.0", "ok");
    private static final SmtpReply LATER = SmtpReply.of(451, "4.3.0", "try later");
    private static final SmtpReply NO = SmtpReply.of(550, "5.1.1", "no such user");
    /** How far each round moves the store's creation time back. */
    private static final long AGE_MILLIS = Duration.ofHours(1).toMillis();
    private static final int BLOCK = PowerCutDisk.BLOCK;
    private static final int OPEN_TIMEOUT_SECONDS = 60;

    @TempDir
    Path dir;

    // The ledger: what the workload was told, over all rounds.
    private final Map<String, Acked> acked = new ConcurrentHashMap<>();
    private final Set<String> delivered = ConcurrentHashMap.newKeySet(); // "id address": reported final
    private final Set<String> deleting = ConcurrentHashMap.newKeySet();
    private final Set<String> deleted = ConcurrentHashMap.newKeySet();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private long duplicates;
    private long checks;
    private long ackedTotal;
    private long unacknowledgedButStored;

    private record Acked(String sha, int recipients) {
    }

    /** The queue's content as read after a round: message id to SHA-256 and recipients' states. */
    private record State(Map<String, String> shas, Map<String, Map<String, String>> recipients) {
    }

    @AfterEach
    void powerOn() throws IOException {
        PowerCutDisk.reset();
    }

    @Test
    void nothingAcknowledgedIsLostAcrossManyPowerCuts() throws Exception {
        int rounds = Integer.getInteger("relay.powercut.rounds", 12);
        int maxMib = Integer.getInteger("relay.powercut.maxMib", 1);
        long seed = Long.getLong("relay.powercut.seed", System.nanoTime());
        Random random = new Random(seed);
        PowerCutDisk.register();
        Path live = dir.resolve("live");
        Path store = live.resolve(H2MessageQueue.DATABASE_NAME + ".mv.db");
        history(live, random.nextLong());
        List<QueueId> known = new ArrayList<>();
        int cutInStartup = 0;
        long keptBlocks = 0;
        long unsyncedBlocks = 0;
        Map<PowerCutDisk.Loss, Integer> losses = new EnumMap<>(PowerCutDisk.Loss.class);
        long started = System.nanoTime();
        int done = 0;
        for (int round = 0; round < rounds; round++) {
            done++;
            PowerCutDisk.reset();
            if (!Boolean.getBoolean("relay.powercut.young")) {
                age(store);
            }
            boolean inStartup = random.nextInt(8) == 0;
            long cutAfter = inStartup ? random.nextInt(300) : 500 + random.nextInt(2500);
            if (!run(live, known, cutAfter, random.nextLong(), maxMib)) {
                cutInStartup++;
            }
            PowerCutDisk.Loss loss = loss(random);
            losses.merge(loss, 1, Integer::sum);
            Path imageDir = dir.resolve("image");
            Path image = imageDir.resolve(store.getFileName());
            PowerCutDisk.Image what = crashImages(live, imageDir, loss, random);
            System.out.println("POWER CUT: round " + round + ": cut after " + cutAfter + " ms, " + loss + ", " + what);
            if (KEEP) {
                keepRound(store, image, round);
            }
            keptBlocks += what.blocksKept();
            unsyncedBlocks += what.blocksWritten();
            PowerCutDisk.reset();
            deleteTree(live);
            Files.move(imageDir, live);
            State state = check(live, store, round, loss);
            known.clear();
            state.shas().keySet().forEach(id -> known.add(new QueueId(id)));
            if (!violations.isEmpty()) {
                keep(store, round);
                break;
            }
        }
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        String summary = String.format("seed %d: %d power cuts (%d in start-up; losses %s) in %d s, %d of %d unsynced"
                + " blocks kept, %d messages acknowledged, %d acknowledged-message checks, %d lost or damaged,"
                + " %d duplicate deliveries, %d stored without an acknowledgement", seed, done, cutInStartup,
                losses, seconds, keptBlocks, unsyncedBlocks, ackedTotal, checks, violations.size(), duplicates,
                unacknowledgedButStored);
        System.out.println("POWER CUT: " + summary);
        violations.stream().limit(20).forEach(v -> System.out.println("POWER CUT: " + v));
        assertThat(violations).as(summary).isEmpty();
        assertThat(ackedTotal).isPositive();
        assertThat(checks).isGreaterThan(ackedTotal);
    }

    private static PowerCutDisk.Loss loss(Random random) {
        int p = random.nextInt(100);
        return p < 50 ? PowerCutDisk.Loss.PAGES : p < 75 ? PowerCutDisk.Loss.IN_ORDER
                : p < 90 ? PowerCutDisk.Loss.ALL : PowerCutDisk.Loss.NONE;
    }

    /**
     * The history: messages of 0.5 KiB to 4 MiB (LOBs) sent through the queue and delivered, so the
     * file has freed space that H2 reuses; on the ordinary file system, closed cleanly.
     */
    private void history(Path live, long seed) throws Exception {
        Random r = new Random(seed);
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(live), Clock.systemUTC())) {
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            for (int i = 0; i < 1200; i++) {
                int size = i % 150 == 149 ? (1 + r.nextInt(4)) << 20 : 512 + r.nextInt(4096);
                QueueId id = QueueId.generate();
                futures.add(q.enqueue(id, envelope(1 + r.nextInt(3)), MessageBody.of(body(r, size))));
                if (futures.size() == 100) {
                    CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).join();
                    futures.clear();
                }
            }
            CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).join();
            for (List<ClaimedMessage> batch; !(batch = q.claim("history", 1000, Duration.ofMinutes(5))).isEmpty(); ) {
                for (ClaimedMessage m : batch) {
                    List<RecipientOutcome> outcomes = new ArrayList<>();
                    for (ClaimedRecipient cr : m.recipients()) {
                        outcomes.add(new RecipientOutcome(cr.id(), new Outcome.Delivered(OK, "history")));
                    }
                    q.complete(m.id(), outcomes);
                }
            }
        }
    }

    /**
     * One round: opens the queue through {@code powercut:}, runs the workload and cuts the power
     * {@code cutAfter} ms after the start. Returns whether the queue had opened before the cut.
     */
    private boolean run(Path live, List<QueueId> known, long cutAfter, long seed, int maxMib) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Random r = new Random(seed);
        // Often the mail stops coming in a while before the cut (and the administrator may stop too):
        // then only deliveries change the store, committed without a sync, as while a relay drains
        // its queue.
        long t0 = System.nanoTime();
        long sendersStop = r.nextInt(10) < 6 ? t0 + cutAfter * (20 + r.nextInt(60)) * 10_000 : Long.MAX_VALUE;
        long adminStop = r.nextBoolean() ? sendersStop : Long.MAX_VALUE;
        Thread cutter = new Thread(() -> {
            try {
                Thread.sleep(cutAfter);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            PowerCutDisk.cut();
            stop.set(true);
        }, "power-cut");
        cutter.start();
        H2MessageQueue q;
        try {
            q = H2MessageQueue.open(Fixtures.settings(live).withDefaultLease(Duration.ofMinutes(5)), Clock.systemUTC(),
                    PowerCutDisk.SCHEME);
        } catch (RuntimeException e) {
            cutter.join();
            if (!PowerCutDisk.isOff()) {
                throw e;
            }
            return false;
        }
        List<QueueId> ids = new CopyOnWriteArrayList<>(known);
        List<Thread> workers = new ArrayList<>();
        int senders = 1 + r.nextInt(4);
        for (int i = 0; i < senders; i++) {
            long s = r.nextLong();
            boolean parallel = r.nextBoolean();
            workers.add(start("sender-" + i, stop,
                    () -> send(q, new Random(s), maxMib, ids, parallel, stop, sendersStop)));
        }
        workers.add(start("deliverer", stop, () -> deliver(q, stop)));
        workers.add(start("admin", stop, () -> admin(q, ids, stop, adminStop)));
        cutter.join();
        // closed first: a worker waiting for a connection that cannot be made fails at once
        try {
            q.close();
        } catch (RuntimeException e) {
            // H2 closed the database at the cut: nothing left to close
        }
        for (Thread t : workers) {
            t.join(60_000);
            assertThat(t.isAlive()).as(t.getName() + " still running 60 s after the power cut").isFalse();
        }
        return true;
    }

    private interface Work {
        void run() throws Exception;
    }

    private Thread start(String name, AtomicBoolean stop, Work work) {
        Thread t = new Thread(() -> {
            try {
                work.run();
            } catch (Throwable e) {
                if (!PowerCutDisk.isOff()) {
                    violations.add(name + " failed before the power cut: " + e);
                    stop.set(true);
                }
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void send(H2MessageQueue q, Random r, int maxMib, List<QueueId> ids, boolean parallel,
                      AtomicBoolean stop, long until) throws Exception {
        Semaphore inFlight = new Semaphore(parallel ? 64 : 1);
        while (!stop.get() && before(until)) {
            int kind = r.nextInt(100);
            int size = kind < 2 ? (1 + r.nextInt(maxMib)) << 20 // a LOB
                    : kind < 12 ? 10_000 + r.nextInt(200_000) : 1024 + r.nextInt(4096);
            int kindR = r.nextInt(100);
            int rcpts = kindR < 1 ? 1000 : kindR < 8 ? 2 + r.nextInt(50) : 1 + r.nextInt(3);
            byte[] body = body(r, size);
            String sha = TortureChild.sha(new ByteArrayInputStream(body));
            QueueId id = QueueId.generate();
            inFlight.acquire();
            q.enqueue(id, envelope(rcpts), MessageBody.of(body)).whenComplete((v, e) -> {
                inFlight.release();
                if (e == null) {
                    // the 250: only now does the message count as acknowledged
                    acked.put(id.value(), new Acked(sha, rcpts));
                    ackedCount();
                    ids.add(id);
                } else if (!PowerCutDisk.isOff()) {
                    violations.add(id + ": refused before the power cut: " + e);
                    stop.set(true);
                }
            });
        }
    }

    /** Whether {@code until} (a {@link System#nanoTime} value, or Long.MAX_VALUE for never) is still ahead. */
    private static boolean before(long until) {
        return until == Long.MAX_VALUE || System.nanoTime() - until < 0;
    }

    private synchronized void ackedCount() {
        ackedTotal++;
    }

    private void deliver(H2MessageQueue q, AtomicBoolean stop) throws Exception {
        while (!stop.get()) {
            List<ClaimedMessage> batch = q.claim("power", 200, Duration.ofMinutes(5));
            if (batch.isEmpty()) {
                Thread.sleep(10);
                continue;
            }
            for (ClaimedMessage m : batch) {
                try (InputStream in = q.openBody(m.id())) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                } catch (java.nio.file.NoSuchFileException e) {
                    // deleted by the administrator meanwhile: its outcomes match nothing
                }
                ThreadLocalRandom r = ThreadLocalRandom.current();
                List<RecipientOutcome> outcomes = new ArrayList<>();
                for (ClaimedRecipient cr : m.recipients()) {
                    int p = r.nextInt(100);
                    Outcome o = p < 70 ? new Outcome.Delivered(OK, "sink")
                            : p < 90 ? new Outcome.Deferred(LATER, "sink", Instant.now().plusMillis(r.nextInt(800)),
                                    false)
                            : new Outcome.Failed(NO, "sink");
                    if (!(o instanceof Outcome.Deferred)) {
                        // the sink has it (or the bounce was sent) before the outcome is recorded
                        delivered.add(m.id() + " " + cr.recipient().forwardPath().mailbox());
                    }
                    outcomes.add(new RecipientOutcome(cr.id(), o));
                }
                q.complete(m.id(), outcomes);
            }
        }
    }

    private void admin(H2MessageQueue q, List<QueueId> ids, AtomicBoolean stop, long until) throws Exception {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        while (!stop.get() && before(until)) {
            Thread.sleep(5 + r.nextInt(40));
            if (ids.isEmpty()) {
                continue;
            }
            QueueId id = ids.get(r.nextInt(ids.size()));
            int p = r.nextInt(10);
            if (p < 4) {
                q.admin().hold(List.of(id));
            } else if (p < 8) {
                q.admin().release(List.of(id));
            } else if (p < 9) {
                deleting.add(id.value());
                q.admin().delete(List.of(id));
                deleted.add(id.value()); // relayctl said it is done
                ids.remove(id);
            } else {
                q.admin().retry(List.of(id));
            }
        }
    }

    /** Opens a copy of the crash image as production does and checks it against the ledger. */
    /**
     * After the cut: what the disk could hold of every file of the queue (database and journal),
     * each by {@code loss}, into {@code target}. The clean-stop marker is left out: the queue's
     * close after the cut wrote it, which a machine without power never does. Returns the sums.
     */
    private static PowerCutDisk.Image crashImages(Path live, Path target, PowerCutDisk.Loss loss, Random random)
            throws IOException {
        int pending = 0;
        int written = 0;
        int kept = 0;
        boolean truncation = false;
        List<Path> files;
        try (var s = Files.walk(live)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            if (name.endsWith(".durable") || name.equals("lock") || name.equals(Journal.CLEAN_MARKER)) {
                continue;
            }
            Path to = target.resolve(live.relativize(f).toString());
            Files.createDirectories(to.getParent());
            PowerCutDisk.Image i = PowerCutDisk.crashImage(f, to, loss, random);
            pending += i.pendingWrites();
            written += i.blocksWritten();
            kept += i.blocksKept();
            truncation |= i.truncationKept();
        }
        return new PowerCutDisk.Image(pending, written, kept, truncation);
    }

    private static void deleteTree(Path root) throws IOException {
        try (var s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else if (!p.getFileName().toString().endsWith(".durable")) {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private State check(Path live, Path store, int round, PowerCutDisk.Loss loss) throws Exception {
        Path copy = dir.resolve("check");
        copyTree(live, copy);
        State state;
        // in a thread of its own: a store that H2 cannot open may also make it hang
        CompletableFuture<State> opened = new CompletableFuture<>();
        Thread opener = new Thread(() -> {
            try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(copy), Clock.systemUTC())) {
                opened.complete(read(q));
            } catch (Throwable e) {
                opened.completeExceptionally(e);
            }
        }, "check-open");
        opener.setDaemon(true);
        opener.start();
        try {
            state = opened.get(OPEN_TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            violations.add("round " + round + " (" + loss + "): the queue does not open on the crash image"
                    + (e instanceof java.util.concurrent.TimeoutException ? " within " + OPEN_TIMEOUT_SECONDS + " s"
                    : ": " + e.getCause()));
            keep(store, round);
            return new State(Map.of(), Map.of());
        } finally {
            deleteTree(copy);
        }
        verify(state, "round " + round + " (" + loss + ")");
        return state;
    }

    private static State read(H2MessageQueue q) throws Exception {
        Map<String, String> shas = new HashMap<>();
        Map<String, Map<String, String>> recipients = new HashMap<>();
        try (Connection c = q.connection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT queue_id FROM message")) {
                while (rs.next()) {
                    try (InputStream in = q.openBody(new QueueId(rs.getString(1)))) {
                        shas.put(rs.getString(1), TortureChild.sha(in));
                    }
                    recipients.put(rs.getString(1), new HashMap<>());
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT queue_id, forward_path, state FROM recipient")) {
                while (rs.next()) {
                    String path = rs.getString(2);
                    recipients.computeIfAbsent(rs.getString(1), k -> new HashMap<>())
                            .put(path.substring(1, path.length() - 1), rs.getString(3));
                }
            }
            c.commit();
        }
        return new State(shas, recipients);
    }

    private void verify(State state, String when) {
        for (Map.Entry<String, Acked> e : acked.entrySet()) {
            String id = e.getKey();
            Acked a = e.getValue();
            checks++;
            String sha = state.shas().get(id);
            if (sha == null) {
                if (deleting.contains(id)) {
                    continue;
                }
                int reached = 0;
                for (int i = 0; i < a.recipients(); i++) {
                    if (delivered.contains(id + " " + address(i))) {
                        reached++;
                    }
                }
                if (reached < a.recipients()) {
                    violations.add(when + ": LOST " + id + ": acknowledged with " + a.recipients()
                            + " recipients, " + reached + " of them reported final, and no longer in the queue");
                }
                continue;
            }
            if (deleted.contains(id)) {
                violations.add(when + ": RESURRECTED " + id + ": deleted, and in the queue again");
            }
            if (!sha.equals(a.sha())) {
                violations.add(when + ": DAMAGED " + id + ": body SHA-256 " + sha + ", acknowledged " + a.sha());
            }
            Map<String, String> states = state.recipients().get(id);
            if (states.size() != a.recipients()) {
                violations.add(when + ": DAMAGED " + id + ": " + states.size() + " recipients, " + a.recipients()
                        + " acknowledged");
            }
            for (Map.Entry<String, String> r : states.entrySet()) {
                String key = id + " " + r.getKey();
                boolean isFinal = r.getValue().equals("DELIVERED") || r.getValue().equals("FAILED");
                if (isFinal && !delivered.contains(key)) {
                    violations.add(when + ": " + key + " is " + r.getValue() + " but was never reported final");
                } else if (!isFinal && delivered.remove(key)) {
                    duplicates++; // reported final, but the outcome had not reached the disk: it goes again
                }
            }
        }
        for (Map.Entry<String, String> m : state.shas().entrySet()) {
            if (!acked.containsKey(m.getKey())) {
                // its group's sync had not returned at the cut, but its writes reached the disk: from
                // now on it is in the queue, and is checked like an acknowledged one
                unacknowledgedButStored++;
                acked.put(m.getKey(), new Acked(m.getValue(), state.recipients().get(m.getKey()).size()));
            }
        }
        // a message that left the queue for good is not checked again
        acked.keySet().removeIf(id -> !state.shas().containsKey(id));
    }

    /**
     * Moves the store's creation time (in both header blocks, when intact) back by an hour, so that
     * H2 counts every chunk in the file as an hour older, as in a relay that has run for a while.
     */
    static void age(Path store) throws IOException {
        try (FileChannel ch = FileChannel.open(store, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (int at = 0; at < 2 * BLOCK && at + BLOCK <= ch.size(); at += BLOCK) {
                ByteBuffer buffer = ByteBuffer.allocate(BLOCK);
                while (buffer.hasRemaining() && ch.read(buffer, at + buffer.position()) > 0) {
                    // read the block
                }
                Map<String, String> header = StoreRecovery.checkedHeader(buffer.array());
                String created = header.get("created");
                if (created == null) {
                    continue; // torn or never written: H2 uses the other copy
                }
                String text = new String(buffer.array(), StandardCharsets.ISO_8859_1);
                String fields = text.substring(0, text.indexOf(",fletcher:"))
                        .replace("created:" + created + ",", "created:"
                                + Long.toHexString(Long.parseLong(created, 16) - AGE_MILLIS) + ",");
                byte[] bytes = fields.getBytes(StandardCharsets.ISO_8859_1);
                String block = fields + ",fletcher:" + Integer.toHexString(DataUtils.getFletcher32(bytes, 0,
                        bytes.length)) + "\n";
                ByteBuffer out = ByteBuffer.allocate(BLOCK);
                out.put(block.getBytes(StandardCharsets.ISO_8859_1)).rewind();
                while (out.hasRemaining()) {
                    ch.write(out, at + out.position());
                }
            }
        }
    }

    /** -Drelay.powercut.keep=true: every round's real file, durable image and crash image under target/power-cut/. */
    private static final boolean KEEP = Boolean.getBoolean("relay.powercut.keep");

    private static void keepRound(Path store, Path image, int round) throws IOException {
        Path out = Path.of("target", "power-cut");
        Files.createDirectories(out);
        Files.copy(store, out.resolve("round-" + round + "-written.mv.db"), StandardCopyOption.REPLACE_EXISTING);
        Path durable = store.resolveSibling(store.getFileName() + ".durable");
        if (Files.exists(durable)) {
            Files.copy(durable, out.resolve("round-" + round + "-synced.mv.db"), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.copy(image, out.resolve("round-" + round + "-image.mv.db"), StandardCopyOption.REPLACE_EXISTING);
    }

    /** The crash image of a round that failed, under target/power-cut/, to read with H2's tools. */
    private static void keep(Path store, int round) throws IOException {
        Path out = Path.of("target", "power-cut");
        Files.createDirectories(out);
        Files.copy(store, out.resolve("round-" + round + ".mv.db"), StandardCopyOption.REPLACE_EXISTING);
    }

    private static String address(int i) {
        return "r" + i + "@d" + (i % 7) + ".example";
    }

    private static dev.relay.queue.Envelope envelope(int rcpts) {
        String[] to = new String[rcpts];
        for (int i = 0; i < rcpts; i++) {
            to[i] = address(i);
        }
        return Fixtures.envelope("s@example.org", to);
    }

    private static byte[] body(Random r, int size) {
        byte[] b = new byte[size];
        byte[] head = "Subject: power cut\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, b, 0, Math.min(head.length, size));
        for (int i = head.length; i < size; i++) {
            b[i] = (i % 78 == 77) ? (byte) '\n' : (byte) ('a' + r.nextInt(26));
        }
        return b;
    }
}
