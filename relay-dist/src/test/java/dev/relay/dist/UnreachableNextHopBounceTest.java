package dev.relay.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.relay.client.retry.RetrySettings;
import dev.relay.mail.SourceRouteMode;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.eclipse.angus.mail.dsn.DeliveryStatus;
import org.eclipse.angus.mail.dsn.MultipartReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recipient whose next hop never answers is bounced once the (shortened) queue lifetime is
 * over; the bounce is an ordinary queued message that goes to the sender's next hop, a real
 * third-party SMTP server (GreenMail), and a mail client (Angus Mail) reads it as a delivery status
 * report: Action failed, Status 4.4.7 (delivery time expired), and the last error as Diagnostic-Code.
 */
@Timeout(120)
class UnreachableNextHopBounceTest {

    /** Lifetime 3 s, retries every second, the dead host marked down for a second. */
    private static final RetrySettings SHORT_LIFE = new RetrySettings(Duration.ofSeconds(1), Duration.ofSeconds(1), 0,
            Duration.ofSeconds(3), Duration.ofDays(5), Duration.ofSeconds(1));

    @TempDir
    Path dir;

    private GreenMail senderSide;
    private RelayNode relay;

    @BeforeEach
    void start() {
        senderSide = new GreenMail(ServerSetupTest.SMTP.dynamicPort());
        senderSide.start();
    }

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
        senderSide.stop();
    }

    @Test
    void anUnreachableRecipientIsBouncedToTheSenderAfterTheLifetime() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort(); // closed again: connections to it are refused
        }
        relay = new RelayNode(dir, "a.test", SourceRouteMode.RFC821,
                "dead.test [127.0.0.1]:" + dead + "\nsrc.test [127.0.0.1]:" + senderSide.getSmtp().getPort() + "\n",
                SHORT_LIFE, Clock.systemUTC());

        MultiHopRelayTest.send(relay, "<s@src.test>", "<u@dead.test>");

        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> senderSide.getReceivedMessages().length > 0);
        MimeMessage[] got = senderSide.getReceivedMessages();
        assertThat(got).hasSize(1);
        MimeMessage bounce = got[0];
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
                .containsIgnoringCase("refused");
        assertThat(report.getText()).contains("delivery time expired");
        // the original's header section came back with it
        assertThat(new String(report.getBodyPart(2).getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII))
                .contains("Subject: the whole story");
    }
}
