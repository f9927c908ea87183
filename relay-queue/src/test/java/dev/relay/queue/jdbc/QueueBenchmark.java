package dev.relay.queue.jdbc;

import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.Envelope;
import dev.relay.queue.MessageBody;
import dev.relay.queue.Outcome;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientOutcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The queue benchmark of issue 2 section 7. Run it with
 * {@code ./mvnw -B -pl relay-queue -am -Pbench verify} (the profile skips the tests and runs this
 * class in a fresh JVM with {@code -Xmx1g}); the data goes to {@code relay-queue/target/bench}.
 *
 * <ol>
 * <li><b>enqueue</b>: 1, 16 and 64 producers, each enqueueing 1 KiB messages with one recipient and
 * waiting for the durable acknowledgement before the next (as an SMTP session waits before its 250),
 * for {@code bench.seconds} (default 10) after a warm-up; messages/s, groups and messages per sync.</li>
 * <li><b>claim+complete</b>: {@code bench.claimMessages} (default 20,000) messages of 1 KiB are claimed
 * in batches of 100 recipients and each reported delivered (which removes it); messages/s.</li>
 * <li><b>claim from 1,000,000</b>: 1,000 messages of 1,000 recipients each, their next attempts spread
 * over a day around now (about half due); the time of claiming a batch of 100 due recipients, and
 * the plan (EXPLAIN ANALYZE) of the claim's select, which reads the index {@code recipient_due}.</li>
 * </ol>
 * Arguments pick parts: {@code enqueue}, {@code claim}, {@code million}; none means all.
 */
public final class QueueBenchmark {
    private static final byte[] BODY = Fixtures.message("bench", "y".repeat(1024 - 80))
            .getBytes(StandardCharsets.US_ASCII);
    private static final SmtpReply OK = SmtpReply.of(250, "2.0.0", "ok");

