package dev.relay.dist;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.Session;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import java.util.Properties;
import org.eclipse.angus.mail.dsn.DeliveryStatus;
import org.eclipse.angus.mail.dsn.MultipartReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recipient whose next hop never answers is bounced once the (shortened) queue lifetime is
 * over; the bounce is an ordinary queued message that goes through normal delivery to the
 * sender's next hop, and a mail client (Angus Mail) reads it as a delivery status report: Action
 * failed, Status 4.4.7 (delivery time expired), the last error as Diagnostic-Code.
 *
 * <p>Both relays are started by relay-dist's {@link Relay}. The relay with the dead next hop runs on
 * a clock the test steps past {@code max_queue_lifetime} (5 minutes here) instead of sleeping.
 *
 * <p>The sender's next hop is a second relay, {@code src.test}, that delivers into the Maildir of
 * {@code s}, not GreenMail: GreenMail cannot receive a message with the null reverse-path (it
 * answers RCPT after {@code MAIL FROM:<>} with "503 MAIL must come before RCPT", GreenMail issue
 * #28), and every bounce has the null reverse-path (RFC 5321 section 6.1).
 */
@Timeout(120)
class UnreachableNextHopBounceTest {

    @TempDir
    Path dir;

    private final StepClock clock = new StepClock(Instant.now());
    private Relay senderSide;
    private Relay relay;

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
        if (senderSide != null) {
            senderSide.close();
        }
    }

    @Test
    void anUnreachableRecipientIsBouncedToTheSenderAfterTheLifetime() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort(); // closed again: connections to it are refused
        }
        Relays.mailbox(dir, "src.test", "s");
        senderSide = Relays.start(dir, "src.test", "rfc821", "", "", Clock.systemUTC());
        relay = Relays.start(dir, "a.test", "rfc821",
                "dead.test [127.0.0.1]:" + dead + "\nsrc.test [127.0.0.1]:" + Relays.port(senderSide) + "\n",
                "max_queue_lifetime = 5m\n", clock);

        MultiHopRelayTest.send(Relays.port(relay), "<s@src.test>", "<u@dead.test>");
        // the first attempt is refused and deferred; then the queue lifetime runs out
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> relay.registry().get("relay.delivery.recipients").tag("status", "deferred").counter().count() >= 1);
        clock.advance(Duration.ofMinutes(6));

        String stored = MultiHopRelayTest.delivered(dir, "src.test", "s", relay, senderSide);
        // sent with the null reverse-path, to the sender (RFC 5321 section 6.1)
        assertThat(stored).startsWith("Return-Path: <>\r\nDelivered-To: s@src.test\r\n");
        MimeMessage bounce = new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(stored.getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(bounce.getAllRecipients()[0].toString()).isEqualTo("s@src.test");
        assertThat(bounce.getFrom()[0].toString()).contains("MAILER-DAEMON@a.test");
        assertThat(bounce.getContentType()).startsWith("multipart/report").contains("report-type=delivery-status");

        MultipartReport report = (MultipartReport) bounce.getContent();
        DeliveryStatus status = report.getDeliveryStatus();
        assertThat(status.getMessageDSN().getHeader("Reporting-MTA", null)).isEqualTo("dns; a.test");
        assertThat(status.getRecipientDSNCount()).isEqualTo(1);
        InternetHeaders r = status.getRecipientDSN(0);
        assertThat(r.getHeader("Final-Recipient", null)).isEqualTo("rfc822; u@dead.test");
        assertThat(r.getHeader("Action", null)).isEqualTo("failed");
        assertThat(r.getHeader("Status", null)).isEqualTo("4.4.7");
        assertThat(MimeUtility.unfold(r.getHeader("Diagnostic-Code", null)))
                .startsWith("smtp; 4")
                .contains("127.0.0.1")
                .contains(String.valueOf(dead))
                .containsIgnoringCase("connection refused");
        assertThat(report.getText()).contains("delivery time expired");
        // the original's header section came back with it, not its body
        String returned = new String(report.getBodyPart(2).getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertThat(returned).contains("Subject: the whole story").doesNotContain("..two dots");
        // and the bounce of a bounce never happens: the relay holds nothing more
        assertThat(relay.registry().counter("relay.dsn.sent", "kind", "failure").count()).isEqualTo(1.0);
        assertThat(relay.registry().get("relay.delivery.recipients").tag("status", "expired").counter().count()).isEqualTo(1.0);
    }

    /** A clock the test steps. */
    static final class StepClock extends Clock {
        private final AtomicReference<Instant> now;

        StepClock(Instant start) {
            now = new AtomicReference<>(start);
        }

        void advance(Duration d) {
            now.updateAndGet(i -> i.plus(d));
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get().plus(Duration.ofNanos(System.nanoTime() - started));
        }

        private final long started = System.nanoTime();
    }
}
