package dev.relay.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.queue.ClaimedMessage;
import dev.relay.server.testing.RunningServer;
import io.netty.channel.epoll.Epoll;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.commons.net.smtp.SMTPClient;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The same conversation on both Netty transports: native epoll (where it loads) and Java NIO. */
class TransportIT {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "native transport wanted: {0}")
    @ValueSource(booleans = {true, false})
    void aTransactionIsQueuedOnEitherTransport(boolean nativeWanted) throws Exception {
        boolean linuxX64 = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
        if (nativeWanted && linuxX64) {
            // the native library is part of the build for this platform: it must load here
            assertThat(Epoll.isAvailable()).as(String.valueOf(Epoll.unavailabilityCause())).isTrue();
        }
        try (RunningServer relay = RunningServer.start(RunningServer.settings(dir).nativeTransport(nativeWanted).build(),
                dir)) {
            assertThat(relay.server.transportName()).isEqualTo(nativeWanted && Epoll.isAvailable() ? "epoll" : "nio");

            SMTPClient client = new SMTPClient("ISO-8859-1");
            client.setDefaultTimeout(10_000);
            client.connect("127.0.0.1", relay.port());
            assertThat(client.getReplyString()).isEqualTo("220 relay.example.org ESMTP\r\n");
            assertThat(client.helo("client.example")).isEqualTo(250);
            assertThat(client.mail("<s@client.example>")).isEqualTo(250);
            assertThat(client.rcpt("<u@example.org>")).isEqualTo(250);
            Writer w = client.sendMessageData();
            w.write("Subject: transport\r\n\r\nover " + relay.server.transportName() + "\r\n");
            w.close();
            assertThat(client.completePendingCommand()).isTrue();
            client.logout();
            client.disconnect();

            List<ClaimedMessage> stored = relay.messages();
            assertThat(stored).hasSize(1);
            assertThat(new String(relay.bodyWithoutReceived(stored.get(0)), StandardCharsets.ISO_8859_1))
                    .isEqualTo("Subject: transport\r\n\r\nover " + relay.server.transportName() + "\r\n");
        }
    }
}
