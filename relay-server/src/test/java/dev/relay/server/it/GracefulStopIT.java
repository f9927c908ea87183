package dev.relay.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.queue.ClaimedMessage;
import dev.relay.server.testing.RawClient;
import dev.relay.server.testing.RunningServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A graceful stop over real sockets: listeners closed, idle sessions told 421 4.3.2 (RFC 5321 section 3.8), transactions in DATA finished. */
class GracefulStopIT {
    @TempDir
    Path dir;

    @Test
    void stopClosesTheListenerLetsDataFinishAndAnswers421Otherwise() throws Exception {
        RunningServer relay = RunningServer.start(RunningServer.settings(dir).stopTimeout(Duration.ofSeconds(10)).build(), dir);
        try (RawClient idle = new RawClient(relay.port()); RawClient busy = new RawClient(relay.port())) {
            idle.reply();
            assertThat(idle.send("EHLO idle.example")).startsWith("250");
            busy.reply();
            busy.send("EHLO busy.example");
            busy.write("MAIL FROM:<a@client.example>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n");
            assertThat(busy.replies(3).get(2)).startsWith("354");
            busy.write("Subject: in flight\r\n\r\nfirst half\r\n");
            int port = relay.port();

            CompletableFuture<Boolean> stopped = CompletableFuture.supplyAsync(() -> relay.server.stop(Duration.ofSeconds(10)));
            assertThat(idle.reply()).isEqualTo("421 4.3.2 Service shutting down, closing transmission channel\r\n");
            assertThat(idle.closedByServer()).isTrue();
            assertThatThrownBy(() -> new RawClient(port)).hasRootCauseInstanceOf(java.net.ConnectException.class);
            assertThat(stopped).isNotDone();

            busy.write("second half\r\n.\r\n");
            assertThat(busy.reply()).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(busy.reply()).isEqualTo("421 4.3.2 Service shutting down, closing transmission channel\r\n");
            assertThat(busy.closedByServer()).isTrue();
            assertThat(stopped.get()).as("clean stop within the bound").isTrue();
        }
        List<ClaimedMessage> stored = relay.messages();
        assertThat(stored).hasSize(1);
        assertThat(new String(relay.bodyWithoutReceived(stored.get(0)), StandardCharsets.US_ASCII))
                .isEqualTo("Subject: in flight\r\n\r\nfirst half\r\nsecond half\r\n");
        relay.queue.close();
    }

    @Test
    void theBoundCutsOffAStalledDataTransactionWith421AndNothingIsStored() throws Exception {
        RunningServer relay = RunningServer.start(dir);
        try (RawClient busy = new RawClient(relay.port())) {
            busy.reply();
            busy.send("EHLO busy.example");
            busy.write("MAIL FROM:<a@client.example>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n");
            busy.replies(3);
            busy.write("Subject: never finished\r\n\r\n");
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> relay.server.openConnections() == 1);
            assertThat(relay.server.stop(Duration.ofMillis(500))).isFalse();
            assertThat(busy.reply()).isEqualTo("421 4.3.2 Service shutting down, closing transmission channel\r\n");
            assertThat(busy.closedByServer()).isTrue();
        }
        assertThat(relay.messages()).isEmpty();
        relay.queue.close();
    }
}
