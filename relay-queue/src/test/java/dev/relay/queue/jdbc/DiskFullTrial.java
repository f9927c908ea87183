package dev.relay.queue.jdbc;

import dev.relay.queue.admin.MessageView;
import dev.relay.queue.QueueException;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.QueueId;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The program of {@code relay-queue/bench/disk-full.sh} (a real full disk needs a small file system,
 * so it is not a unit test). {@code DIR fill} enqueues 64 KiB messages into a queue on a small file
 * system until one fails, and prints the failure (kind and message), what the next enqueue gives,
 * then deletes a 512 KiB ballast file from that file system and enqueues again (up to five times, a
 * second apart: the queue must recover without a restart), and prints {@code ACKED n}. {@code DIR check} reopens the queue (copied to a roomy place) and prints how
 * many messages are there and how many are whole.
 */
public final class DiskFullTrial {
    private DiskFullTrial() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        if (args[1].equals("fill")) {
            fill(dir);
        } else {
            check(dir);
        }
    }

    private static void fill(Path dir) throws Exception {
        H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC());
        Path ballast = dir.resolveSibling("ballast"); // freed after the failure, as an admin would
        java.nio.file.Files.write(ballast, new byte[512 * 1024]);
        byte[] body = new byte[64 * 1024];
        Arrays.fill(body, (byte) 'x');
        int acked = 0;
        for (int i = 0; i < 1000; i++) {
            try {
                q.enqueue(new QueueId(String.format("FULL%06d", i)),
                        Fixtures.envelope("s@example.org", "a" + i + "@example.org"), Fixtures.body(body))
                        .get(30, TimeUnit.SECONDS);
                acked++;
            } catch (ExecutionException e) {
                QueueException qe = (QueueException) e.getCause();
                System.out.println("FAILED at " + i + " after " + acked + " acked: kind=" + qe.kind()
                        + " message=" + qe.getMessage());
                try {
                    q.enqueue(QueueId.generate(), Fixtures.envelope("s@example.org", "z@example.org"),
                            Fixtures.body("small")).get(30, TimeUnit.SECONDS);
                    System.out.println("next small enqueue: ok");
                } catch (ExecutionException e2) {
                    System.out.println("next small enqueue: " + ((QueueException) e2.getCause()).kind() + " "
                            + e2.getCause().getMessage());
                }
                java.nio.file.Files.delete(ballast);
                System.out.println("freed 512 KiB");
                for (int t = 1; t <= 5; t++) {
                    try {
                        q.enqueue(new QueueId(String.format("AFTER%05d", t)),
                                Fixtures.envelope("s@example.org", "after" + t + "@example.org"),
                                Fixtures.body("after the disk was freed")).get(30, TimeUnit.SECONDS);
                        acked++;
                        System.out.println("enqueue " + t + " after freeing space: ok");
                        break;
                    } catch (ExecutionException e3) {
                        System.out.println("enqueue " + t + " after freeing space: "
                                + ((QueueException) e3.getCause()).kind() + " " + e3.getCause().getMessage());
                        Thread.sleep(1000);
                    }
                }
                break;
            }
        }
        try {
            q.close();
        } catch (RuntimeException e) {
            System.out.println("close: " + e);
        }
        System.out.println("ACKED " + acked);
    }

    private static void check(Path dir) throws Exception {
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            List<MessageView> all = q.admin().list(QueueFilter.ALL, 0, 100_000);
            int whole = 0;
            for (MessageView v : all) {
                try (InputStream in = q.openBody(v.id())) {
                    if (in.readAllBytes().length == v.size() && v.recipients().size() == 1) {
                        whole++;
                    }
                }
            }
            System.out.println("REOPENED messages=" + all.size() + " whole=" + whole + " last="
                    + (all.isEmpty() ? "-" : all.get(all.size() - 1).id()));
        }
    }
}
