package dev.relay.client.bounce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.mail.EnhancedStatus;
import dev.relay.mail.MailParameters;
import dev.relay.mail.Mailbox;
import dev.relay.mail.Notify;
import dev.relay.mail.Path;
import dev.relay.mail.RcptParameters;
import dev.relay.mail.Ret;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.Envelope;
import dev.relay.queue.ForwardingMessageQueue;
import dev.relay.queue.MessageBody;
import dev.relay.queue.MessageQueue;
import dev.relay.queue.Origin;
import dev.relay.queue.QueueException;
import dev.relay.queue.QueueId;
import dev.relay.queue.QueueSettings;
import dev.relay.queue.Recipient;
import dev.relay.queue.jdbc.H2MessageQueue;
import dev.relay.queue.testing.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.mail.BodyPart;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.angus.mail.dsn.DeliveryStatus;
import org.eclipse.angus.mail.dsn.MultipartReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DSN service against the real H2 queue: the notifications it enqueues are claimed back from
 * the queue and parsed with Angus Mail's DSN support, as a mail client would.
 */
class DsnServiceTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    private static final String ORIGINAL = "Received: from client.src.test by a.test; Sun, 1 Mar 2026 10:00:00 +0000\r\n"
            + "From: <s@src.test>\r\nTo: <u@c.test>\r\nSubject: hello\r\nMessage-ID: <m1@src.test>\r\n\r\n"
            + "Body line one.\r\n.leading dot\r\nlast line\r\n";

    @TempDir
    java.nio.file.Path dir;

    private final MutableClock clock = new MutableClock(T0);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private MessageQueue queue;
    private DsnService dsn;

    @BeforeEach
    void open() {
        queue = H2MessageQueue.open(QueueSettings.defaults(dir.resolve("queue")), clock);
        dsn = new DsnService(DsnSettings.defaults("relay.test"), queue, clock, meters);
    }

    @AfterEach
    void close() {
        queue.close();
    }

    @Test
    void recipientsThatFailTogetherGetOneDsnToTheStrippedReversePathWithTheHeaders() throws Exception {
        Path from = new Path(List.of("b.test", "a.test"), new Mailbox("s", "src.test"));
        ClaimedMessage m = enqueueAndClaim(from, MailParameters.NONE, ORIGINAL,
                rcpt("u@c.test", Set.of(), "rfc822;U+2Bx@c.test"), rcpt("v@c.test", Set.of(Notify.FAILURE), null));

        clock.advance(Duration.ofMinutes(1));
        DsnService.Sent sent = dsn.send(m, List.of(
                DeliveryReport.failed(m.recipients().get(0), SmtpReply.of(550, "5.1.1", "<u@c.test>: no such user"),
                        "mx.c.test", clock.instant()),
                DeliveryReport.failed(m.recipients().get(1), SmtpReply.of(554, null, "rejected by policy"),
                        "mx.c.test", clock.instant())));

        assertThat(sent.failuresStored()).isTrue();
        assertThat(sent.notifications()).hasSize(1);
        ClaimedMessage bounce = claim(sent.notifications().get(0));
        // MAIL FROM:<> and RCPT TO the last hop of the reverse-path (RFC 5321 section 6.1), NOTIFY=NEVER
        assertThat(bounce.envelope().reversePath().isNull()).isTrue();
        assertThat(bounce.recipients()).hasSize(1);
        assertThat(bounce.recipients().get(0).recipient().forwardPath().toString()).isEqualTo("<s@src.test>");
        assertThat(bounce.recipients().get(0).recipient().parameters().notifyOn()).containsExactly(Notify.NEVER);

        MimeMessage msg = parse(bounce);
        assertThat(msg.getHeader("From", null)).contains("MAILER-DAEMON@relay.test");
        assertThat(msg.getHeader("To", null)).isEqualTo("s@src.test");
        assertThat(msg.getHeader("Auto-Submitted", null)).isEqualTo("auto-replied");
        assertThat(msg.getContentType()).startsWith("multipart/report").contains("report-type=delivery-status");
        MultipartReport report = (MultipartReport) msg.getContent();
        assertThat(report.getText()).contains("could not be delivered").contains("<u@c.test>: host mx.c.test said: 550 5.1.1");
        DeliveryStatus status = report.getDeliveryStatus();
        assertThat(status.getMessageDSN().getHeader("Reporting-MTA", null)).isEqualTo("dns; relay.test");
        assertThat(status.getMessageDSN().getHeader("Arrival-Date", null)).isEqualTo("Sun, 1 Mar 2026 10:00:00 +0000");
        assertThat(status.getRecipientDSNCount()).isEqualTo(2);
        InternetHeaders u = status.getRecipientDSN(0);
        assertThat(u.getHeader("Final-Recipient", null)).isEqualTo("rfc822; u@c.test");
        assertThat(u.getHeader("Original-Recipient", null)).isEqualTo("rfc822;U+x@c.test");
        assertThat(u.getHeader("Action", null)).isEqualTo("failed");
        assertThat(u.getHeader("Status", null)).isEqualTo("5.1.1");
        assertThat(u.getHeader("Remote-MTA", null)).isEqualTo("dns; mx.c.test");
        assertThat(u.getHeader("Diagnostic-Code", null)).isEqualTo("smtp; 550 5.1.1 <u@c.test>: no such user");
        assertThat(u.getHeader("Last-Attempt-Date", null)).isEqualTo("Sun, 1 Mar 2026 10:01:00 +0000");
        InternetHeaders v = status.getRecipientDSN(1);
        assertThat(v.getHeader("Final-Recipient", null)).isEqualTo("rfc822; v@c.test");
        assertThat(v.getHeader("Original-Recipient", null)).isNull();
        assertThat(v.getHeader("Status", null)).isEqualTo("5.0.0"); // no enhanced code in the reply: X.0.0
        // no RET: the header section only (text/rfc822-headers), not the body
        BodyPart third = report.getBodyPart(2);
        assertThat(third.getContentType()).startsWith("text/rfc822-headers");
        String returned = new String(third.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertThat(returned).contains("Subject: hello").contains("Message-ID: <m1@src.test>").doesNotContain("Body line");
        assertThat(meters.counter("relay.dsn.sent", "kind", "failure").count()).isEqualTo(1.0);
    }

    @Test
    void retFullReturnsTheWholeMessageByteForByte() throws Exception {
        ClaimedMessage m = enqueueAndClaim(path("s@src.test"), new MailParameters(null, null, false, Ret.FULL, "id+2B1"),
                ORIGINAL, rcpt("u@c.test", Set.of(), null));
        DsnService.Sent sent = dsn.send(m, List.of(DeliveryReport.failed(m.recipients().get(0),
                SmtpReply.of(550, "5.1.1", "no such user"), "mx.c.test", clock.instant())));

        MultipartReport report = (MultipartReport) parse(claim(sent.notifications().get(0))).getContent();
        assertThat(report.getDeliveryStatus().getMessageDSN().getHeader("Original-Envelope-Id", null)).isEqualTo("id+1");
        BodyPart third = report.getBodyPart(2);
        assertThat(third.getContentType()).startsWith("message/rfc822");
        MimeMessage returned = report.getReturnedMessage();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        returned.writeTo(out);
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo(ORIGINAL);
    }

    @Test
    void retFullAboveTheSizeLimitReturnsOnlyTheHeaders() throws Exception {
        dsn = new DsnService(new DsnSettings("relay.test", Duration.ofHours(4), false, 100), queue, clock, meters);
        ClaimedMessage m = enqueueAndClaim(path("s@src.test"), new MailParameters(null, null, false, Ret.FULL, null),
                ORIGINAL, rcpt("u@c.test", Set.of(), null));
        DsnService.Sent sent = dsn.send(m, List.of(DeliveryReport.failed(m.recipients().get(0),
                SmtpReply.of(550, "5.1.1", "no such user"), null, clock.instant())));
        MultipartReport report = (MultipartReport) parse(claim(sent.notifications().get(0))).getContent();
        assertThat(report.getBodyPart(2).getContentType()).startsWith("text/rfc822-headers");
        assertThat(report.getDeliveryStatus().getRecipientDSN(0).getHeader("Remote-MTA")).isNull();
    }

    @Test
    void aMessageWithTheNullReversePathIsNeverBounced() throws Exception {
        ClaimedMessage m = enqueueAndClaim(Path.NULL, MailParameters.NONE, ORIGINAL, rcpt("u@c.test", Set.of(), null));
        DsnService.Sent sent = dsn.send(m, List.of(DeliveryReport.failed(m.recipients().get(0),
                SmtpReply.of(550, "5.1.1", "no such user"), "mx.c.test", clock.instant())));

        assertThat(sent.notifications()).isEmpty();
        assertThat(sent.failuresStored()).isTrue(); // nothing to store: the recipient may be reported failed
        assertThat(queue.claim("t", 100, Duration.ofMinutes(1))).isEmpty();
        assertThat(meters.counter("relay.dsn.dropped", "reason", "null-reverse-path").count()).isEqualTo(1.0);
    }

    @Test
    void notifyNeverAndNotifyWithoutFailureSendNothingOnFailure() throws Exception {
        ClaimedMessage m = enqueueAndClaim(path("s@src.test"), MailParameters.NONE, ORIGINAL,
                rcpt("u@c.test", Set.of(Notify.NEVER), null), rcpt("v@c.test", Set.of(Notify.SUCCESS, Notify.DELAY), null));
        DsnService.Sent sent = dsn.send(m, List.of(
                DeliveryReport.failed(m.recipients().get(0), SmtpReply.of(550, "5.1.1", "no"), "mx.c.test", clock.instant()),
                DeliveryReport.failed(m.recipients().get(1), SmtpReply.of(550, "5.1.1", "no"), "mx.c.test", clock.instant())));
        assertThat(sent.notifications()).isEmpty();
        assertThat(queue.claim("t", 100, Duration.ofMinutes(1))).isEmpty();
    }

    @Test
    void notifySuccessGetsDeliveredOrRelayedButNotWhenTheNextHopTookTheDsnDuty() throws Exception {
        ClaimedMessage m = enqueueAndClaim(path("s@src.test"), MailParameters.NONE, ORIGINAL,
                rcpt("local@relay.test", Set.of(Notify.SUCCESS), null),
                rcpt("u@c.test", Set.of(Notify.SUCCESS, Notify.FAILURE), null),
                rcpt("v@d.test", Set.of(Notify.SUCCESS), null),
                rcpt("w@d.test", Set.of(), null));
        SmtpReply ok = SmtpReply.of(250, "2.0.0", "Ok: queued as X");
        DsnService.Sent sent = dsn.send(m, List.of(
                DeliveryReport.deliveredLocally(m.recipients().get(0), SmtpReply.of(250, "2.0.0", "delivered to maildir"), clock.instant()),
                DeliveryReport.relayed(m.recipients().get(1), ok, "mx.c.test", false, clock.instant()),
                DeliveryReport.relayed(m.recipients().get(2), ok, "mx.d.test", true, clock.instant()),
                DeliveryReport.relayed(m.recipients().get(3), ok, "mx.d.test", false, clock.instant())));

        assertThat(sent.notifications()).hasSize(1);
        MimeMessage msg = parse(claim(sent.notifications().get(0)));
        assertThat(msg.getSubject()).isEqualTo("Successful Mail Delivery Report");
        DeliveryStatus status = ((MultipartReport) msg.getContent()).getDeliveryStatus();
        assertThat(status.getRecipientDSNCount()).isEqualTo(2);
        assertThat(status.getRecipientDSN(0).getHeader("Action", null)).isEqualTo("delivered");
        assertThat(status.getRecipientDSN(0).getHeader("Status", null)).isEqualTo("2.0.0");
        assertThat(status.getRecipientDSN(0).getHeader("Diagnostic-Code")).isNull();
        assertThat(status.getRecipientDSN(1).getHeader("Action", null)).isEqualTo("relayed");
        assertThat(status.getRecipientDSN(1).getHeader("Final-Recipient", null)).isEqualTo("rfc822; u@c.test");
        assertThat(status.getRecipientDSN(1).getHeader("Remote-MTA", null)).isEqualTo("dns; mx.c.test");
        // a success report returns the header section only, even with RET=FULL
        assertThat(((MultipartReport) msg.getContent()).getBodyPart(2).getContentType()).startsWith("text/rfc822-headers");
    }

    @Test
    void notifyDelayGetsOneDelayNoticeOnceTheWarningTimeHasPassed() throws Exception {
        ClaimedMessage m = enqueueAndClaim(path("s@src.test"), MailParameters.NONE, ORIGINAL,
                rcpt("u@c.test", Set.of(Notify.DELAY, Notify.FAILURE), null), rcpt("v@c.test", Set.of(), null));
        SmtpReply later = SmtpReply.of(451, "4.4.1", "connect to mx.c.test[127.0.0.1]:25: Connection refused");
        Instant until = T0.plus(Duration.ofDays(5));

        clock.advance(Duration.ofHours(3));
        DsnService.Sent early = dsn.send(m, List.of(
                DeliveryReport.deferred(m.recipients().get(0), later, null, clock.instant(), until),
                DeliveryReport.deferred(m.recipients().get(1), later, null, clock.instant(), until)));
        assertThat(early.notifications()).isEmpty();
        assertThat(early.delayNoticeSent()).isEmpty();

        clock.advance(Duration.ofHours(1));
        DsnService.Sent due = dsn.send(m, List.of(
                DeliveryReport.deferred(m.recipients().get(0), later, null, clock.instant(), until),
                DeliveryReport.deferred(m.recipients().get(1), later, null, clock.instant(), until)));
        assertThat(due.notifications()).hasSize(1);
        assertThat(due.delayNoticeSent(m.recipients().get(0).id())).isTrue();
        assertThat(due.delayNoticeSent(m.recipients().get(1).id())).isFalse(); // no NOTIFY: only on request by default
        MimeMessage msg = parse(claim(due.notifications().get(0)));
        DeliveryStatus status = ((MultipartReport) msg.getContent()).getDeliveryStatus();
        assertThat(status.getRecipientDSNCount()).isEqualTo(1);
        assertThat(status.getRecipientDSN(0).getHeader("Action", null)).isEqualTo("delayed");
        assertThat(status.getRecipientDSN(0).getHeader("Status", null)).isEqualTo("4.4.1");
        assertThat(status.getRecipientDSN(0).getHeader("Will-Retry-Until", null)).isEqualTo("Fri, 6 Mar 2026 10:00:00 +0000");

        // a recipient whose notice went out gets no second one
        ClaimedRecipient noticed = withDelayNoticeSent(m.recipients().get(0));
        DsnService.Sent again = dsn.send(m, List.of(DeliveryReport.deferred(noticed, later, null, clock.instant(), until)));
        assertThat(again.notifications()).isEmpty();
    }

    @Test
    void anExpiredRecipientIsReportedWith447AndTheLastErrorAsDiagnostic() throws Exception {
        ClaimedMessage m = enqueueAndClaim(path("s@src.test"), MailParameters.NONE, ORIGINAL, rcpt("u@c.test", Set.of(), null));
        clock.advance(Duration.ofDays(5));
        SmtpReply last = SmtpReply.of(421, "4.4.1", "connect to c.test[127.0.0.1]:2525: Connection refused");
        DsnService.Sent sent = dsn.send(m, List.of(DeliveryReport.expired(m.recipients().get(0), last, "c.test", clock.instant())));
        MultipartReport report = (MultipartReport) parse(claim(sent.notifications().get(0))).getContent();
        InternetHeaders r = report.getDeliveryStatus().getRecipientDSN(0);
        assertThat(r.getHeader("Action", null)).isEqualTo("failed");
        assertThat(r.getHeader("Status", null)).isEqualTo("4.4.7");
        assertThat(jakarta.mail.internet.MimeUtility.unfold(r.getHeader("Diagnostic-Code", null)))
                .isEqualTo("smtp; 421 4.4.1 connect to c.test[127.0.0.1]:2525: Connection refused");
        assertThat(report.getText()).contains("delivery time expired after 5 days");
    }

    @Test
    void hostileReplyTextCannotAddFieldsOrBreakTheReport() throws Exception {
        ClaimedMessage m = enqueueAndClaim(path("s@src.test"), MailParameters.NONE, ORIGINAL, rcpt("u@c.test", Set.of(), null));
        SmtpReply hostile = SmtpReply.fromServer(550, List.of("5.7.1 caf\u00e9 Status: 2.0.0", "x".repeat(3000)));
        DsnService.Sent sent = dsn.send(m, List.of(DeliveryReport.failed(m.recipients().get(0), hostile, "mx\u00e9.c.test",
                clock.instant())));
        MultipartReport report = (MultipartReport) parse(claim(sent.notifications().get(0))).getContent();
        InternetHeaders r = report.getDeliveryStatus().getRecipientDSN(0);
        assertThat(r.getHeader("Status")).containsExactly("5.7.1");
        assertThat(jakarta.mail.internet.MimeUtility.unfold(r.getHeader("Diagnostic-Code", null)))
                .startsWith("smtp; 550 5.7.1 caf? Status: 2.0.0 xxx").endsWith("...");
        assertThat(r.getHeader("Remote-MTA", null)).isEqualTo("dns; mx?.c.test");
    }

    @Test
    void aDsnThatCannotBeStoredIsReportedSoTheEngineKeepsTheRecipient() throws Exception {
        ClaimedMessage m = enqueueAndClaim(path("s@src.test"), MailParameters.NONE, ORIGINAL, rcpt("u@c.test", Set.of(), null));
        MessageQueue failing = new FailingQueue(queue);
        DsnService broken = new DsnService(DsnSettings.defaults("relay.test"), failing, clock, meters);
        DsnService.Sent sent = broken.send(m, List.of(DeliveryReport.failed(m.recipients().get(0),
                SmtpReply.of(550, "5.1.1", "no"), "mx.c.test", clock.instant())));
        assertThat(sent.failuresStored()).isFalse();
        assertThat(sent.notifications()).isEmpty();
        assertThat(meters.counter("relay.dsn.errors", "kind", "failure").count()).isEqualTo(1.0);
    }

    @Test
    void settingsRejectBadValues() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DsnSettings(" ", Duration.ZERO, false, 1))
                .hasMessageContaining("relay.hostname");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DsnSettings("h", Duration.ofSeconds(-1), false, 1))
                .hasMessageContaining("dsn.delay-warning-time");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DsnSettings("h", Duration.ZERO, false, -1))
                .hasMessageContaining("dsn.return-size-limit");
        assertThat(new DsnSettings("h", Duration.ZERO, true, 1).delayNoticesEnabled()).isFalse();
    }

    @Test
    void statusOfAReplyWithoutEnhancedCodeIsTheGenericOneOfItsClass() {
        assertThat(DeliveryReport.statusOf(SmtpReply.of(451, null, "later"))).isEqualTo(new EnhancedStatus(4, 0, 0));
        assertThat(DeliveryReport.statusOf(SmtpReply.of(550, "5.2.2", "full"))).isEqualTo(new EnhancedStatus(5, 2, 2));
    }

    @Test
    void theEngineAdapterMapsEveryKindAndThrowsWhenABounceCannotBeStored() throws Exception {
        ClaimedMessage m = enqueueAndClaim(path("s@src.test"), MailParameters.NONE, ORIGINAL,
                rcpt("u@c.test", Set.of(Notify.DELAY, Notify.FAILURE), null), rcpt("v@c.test", Set.of(), null),
                rcpt("w@c.test", Set.of(Notify.SUCCESS), null));
        clock.advance(Duration.ofHours(5));
        SmtpReply later = SmtpReply.of(421, "4.4.1", "connect to c.test[127.0.0.1]:25: Connection refused");
        List<dev.relay.client.delivery.RecipientReport> reports = List.of(
                new dev.relay.client.delivery.RecipientReport(m.recipients().get(0),
                        dev.relay.client.delivery.RecipientReport.Kind.DEFERRED, later, null, false, clock.instant(),
                        T0.plus(Duration.ofDays(5))),
                new dev.relay.client.delivery.RecipientReport(m.recipients().get(1),
                        dev.relay.client.delivery.RecipientReport.Kind.EXPIRED, later, "c.test", false, clock.instant(), null),
                new dev.relay.client.delivery.RecipientReport(m.recipients().get(2),
                        dev.relay.client.delivery.RecipientReport.Kind.DELIVERED_LOCALLY,
                        SmtpReply.of(250, "2.0.0", "delivered to maildir"), null, false, clock.instant(), null));

        Set<Long> delayed = new DsnBounceSink(dsn).report(m, reports);
        assertThat(delayed).containsExactly(m.recipients().get(0).id());
        List<String> actions = new ArrayList<>();
        for (ClaimedMessage c : queue.claim("t", 100, Duration.ofMinutes(1))) {
            if (!c.envelope().reversePath().isNull()) {
                continue; // the original, whose lease ran out while the clock moved on
            }
            DeliveryStatus st = ((MultipartReport) parse(c).getContent()).getDeliveryStatus();
            for (int i = 0; i < st.getRecipientDSNCount(); i++) {
                actions.add(st.getRecipientDSN(i).getHeader("Action", null) + " " + st.getRecipientDSN(i).getHeader("Status", null));
            }
        }
        assertThat(actions).containsExactlyInAnyOrder("delayed 4.4.1", "failed 4.4.7", "delivered 2.0.0");

        DsnBounceSink broken = new DsnBounceSink(new DsnService(DsnSettings.defaults("relay.test"), new FailingQueue(queue),
                clock, meters));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> broken.report(m, reports.subList(1, 2)))
                .isInstanceOf(QueueException.class).hasMessageContaining("could not be stored");
        // a delay notice that cannot be stored is simply not marked as sent (it is tried at the next deferral)
        assertThat(broken.report(m, reports.subList(0, 1))).isEmpty();
    }

    @Test
    void anEightBitOriginalIsReturnedUnencodedAndTheDsnIsSentAs8BitMime() throws Exception {
        String eight = "From: <s@src.test>\r\nSubject: caf\u00e9\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n\r\nna\u00efve body\r\n";
        byte[] bytes = eight.getBytes(StandardCharsets.UTF_8);
        QueueId id = QueueId.generate();
        queue.enqueue(id, new Envelope(path("s@src.test"), new MailParameters(null, dev.relay.mail.BodyType.EIGHT_BIT_MIME,
                false, Ret.FULL, null), List.of(rcpt("u@c.test", Set.of(), null)),
                new Origin("192.0.2.7", "client.src.test", null, clock.instant(), "ESMTP")), body(bytes)).get(10, TimeUnit.SECONDS);
        ClaimedMessage m = claim(id);
        DsnService.Sent sent = dsn.send(m, List.of(DeliveryReport.failed(m.recipients().get(0),
                SmtpReply.of(550, "5.1.1", "no such user"), "mx.c.test", clock.instant())));

        ClaimedMessage bounce = claim(sent.notifications().get(0));
        assertThat(bounce.envelope().parameters().body()).isEqualTo(dev.relay.mail.BodyType.EIGHT_BIT_MIME);
        MultipartReport report = (MultipartReport) parse(bounce).getContent();
        BodyPart third = report.getBodyPart(2);
        assertThat(third.getContentType()).startsWith("message/rfc822");
        // RFC 2046 section 5.2.1: message/rfc822 is never base64 or quoted-printable
        assertThat(((jakarta.mail.internet.MimeBodyPart) third).getEncoding()).isIn(null, "7bit", "8bit", "binary");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        report.getReturnedMessage().writeTo(out);
        assertThat(out.toByteArray()).isEqualTo(bytes);
    }

    // --- helpers

    private static Recipient rcpt(String address, Set<Notify> notify, String orcpt) {
        return new Recipient(path(address), new RcptParameters(notify, orcpt));
    }

    private static Path path(String address) {
        int at = address.lastIndexOf('@');
        return Path.of(new Mailbox(address.substring(0, at), address.substring(at + 1)));
    }

    private ClaimedMessage enqueueAndClaim(Path from, MailParameters params, String content, Recipient... rcpts)
            throws Exception {
        QueueId id = QueueId.generate();
        byte[] bytes = content.getBytes(StandardCharsets.US_ASCII);
        queue.enqueue(id, new Envelope(from, params, List.of(rcpts),
                new Origin("192.0.2.7", "client.src.test", null, clock.instant(), "ESMTP")), body(bytes))
                .get(10, TimeUnit.SECONDS);
        return claim(id);
    }

    private ClaimedMessage claim(QueueId id) {
        for (ClaimedMessage c : queue.claim("test", 100, Duration.ofMinutes(5))) {
            if (c.id().equals(id)) {
                return c;
            }
        }
        throw new AssertionError("not claimable: " + id);
    }

    private MimeMessage parse(ClaimedMessage m) throws Exception {
        byte[] bytes;
        try (InputStream in = queue.openBody(m.id())) {
            bytes = in.readAllBytes();
        }
        // every line of a message that travels by SMTP ends with CRLF
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        assertThat(text.replace("\r\n", "")).doesNotContain("\n").doesNotContain("\r");
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
    }

    private static ClaimedRecipient withDelayNoticeSent(ClaimedRecipient r) {
        return new ClaimedRecipient(r.id(), r.recipient(), r.attempts(), r.firstAttempt(), r.lastNextHop(),
                r.adminBounceReason(), true);
    }

    private static MessageBody body(byte[] bytes) {
        return MessageBody.of(bytes);
    }

    /** A queue whose enqueue fails as a full disk would; reads go to the real queue. */
    private static final class FailingQueue extends ForwardingMessageQueue {
        FailingQueue(MessageQueue real) {
            super(real);
        }

        @Override
        public CompletableFuture<Void> enqueue(QueueId id, Envelope envelope, MessageBody body) {
            return CompletableFuture.failedFuture(new QueueException(QueueException.Kind.values()[0], "disk full", null));
        }
    }
}
