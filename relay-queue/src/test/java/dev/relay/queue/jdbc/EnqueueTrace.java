package dev.relay.queue.jdbc;

import dev.relay.queue.QueueId;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The program {@code relay-queue/bench/strace-enqueue.sh} runs under strace: {@code PRODUCERS}
 * threads enqueue {@code N} messages of 1 KiB into a fresh queue in {@code DIR}, each waiting for
 * its future like an SMTP session waits before its 250. Every completed future is marked by one
 * unbuffered {@code write(2)} of {@code "ACK <i>\n"} to {@code DIR/acks.log}, on the thread that
 * completed it, so the trace shows each acknowledgement in order with the writes and syncs of the
 * database file. At the end it prints {@code groups=G messages=M}.
 */
public final class EnqueueTrace {
    private EnqueueTrace() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        int producers = Integer.parseInt(args[2]);
        Files.createDirectories(dir);
        byte[] body = Fixtures.message("trace", "x".repeat(1024 - 80)).getBytes(StandardCharsets.US_ASCII);
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir.resolve("queue")), Clock.systemUTC());
             FileOutputStream acks = new FileOutputStream(dir.resolve("acks.log").toFile())) {
            long groupsBefore = q.syncedGroups();
            AtomicInteger next = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(producers);
            for (int p = 0; p < producers; p++) {
                new Thread(() -> {
                    try {
                        for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                            int index = i;
                            CompletableFuture<Void> f = q.enqueue(QueueId.generate(),
                                    Fixtures.envelope("s@example.org", "r" + i + "@example.org"), Fixtures.body(body));
                            f.thenRun(() -> mark(acks, "ACK " + index + "\n")).join();
                        }
                    } finally {
                        done.countDown();
                    }
                }, "producer-" + p).start();
            }
            done.await();
            System.out.println("groups=" + (q.syncedGroups() - groupsBefore) + " messages=" + q.storedMessages());
        }
    }

    private static void mark(FileOutputStream out, String text) {
        try {
            out.write(text.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
