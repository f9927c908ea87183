package dev.relay.server.bench;

import dev.relay.queue.QueueSettings;
import dev.relay.queue.jdbc.H2MessageQueue;
import dev.relay.server.LocalRecipients;
import dev.relay.server.ServerSettings;
import dev.relay.server.SmtpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The receiver alone in front of the real H2 queue (group commit, synced before every 250), for
 * measuring the accept rate through to durable enqueue with the shared harness while the rest of
 * the relay is not involved (no forwarder: nothing is relayed).
 *
 * <p>Run (after {@code ./mvnw -B -q install -pl relay-queue -DskipTests} and a test-compile of relay-server):
 * {@code ./mvnw -B -q exec:exec -pl relay-server -Dexec.executable=java -Dexec.classpathScope=test
 * -Dexec.args="-Dlogback.configurationFile=src/test/resources/logback-bench.xml -cp %classpath
 * dev.relay.server.bench.AcceptRateServer 10055 120 h2"}; then, in another shell,
 * {@code /work/shared/bench/smtp-bench.sh -t 127.0.0.1:10055 -K -z 1024 -s 50 -m 4000}. With {@code memory}
 * instead of {@code h2} the queue only reads each body and completes at once (NOT durable): the
 * receiver's own ceiling, to compare with the durable rate.
 * The server stops after {@code bench.seconds} or when its standard input closes, and prints
 * how many messages it acknowledged.
 */
public final class AcceptRateServer {
    private AcceptRateServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 10055;
        long seconds = args.length > 1 ? Long.parseLong(args[1]) : 300;
        boolean memory = args.length > 2 && args[2].equals("memory");
        Path dir = Files.createTempDirectory("accept-bench");
        ServerSettings settings = ServerSettings.builder()
                .listen(List.of(new InetSocketAddress("127.0.0.1", port)))
                .hostName("bench.example.org")
                .spoolDirectory(dir.resolve("spool"))
                .build();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (dev.relay.queue.MessageQueue queue = memory ? new dev.relay.server.testing.InMemoryQueue(dev.relay.server.testing.InMemoryQueue.Mode.ASYNC)
                : H2MessageQueue.open(QueueSettings.defaults(dir.resolve("queue")), Clock.systemUTC())) {
            SmtpServer server = SmtpServer.start(settings, queue, LocalRecipients.ACCEPT_ALL, meters, Clock.systemUTC());
            System.out.println("listening on " + server.address() + " for " + seconds + " s; queue in " + dir);
            System.out.flush();
            long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            while (System.nanoTime() < end) {
                Thread.sleep(500);
            }
            server.stop(Duration.ofSeconds(10));
            Counter accepted = meters.find("relay.server.messages.accepted").counter();
            System.out.println("acknowledged " + (accepted == null ? 0 : (long) accepted.count()) + " messages");
        }
    }
}
