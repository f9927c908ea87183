package dev.relay.server.bench;

import dev.relay.queue.QueueSettings;
import dev.relay.queue.jdbc.H2MessageQueue;
import dev.relay.server.LocalRecipients;
import dev.relay.server.ServerSettings;
import dev.relay.server.SmtpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Heap and threads of the receiver with N idle connections open (default
 * 5,000; target under 256 MiB heap and no thread per connection).
 *
 * <p>Run: {@code ./mvnw -B -q -Pbench verify -pl relay-server -am -DskipTests} (the bench profile
 * runs this class in a JVM with {@code -Xmx256m}, so finishing at all shows the heap bound).
 * Arguments: {@code [connections]}. The server runs with the real H2 queue, 2 event loops; the
 * clients run in a child JVM (see {@link IdleClients}) so they add nothing to what is measured.
 * Heap is "used after a full GC" from the MemoryMXBean, before and with the connections; threads
 * are the JVM's live threads; RSS is VmRSS of this process. Finally one message is sent on a
 * fresh connection while all are open, to show the server still answers, and its time reported.
 */
public final class IdleConnectionsBench {
    private IdleConnectionsBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        Path dir = Files.createTempDirectory("idle-bench");
        ServerSettings settings = ServerSettings.builder()
                .listen(List.of(new InetSocketAddress("127.0.0.1", 0)))
                .hostName("bench.example.org")
                .localDomains(java.util.Set.of("example.org"))
                .maxConnections(n + 100)
                .spoolDirectory(dir.resolve("spool"))
                .ioThreads(2)
                .build();
        try (H2MessageQueue queue = H2MessageQueue.open(QueueSettings.defaults(dir.resolve("queue")), Clock.systemUTC())) {
            SmtpServer server = SmtpServer.start(settings, queue, LocalRecipients.ACCEPT_ALL, new SimpleMeterRegistry(), Clock.systemUTC());
            try {
                run(server, n);
            } finally {
                server.stop(Duration.ofSeconds(10));
            }
        }
    }

    private static void run(SmtpServer server, int n) throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long heapBefore = usedAfterGc(memory);
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        long rssBefore = rssKiB();

        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-cp", System.getProperty("java.class.path"), IdleClients.class.getName(),
                "127.0.0.1", String.valueOf(server.address().getPort()), String.valueOf(n));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        long t0 = System.nanoTime();
        Process clients = pb.start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(clients.getInputStream(), StandardCharsets.US_ASCII))) {
            String ready = r.readLine();
            double openSeconds = (System.nanoTime() - t0) / 1e9;
            if (ready == null || !ready.startsWith("READY ")) {
                throw new IllegalStateException("client process failed: " + ready);
            }
            int greeted = Integer.parseInt(ready.substring(6).trim());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (server.openConnections() < n && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            int open = server.openConnections();
            long heapWith = usedAfterGc(memory);
            int threadsWith = ManagementFactory.getThreadMXBean().getThreadCount();
            long rssWith = rssKiB();
            double sendMillis = sendOne(server.address());

            System.out.printf(Locale.ROOT, "idle connections: requested %d, greeted %d, open at the server %d (opened in %.1f s)%n",
                    n, greeted, open, openSeconds);
            System.out.printf(Locale.ROOT, "heap used after GC: %.1f MiB before, %.1f MiB with the connections (%.1f KiB per connection); max heap %.0f MiB%n",
                    heapBefore / 1048576.0, heapWith / 1048576.0, (heapWith - heapBefore) / 1024.0 / Math.max(1, open),
                    memory.getHeapMemoryUsage().getMax() / 1048576.0);
            System.out.printf(Locale.ROOT, "JVM threads: %d before, %d with the connections%n", threadsBefore, threadsWith);
            System.out.printf(Locale.ROOT, "process RSS: %.1f MiB before, %.1f MiB with the connections%n", rssBefore / 1024.0, rssWith / 1024.0);
            System.out.printf(Locale.ROOT, "one message on a fresh connection while they are open: %.1f ms (connect to 250 after DATA)%n", sendMillis);
        } finally {
            clients.getOutputStream().close();
            if (!clients.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                clients.destroyForcibly();
            }
        }
    }

    private static long usedAfterGc(MemoryMXBean memory) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    private static long rssKiB() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }

    private static double sendOne(InetSocketAddress address) throws IOException {
        long t0 = System.nanoTime();
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            expect(in, "220");
            out.write("EHLO bench.client\r\n".getBytes(StandardCharsets.US_ASCII));
            String l;
            while ((l = in.readLine()) != null && l.startsWith("250-")) {
                // EHLO lines
            }
            out.write(("MAIL FROM:<a@bench.client>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n").getBytes(StandardCharsets.US_ASCII));
            expect(in, "250");
            expect(in, "250");
            expect(in, "354");
            out.write("Subject: bench\r\n\r\nhello\r\n.\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            expect(in, "250");
            double ms = (System.nanoTime() - t0) / 1e6;
            expect(in, "221");
            return ms;
        }
    }

    private static void expect(BufferedReader in, String code) throws IOException {
        String l = in.readLine();
        if (l == null || !l.startsWith(code)) {
            throw new IllegalStateException("expected " + code + ", got " + l);
        }
    }
}
