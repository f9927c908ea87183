package dev.relay.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.relay.mail.SourceRouteMode;
import dev.relay.queue.admin.QueueFilter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 17 section 3, end to end with a real downstream server (GreenMail, behind a proxy that
 * records the envelope on the wire): plain mail (no source route in its forward-path) leaves with
 * its reverse-path and forward-paths byte for byte as received, in every {@code source_routes}
 * mode; {@code strip} only ever removes a route (here the one of a source-routed reverse-path).
 * RFC 5321 section 3.6.1: "When source routes are not used ... the reverse-path at the time of
 * delivery will simply be the address that appeared in the MAIL command."
 */
@Timeout(120)
class EnvelopeFidelityTest {

    /** Reverse-paths and the forward-paths sent with each: case, quoting, sub-addresses, the null path. */
    private static final List<List<String>> ENVELOPES = List.of(
            List.of("<s@src.test>", "<u@outside.example>", "<U.Mixed@Outside.Example>"),
            List.of("<S.Mixed+tag@Src.Test>", "<\"q r\"@outside.example>", "<a.b-c=d@outside.example>"),
            List.of("<\"john smith\"@src.test>", "<u2@outside.example>"),
            List.of("<>", "<u3@outside.example>"),
            List.of("<@x.test,@y.test:s@src.test>", "<u4@outside.example>"));

    @TempDir
    java.nio.file.Path dir;

    private GreenMail sink;
    private RecordingProxy proxy;
    private Relay relay;

    @BeforeEach
    void startSink() throws Exception {
        sink = new GreenMail(ServerSetupTest.SMTP.dynamicPort());
        sink.start();
        proxy = new RecordingProxy(sink.getSmtp().getPort());
    }

    @AfterEach
    void stop() throws Exception {
        if (relay != null) {
            relay.close();
        }
        proxy.close();
        sink.stop();
    }

    @ParameterizedTest(name = "source_routes = {0}")
    @EnumSource(SourceRouteMode.class)
    void plainMailLeavesWithItsEnvelopeAsReceived(SourceRouteMode mode) throws Exception {
        relay = Relays.start(dir, "relay.test", mode.name().toLowerCase(Locale.ROOT),
                "*  [127.0.0.1]:" + proxy.port() + "\n", "tls_enabled = no\n", Clock.systemUTC());
        try (RelayControlTest.Client c = RelayControlTest.Client.connect(Relays.port(relay), "127.0.0.1")) {
            for (List<String> e : ENVELOPES) {
                c.send(e.get(0), e.subList(1, e.size()), "Subject: fidelity\r\n\r\nbody\r\n");
            }
        }
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> relay.cliContext().queue().list(QueueFilter.ALL, 0, 100).isEmpty());

        // GreenMail 2.1.8 answers 503 to RCPT after MAIL FROM:<>, so that transaction ends there:
        // its MAIL line is checked on the wire, the others' whole envelope and arrival.
        assertThat(proxy.mailLines()).contains("MAIL FROM:<>");
        List<List<String>> complete = ENVELOPES.stream().filter(e -> !e.get(0).equals("<>")).toList();
        List<RecordingProxy.Transaction> got = proxy.transactions();
        assertThat(got).hasSize(complete.size());
        assertThat(sink.getReceivedMessages()).hasSize(complete.stream().mapToInt(e -> e.size() - 1).sum());
        for (int i = 0; i < complete.size(); i++) {
            List<String> e = complete.get(i);
            String from = e.get(0);
            if (mode == SourceRouteMode.STRIP && from.startsWith("<@")) {
                from = "<" + from.substring(from.indexOf(':') + 1); // strip removes the route, nothing else
            }
            List<String> rcpts = new ArrayList<>();
            for (String r : e.subList(1, e.size())) {
                rcpts.add("RCPT TO:" + r);
            }
            // messages may leave in any order: each is found by its recipients, which are unique
            RecordingProxy.Transaction t = got.stream().filter(x -> x.rcpts().equals(rcpts)).findFirst()
                    .orElseThrow(() -> new AssertionError("not sent as " + rcpts + ": " + got));
            // the path byte for byte; ESMTP parameters the next hop offers (SIZE, BODY) may follow
            assertThat(t.mail()).as("envelope %s", i).matches(Pattern.quote("MAIL FROM:" + from) + "( .*)?");
        }
    }
}
