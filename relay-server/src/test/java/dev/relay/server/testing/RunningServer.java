package dev.relay.server.testing;

import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.QueueSettings;
import dev.relay.queue.jdbc.H2MessageQueue;
import dev.relay.server.LocalRecipients;
import dev.relay.server.ServerSettings;
import dev.relay.server.SmtpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * A real receiver on a loopback port 0 in front of the real H2 queue, for conversation tests over
 * sockets: what a test asserts at the end is what the durable queue holds.
 */
public final class RunningServer implements AutoCloseable {
    public final H2MessageQueue queue;
    public final SmtpServer server;
    public final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private RunningServer(ServerSettings settings, Path dir) {
        this.queue = H2MessageQueue.open(QueueSettings.defaults(dir.resolve("queue")), Clock.systemUTC());
        this.server = SmtpServer.start(settings, queue, LocalRecipients.ACCEPT_ALL, meters, Clock.systemUTC());
    }

    /** Settings for tests: loopback port 0, host relay.example.org, local domain example.org. */
    public static ServerSettings.Builder settings(Path dir) {
        return ServerSettings.builder()
                .listen(List.of(new InetSocketAddress("127.0.0.1", 0)))
                .hostName("relay.example.org")
                .localDomains(java.util.Set.of("example.org"))
                .spoolDirectory(dir.resolve("spool"))
                .ioThreads(2)
                .stopTimeout(Duration.ofSeconds(5));
    }

    public static RunningServer start(ServerSettings settings, Path dir) {
        return new RunningServer(settings, dir);
    }

    public static RunningServer start(Path dir) {
        return start(settings(dir).build(), dir);
    }

    public int port() {
        return server.address().getPort();
    }

    /** Claims every queued message (as the forwarder would). */
    public List<ClaimedMessage> messages() {
        return queue.claim("test", 10_000, Duration.ofMinutes(5));
    }

    /** The body of a queued message. */
    public byte[] body(ClaimedMessage m) {
        try (InputStream in = queue.openBody(m.id())) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The body without the Received field on top (which must be there, with its folded lines). */
    public byte[] bodyWithoutReceived(ClaimedMessage m) {
        byte[] b = body(m);
        String s = new String(b, StandardCharsets.ISO_8859_1);
        if (!s.startsWith("Received: from ")) {
            throw new AssertionError("no Received header on top: " + s.substring(0, Math.min(100, s.length())));
        }
        int i = 0;
        do {
            i = s.indexOf("\r\n", i) + 2;
        } while (s.charAt(i) == ' ' || s.charAt(i) == '\t');
        return java.util.Arrays.copyOfRange(b, i, b.length);
    }

    public String receivedHeader(ClaimedMessage m) {
        String s = new String(body(m), StandardCharsets.ISO_8859_1);
        return s.substring(0, s.length() - new String(bodyWithoutReceived(m), StandardCharsets.ISO_8859_1).length());
    }

    @Override
    public void close() {
        server.stop(Duration.ofSeconds(5));
        queue.close();
    }
}