    private QueueBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path base = Path.of(System.getProperty("bench.dir", "target/bench")).toAbsolutePath();
        List<String> parts = args.length == 0 ? List.of("enqueue", "claim", "million") : Arrays.asList(args);
        int seconds = Integer.getInteger("bench.seconds", 10);
        print("queue benchmark: Java %s, %d cores, load average %.1f, max heap %d MiB, data in %s",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().maxMemory() >> 20, base);
        if (parts.contains("enqueue")) {
            for (int producers : new int[] {1, 16, 64}) {
                enqueue(fresh(base, "enqueue-" + producers), producers, seconds);
            }
        }
        if (parts.contains("claim")) {
            claimAndComplete(fresh(base, "claim"), Integer.getInteger("bench.claimMessages", 20_000));
        }
        if (parts.contains("million")) {
            million(fresh(base, "million"), Integer.getInteger("bench.recipients", 1_000_000));
        }
    }

    /** Durable enqueue with {@code producers} concurrent producers. */
    static void enqueue(Path dir, int producers, int seconds) throws Exception {
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            run(q, producers, Math.max(1, seconds / 3));   // warm-up: JIT, file growth
            long groups0 = q.syncedGroups();
            long cpu0 = cpuNanos();
            long t0 = System.nanoTime();
            long n = run(q, producers, seconds);
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpu = (cpuNanos() - cpu0) / 1e9;
            long groups = q.syncedGroups() - groups0;
            print("enqueue  producers=%2d  messages=%7d  %8.0f msg/s  syncs=%6d (%5.0f/s)  messages/sync=%6.1f"
                    + "  cpu=%.1fs (%.0f msg per cpu-second)",
                    producers, n, n / secs, groups, groups / secs, n / (double) groups, cpu, n / cpu);
        }
    }

    private static long run(H2MessageQueue q, int producers, int seconds) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong count = new AtomicLong();
        CountDownLatch done = new CountDownLatch(producers);
        MessageBody body = Fixtures.body(BODY);
        for (int p = 0; p < producers; p++) {
            int producer = p;
            Thread t = new Thread(() -> {
                try {
                    for (int i = 0; i < 10_000_000 && System.nanoTime() < end; i++) {
                        q.enqueue(QueueId.generate(), Fixtures.envelope("sender@example.org",
                                "rcpt" + producer + "x" + i + "@example.net"), body).join();
                        count.incrementAndGet();
                    }
                } finally {
                    done.countDown();
                }
            }, "producer-" + p);
            t.start();
        }
        done.await();
        return count.get();
    }

    /** Claim in batches of 100 and report each message delivered. */
    static void claimAndComplete(Path dir, int messages) throws Exception {
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            fill(q, messages, 1, 64);
            long cpu0 = cpuNanos();
            long t0 = System.nanoTime();
            long done = 0;
            while (true) {
                List<ClaimedMessage> batch = q.claim("bench", 100, Duration.ofMinutes(5));
                if (batch.isEmpty()) {
                    break;
                }
                for (ClaimedMessage m : batch) {
                    List<RecipientOutcome> outcomes = new ArrayList<>();
                    for (ClaimedRecipient r : m.recipients()) {
                        outcomes.add(new RecipientOutcome(r.id(), new Outcome.Delivered(OK, "bench[127.0.0.1]:25")));
                    }
                    q.complete(m.id(), outcomes);
                    done++;
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            print("claim+complete  messages=%d  %.0f msg/s (claims of 100, one complete per message, one thread)"
                    + "  cpu=%.1fs", done, done / secs, (cpuNanos() - cpu0) / 1e9);
        }
    }

    /**
     * With {@code total} recipients queued, the time of claiming 100 due ones, and the plan. 1,000
     * messages go through {@code enqueue}; the rest of the recipients are added to them with one
     * INSERT ... SELECT (H2's SYSTEM_RANGE, benchmark set-up only), which takes seconds where a
     * million enqueued recipients take minutes on a loaded machine. Their next attempts are spread
     * over a day around now, so about half are due, scattered among the others.
     */
    static void million(Path dir, int total) throws Exception {
        int messages = 1000;
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            long t0 = System.nanoTime();
            fill(q, messages, 1, 8);
            long now = System.currentTimeMillis();
            List<String> ids = new ArrayList<>();
            try (Connection c = q.connection(); PreparedStatement ps = c.prepareStatement(
                    "SELECT queue_id FROM message ORDER BY queue_id"); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
                c.commit();
            }
            int perMessage = (total - messages) / messages;
            for (int m = 0; m < ids.size(); m++) {   // one transaction per message, as enqueue would
                q.update("INSERT INTO recipient (queue_id, seq, forward_path, state, attempts, next_attempt,"
                        + " delay_notice_sent) SELECT ?, CAST(x AS INTEGER), CONCAT('<r', CAST(x AS VARCHAR), '@example.net>'),"
                        + " 'DEFERRED', 1, CAST(? AS BIGINT) + MOD((x + ?) * 7919, 86400000) - 43200000, FALSE"
                        + " FROM SYSTEM_RANGE(1, ?)", ids.get(m), now, (long) m * perMessage, perMessage);
            }
            long count;
            try (Connection c = q.connection(); PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM recipient");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                count = rs.getLong(1);
                c.commit();
            }
            print("million  %d recipients queued in %.1f s", count, (System.nanoTime() - t0) / 1e9);
            try (Connection c = q.connection()) {
                explain(c, "EXPLAIN ANALYZE " + H2MessageQueue.SELECT_DUE, System.currentTimeMillis(), 100);
                c.commit();
            }
            java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
            for (int i = 0; i < 200; i++) {   // warm-up: JIT
                q.claim("warm-up", 100, Duration.ofMinutes(5));
            }
            long[] nanos = new long[50];
            long[] cpu = new long[50];
            for (int i = 0; i < nanos.length; i++) {
                long c0 = threads.getCurrentThreadCpuTime();
                long s = System.nanoTime();
                List<ClaimedMessage> batch = q.claim("bench", 100, Duration.ofMinutes(5));
                nanos[i] = System.nanoTime() - s;
                cpu[i] = threads.getCurrentThreadCpuTime() - c0;
                int n = batch.stream().mapToInt(m -> m.recipients().size()).sum();
                if (n != 100) {
                    throw new IllegalStateException("claimed " + n + " instead of 100");
                }
            }
            Arrays.sort(nanos);
            Arrays.sort(cpu);
            print("million  claim of 100 due recipients among %d (after 200 warm-up claims, 50 measured):"
                    + " wall median %.2f ms, p90 %.2f ms, max %.2f ms; CPU of the claiming thread median %.2f ms,"
                    + " p90 %.2f ms", count, nanos[25] / 1e6, nanos[45] / 1e6, nanos[49] / 1e6, cpu[25] / 1e6,
                    cpu[45] / 1e6);
        }
    }

    private static void explain(Connection c, String sql, Object... args) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    print("plan  %s", rs.getString(1).replace("\n", "\n      "));
                }
            }
        }
    }

    /** Enqueues {@code messages} 1 KiB messages of {@code recipients} recipients with {@code producers} threads. */
    private static void fill(H2MessageQueue q, int messages, int recipients, int producers) throws Exception {
        AtomicLong next = new AtomicLong();
        CountDownLatch done = new CountDownLatch(producers);
        MessageBody body = Fixtures.body(BODY);
        for (int p = 0; p < producers; p++) {
            new Thread(() -> {
                try {
                    for (long i = next.getAndIncrement(); i < messages; i = next.getAndIncrement()) {
                        String[] to = new String[recipients];
                        for (int r = 0; r < recipients; r++) {
                            to[r] = "r" + r + "m" + i + "@example.net";
                        }
                        Envelope e = Fixtures.envelope("sender@example.org", to);
                        q.enqueue(QueueId.generate(), e, body).join();
                    }
                } finally {
                    done.countDown();
                }
            }).start();
        }
        done.await();
    }

    private static Path fresh(Path base, String name) throws IOException {
        Path dir = base.resolve(name);
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        return dir;
    }

    /** CPU time of this process: on a shared machine, messages per CPU-second say more than wall time. */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static void print(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
        System.out.flush();
    }
}
