package dev.relay.queue.jdbc;

import dev.relay.queue.MessageBody;
import dev.relay.queue.QueueId;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The child JVM of the process tests. Modes:
 * <ul>
 * <li>{@code enqueue DIR N}: enqueues messages {@code KILL000000..} with up to 64 in flight; prints
 * {@code ACKED N} the moment the N-th future completes, then keeps enqueueing {@code MORE..}
 * messages until it is killed.</li>
 * <li>{@code hold DIR}: opens the queue, prints {@code OPEN}, waits to be killed.</li>
 * <li>{@code big DIR MIB}: stores a generated body of MIB MiB and reads it back, printing the SHA-256
 * of what was generated and of what was read ({@code SHA gen read}), then {@code DONE}.</li>
 * </ul>
 */
public final class QueueChild {
    private QueueChild() {
    }

    /** The body of kill-test message {@code i}: about 1 KiB, different for every i. */
    static String killBody(int i) {
        return Fixtures.message("kill " + i, ("line " + i + " of the kill test\r\n").repeat(30));
    }

    static QueueId killId(int i) {
        return new QueueId(String.format("KILL%06d", i));
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "enqueue" -> enqueue(dir, Integer.parseInt(args[2]));
            case "hold" -> {
                H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC());
                System.out.println("OPEN " + q.file());
                System.out.flush();
                Thread.sleep(Long.MAX_VALUE);
            }
            case "big" -> big(dir, Long.parseLong(args[2]) * 1024 * 1024);
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void enqueue(Path dir, int n) throws Exception {
        H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC());
        Semaphore inFlight = new Semaphore(64);
        AtomicInteger acked = new AtomicInteger();
        for (int i = 0; i < n; i++) {
            inFlight.acquire();
            CompletableFuture<Void> f = q.enqueue(killId(i), Fixtures.envelope("s@example.org", "a" + i + "@example.org",
                    "b" + i + "@example.org"), Fixtures.body(killBody(i)));
            f.whenComplete((v, e) -> {
                inFlight.release();
                if (e != null) {
                    System.out.println("FAILED " + e);
                    System.out.flush();
                } else if (acked.incrementAndGet() == n) {
                    System.out.println("ACKED " + n);
                    System.out.flush();
                }
            });
        }
        for (int i = 0; ; i++) {
            inFlight.acquire();
            q.enqueue(new QueueId(String.format("MORE%06d", i)), Fixtures.envelope("s@example.org", "c@example.org"),
                    Fixtures.body(killBody(i))).whenComplete((v, e) -> inFlight.release());
        }
    }

    private static void big(Path dir, long size) throws Exception {
        H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC());
        MessageDigest gen = MessageDigest.getInstance("SHA-256");
        QueueId id = QueueId.generate();
        q.enqueue(id, Fixtures.envelope("s@example.org", "a@example.org"), new MessageBody() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public InputStream open() {
                return new Generated(size, gen);
            }
        }).get();
        MessageDigest read = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        try (InputStream in = q.openBody(id)) {
            int r;
            while ((r = in.read(buf)) > 0) {
                read.update(buf, 0, r);
                total += r;
            }
        }
        q.close();
        HexFormat hex = HexFormat.of();
        System.out.println("SHA " + hex.formatHex(gen.digest()) + " " + hex.formatHex(read.digest()) + " " + total
                + " maxHeap=" + Runtime.getRuntime().maxMemory());
        System.out.println("DONE");
    }

    /** {@code size} bytes of text lines, generated on the fly and fed to a digest as they are read. */
    static final class Generated extends InputStream {
        private final long size;
        private final MessageDigest digest;
        private final byte[] line;
        private long pos;

        Generated(long size, MessageDigest digest) {
            this.size = size;
            this.digest = digest;
            this.line = "abcdefghijklmnopqrstuvwxyz0123456789 the quick brown fox jumps over the lazy dog\r\n"
                    .getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public int read() {
            if (pos >= size) {
                return -1;
            }
            byte b = line[(int) (pos++ % line.length)];
            digest.update(b);
            return b & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= size) {
                return -1;
            }
            int n = (int) Math.min(len, size - pos);
            for (int i = 0; i < n; i++) {
                b[off + i] = line[(int) (pos++ % line.length)];
            }
            digest.update(b, off, n);
            return n;
        }
    }
}
