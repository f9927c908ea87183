package dev.relay.client.delivery;

import static dev.relay.client.delivery.EngineHarness.path;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.relay.client.testing.CountingProxy;
import dev.relay.client.testing.TestMessages;
import dev.relay.client.transport.TransportSettings;
import dev.relay.mail.SourceRouteMode;
import dev.relay.queue.QueueId;
import jakarta.mail.internet.MimeMessage;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole forwarder (queue, engine, transport) with GreenMail, a real third-party server, as the next hop. */
class DeliveryEngineGreenMailIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    java.nio.file.Path dir;
    private GreenMail greenMail;
    private CountingProxy proxy;
    private EngineHarness h;

    @BeforeEach
    void start() throws Exception {
        greenMail = new GreenMail(ServerSetupTest.SMTP.dynamicPort());
        greenMail.start();
        proxy = new CountingProxy(greenMail.getSmtp().getPort());
        // One session per next hop, so that connection reuse is visible in the count.
        DeliverySettings settings = EngineHarness.fastSettings().withConcurrency(100, 1)
                .withConnectionReuse(100, Duration.ofSeconds(2));
        h = new EngineHarness(dir, "dst.test [127.0.0.1]:" + proxy.port() + "\n", SourceRouteMode.RFC821, settings,
                TransportSettings.allTimeouts(Duration.ofSeconds(30)), EngineHarness.retrySettings());
    }

    @AfterEach
    void stop() throws Exception {
        h.close();
        proxy.close();
        greenMail.stop();
    }

    private boolean gone(QueueId id) {
        return h.gone(id);
    }

    @Test
    void oneRecipient() throws Exception {
        h.engine.start();
        byte[] msg = TestMessages.small("one");
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("u@dst.test")), msg);
        await().atMost(WAIT).until(() -> gone(id));
        MimeMessage[] got = greenMail.getReceivedMessages();
        assertThat(got).hasSize(1);
        assertThat(got[0].getSubject()).isEqualTo("one");
        assertThat(h.reportsOf(RecipientReport.Kind.RELAYED)).singleElement()
                .satisfies(r -> assertThat(r.reply().code()).isEqualTo(250));
        await().atMost(WAIT).untilAsserted(() -> assertThat(h.counter("sent")).isEqualTo(1));
    }

    @Test
    void severalRecipientsOfOneMessageInOneTransaction() throws Exception {
        h.engine.start();
        QueueId id = h.enqueue(path("s@src.test"),
                List.of(path("a@dst.test"), path("b@dst.test"), path("c@dst.test")), TestMessages.small("many"));
        await().atMost(WAIT).until(() -> gone(id));
        assertThat(greenMail.getReceivedMessages()).hasSize(3);
        assertThat(proxy.connections()).isEqualTo(1);
        assertThat(h.meters.get("relay.delivery.transaction").timer().count()).isEqualTo(1);
    }

    @Test
    void connectionReusedForFurtherMessagesToTheSameNextHop() throws Exception {
        List<QueueId> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ids.add(h.enqueue(path("s@src.test"), List.of(path("u" + i + "@dst.test")), TestMessages.small("m" + i)));
        }
        h.engine.start();
        await().atMost(WAIT).until(() -> ids.stream().allMatch(this::gone));
        assertThat(greenMail.getReceivedMessages()).hasSize(6);
        await().atMost(WAIT).untilAsserted(() -> assertThat(h.meters.get("relay.delivery.transaction").timer().count()).isEqualTo(6));
        assertThat(proxy.connections()).isEqualTo(1);
    }

    /** Slow (about 25 s here): -Pslow. The transport's own 20 MiB test runs by default. */
    @Test
    @Tag("slow")
    void twentyMebibytesByteExact() throws Exception {
        h.engine.start();
        byte[] msg = TestMessages.large(20 * 1024 * 1024, 42);
        QueueId id = h.enqueue(path("s@src.test"), List.of(path("big@dst.test")), msg);
        await().atMost(WAIT).until(() -> gone(id));
        MimeMessage[] got = greenMail.getReceivedMessages();
        assertThat(got).hasSize(1);
        byte[] body;
        try (InputStream in = got[0].getRawInputStream()) {
            body = in.readAllBytes();
        }
        byte[] sentBody = TestMessages.bodyOf(msg);
        // GreenMail keeps the content without its last CRLF (it takes it as part of CRLF.CRLF).
        byte[] expected = Arrays.copyOf(sentBody, sentBody.length - 2);
        assertThat(body.length).isEqualTo(expected.length);
        assertThat(Arrays.equals(body, expected)).as("body byte-exact").isTrue();
    }
}
