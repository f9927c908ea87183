package dev.relay.client.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.relay.client.routing.NextHop;
import dev.relay.client.routing.Target;
import dev.relay.client.testing.CountingProxy;
import dev.relay.client.testing.TestMessages;
import dev.relay.client.tls.OutboundTls;
import dev.relay.client.tls.OutboundTlsSettings;
import dev.relay.mail.MailParameters;
import dev.relay.mail.RcptParameters;
import jakarta.mail.Message;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The transport against a real third-party SMTP server, GreenMail, as the next hop. */
class SmtpTransportGreenMailIT {

    private GreenMail greenMail;
    private SmtpTransport transport;

    @BeforeEach
    void start() throws Exception {
        greenMail = new GreenMail(ServerSetupTest.SMTP.dynamicPort());
        greenMail.start();
        transport = new SmtpTransport(TransportSettings.DEFAULTS, "relay.test",
                new OutboundTls(OutboundTlsSettings.defaults()), null);
    }

    @AfterEach
    void stop() {
        greenMail.stop();
    }

    private static Target target(int port) throws Exception {
        return new Target("127.0.0.1", InetAddress.getByName("127.0.0.1"), port);
    }

    private static Transaction tx(byte[] content, String... to) {
        List<OutboundRecipient> rcpts = Arrays.stream(to)
                .map(a -> new OutboundRecipient(TestMessages.path(a), RcptParameters.NONE)).toList();
        return new Transaction(TestMessages.path("s@src.test"), MailParameters.NONE, rcpts, content.length,
                () -> new ByteArrayInputStream(content));
    }

    private Connection connect(int port) throws Exception {
        return transport.connect(target(port), NextHop.direct("127.0.0.1", port));
    }

    @Test
    void oneRecipient() throws Exception {
        byte[] msg = TestMessages.small("one");
        try (Connection c = connect(greenMail.getSmtp().getPort())) {
            assertThat(c.supports("8BITMIME") || !c.extensions().isEmpty()).isTrue();
            TransactionResult r = c.send(tx(msg, "u@dst.test"));
            assertThat(r.recipients()).hasSize(1);
            assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
            assertThat(r.recipients().get(0).reply().code()).isEqualTo(250);
        }
        MimeMessage[] got = greenMail.getReceivedMessages();
        assertThat(got).hasSize(1);
        assertThat(got[0].getSubject()).isEqualTo("one");
        assertThat(bodyOf(got[0])).isEqualTo(greenMailView(TestMessages.bodyOf(msg)));
    }

    @Test
    void severalRecipientsInOneTransaction() throws Exception {
        try (Connection c = connect(greenMail.getSmtp().getPort())) {
            TransactionResult r = c.send(tx(TestMessages.small("many"), "a@dst.test", "b@dst.test", "c@other.test"));
            assertThat(r.recipients()).allMatch(x -> x instanceof RecipientResult.Delivered);
            assertThat(c.transactions()).isEqualTo(1);
        }
        MimeMessage[] got = greenMail.getReceivedMessages();
        assertThat(got).hasSize(3);
        assertThat(Arrays.stream(got).map(m -> {
            try {
                return m.getMessageID();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).distinct()).containsExactly("<many@src.test>");
    }

    @Test
    void connectionReusedWithRset() throws Exception {
        try (CountingProxy proxy = new CountingProxy(greenMail.getSmtp().getPort())) {
            try (Connection c = connect(proxy.port())) {
                for (int i = 0; i < 5; i++) {
                    if (i > 0) {
                        assertThat(c.reset()).isTrue();
                    }
                    TransactionResult r = c.send(tx(TestMessages.small("m" + i), "u" + i + "@dst.test"));
                    assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
                }
                assertThat(c.transactions()).isEqualTo(5);
            }
            assertThat(proxy.connections()).isEqualTo(1);
        }
        assertThat(greenMail.getReceivedMessages()).hasSize(5);
    }

    @Test
    void twentyMebibytesByteExact() throws Exception {
        byte[] msg = TestMessages.large(20 * 1024 * 1024, 42);
        try (Connection c = connect(greenMail.getSmtp().getPort())) {
            TransactionResult r = c.send(tx(msg, "big@dst.test"));
            assertThat(r.recipients().get(0)).isInstanceOf(RecipientResult.Delivered.class);
        }
        MimeMessage[] got = greenMail.getReceivedMessages();
        assertThat(got).hasSize(1);
        byte[] body = bodyOf(got[0]);
        byte[] expected = greenMailView(TestMessages.bodyOf(msg));
        assertThat(body.length).isEqualTo(expected.length);
        assertThat(Arrays.equals(body, expected)).as("body byte-exact").isTrue();
    }

    @Test
    void connectRefusedIsAConnectFailure() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        TransportException e = org.junit.jupiter.api.Assertions.assertThrows(TransportException.class, () -> connect(port));
        assertThat(e.connectFailed()).isTrue();
        assertThat(e.reply().code()).isEqualTo(421);
        assertThat(e.reply().toString()).contains("4.4.1").contains("connect to 127.0.0.1[127.0.0.1]:" + port);
    }

    /**
     * GreenMail stores the content without its last CRLF (it takes the CRLF of CRLF.CRLF as its
     * own), so that is what a byte-exact transfer looks like there.
     */
    static byte[] greenMailView(byte[] body) {
        return Arrays.copyOf(body, body.length - 2);
    }

    static byte[] bodyOf(Message m) throws Exception {
        try (InputStream in = ((MimeMessage) m).getRawInputStream()) {
            return in.readAllBytes();
        }
    }
}
