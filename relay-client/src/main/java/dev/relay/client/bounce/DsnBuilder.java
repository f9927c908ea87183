package dev.relay.client.bounce;

import dev.relay.mail.Mailbox;
import dev.relay.mail.SmtpReply;
import dev.relay.mail.Xtext;
import dev.relay.queue.Envelope;
import dev.relay.queue.QueueId;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UnsupportedEncodingException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.eclipse.angus.mail.dsn.DeliveryStatus;
import org.eclipse.angus.mail.dsn.MessageHeaders;
import org.eclipse.angus.mail.dsn.MultipartReport;

/**
 * Builds one delivery status notification (RFC 3464) with Angus Mail's DSN support: a
 * {@code multipart/report; report-type=delivery-status} (RFC 6522) with a human-readable part, a
 * {@code message/delivery-status} part and the original message ({@code message/rfc822}) or only
 * its header section ({@code text/rfc822-headers}).
 *
 * <p>Pure: it does no queue or network I/O; {@link DsnService} decides what is due and enqueues.
 * Untrusted text from next hops (reply lines) only reaches the report after being reduced to
 * printable US-ASCII and folded, so it can neither break the header syntax nor smuggle fields.
 */
final class DsnBuilder {

    /** The kind of notice, which decides the subject and the words of the human-readable part. */
    enum Kind {
        FAILURE("Undelivered Mail Returned to Sender"),
        DELAY("Delayed Mail (still being retried)"),
        SUCCESS("Successful Mail Delivery Report");

        final String subject;

        Kind(String subject) {
            this.subject = subject;
        }
    }

    /** RFC 5322 section 3.3 date-time with a numeric zone (RFC 5321 section 4.4 prefers explicit offsets). */
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ENGLISH);

    /** The longest diagnostic text kept from a next hop's reply. */
    private static final int MAX_DIAGNOSTIC = 900;

    private final DsnSettings settings;
    private final ZoneId zone;
    private final Session session;

    DsnBuilder(DsnSettings settings, ZoneId zone) {
        this.settings = settings;
        this.zone = zone;
        // A session only for building MIME: no transport, no store, no network.
        this.session = Session.getInstance(new Properties());
    }

    /** The original message to attach. */
    sealed interface Returned {
        /** Only the header section (RET=HDRS, no RET, or a message above the return size limit). */
        record Headers(byte[] headerSection) implements Returned {
        }

        /** The whole message (RET=FULL within the size limit). */
        record Full(byte[] message) implements Returned {
        }
    }

    /**
     * The notification as the bytes of a message: CRLF line ends, ready to be enqueued.
     *
     * @param to        the DSN's recipient (the original reverse-path, route stripped)
     * @param reports   the recipients it reports on, all of {@code kind}
     */
    byte[] build(Kind kind, QueueId originalId, QueueId dsnId, Envelope envelope, Mailbox to,
                 List<DeliveryReport> reports, Returned original, Instant now) throws MessagingException, IOException {
        DeliveryStatus status = new DeliveryStatus();
        status.setMessageDSN(perMessageFields(envelope));
        for (DeliveryReport r : reports) {
            status.addRecipientDSN(perRecipientFields(r));
        }
        String text = humanReadable(kind, originalId, envelope, reports, original);
        MultipartReport report;
        if (original instanceof Returned.Full full) {
            MimeMessage returned = new MimeMessage(session, new ByteArrayInputStream(full.message()));
            report = new MultipartReport(text, status, returned);
        } else {
            InternetHeaders headers = new InternetHeaders(new ByteArrayInputStream(((Returned.Headers) original).headerSection()));
            report = new MultipartReport(text, status);
            // The returned header section is the original's, untouched: saving the DSN must not give it
            // a new Message-ID, Date or MIME-Version as it would a message of our own.
            report.setReturnedMessage(new MessageHeaders(headers) {
                @Override
                protected void updateHeaders() {
                }
            });
        }

        MimeMessage dsn = new MimeMessage(session) {
            @Override
            protected void updateMessageID() throws MessagingException {
                setHeader("Message-ID", "<" + dsnId + "@" + settings.hostName() + ">");
            }
        };
        dsn.setFrom(new InternetAddress("MAILER-DAEMON@" + settings.hostName(), "Mail Delivery System", "US-ASCII"));
        dsn.setRecipient(jakarta.mail.Message.RecipientType.TO, address(to));
        dsn.setSubject(kind.subject, "US-ASCII");
        dsn.setHeader("Date", DATE.format(now.atZone(zone)));
        // RFC 3834 section 5: an automatic response; keeps vacation responders from answering it.
        dsn.setHeader("Auto-Submitted", "auto-replied");
        dsn.setContent(report);
        dsn.saveChanges();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        dsn.writeTo(out);
        return crlf(out.toByteArray());
    }

    private InternetHeaders perMessageFields(Envelope envelope) throws MessagingException {
        StringBuilder h = new StringBuilder();
        if (envelope.parameters().envid() != null) {
            // RFC 3464 section 2.2.1: the ENVID, decoded from its SMTP xtext form.
            add(h, "Original-Envelope-Id", ascii(Xtext.decode(envelope.parameters().envid()), 100));
        }
        add(h, "Reporting-MTA", "dns; " + settings.hostName());
        if (envelope.origin() != null && envelope.origin().heloName() != null) {
            String from = ascii(envelope.origin().heloName(), 255);
            String ip = envelope.origin().clientAddress();
            add(h, "Received-From-MTA", "dns; " + from + (ip == null ? "" : " (" + ascii(ip, 64) + ")"));
        }
        if (envelope.origin() != null && envelope.origin().arrival() != null) {
            add(h, "Arrival-Date", DATE.format(envelope.origin().arrival().atZone(zone)));
        }
        return fields(h);
    }

    private InternetHeaders perRecipientFields(DeliveryReport r) throws MessagingException {
        StringBuilder h = new StringBuilder();
        String orcpt = r.recipient().recipient().parameters().orcpt();
        if (orcpt != null) {
            // RFC 3464 section 2.3.1: address-type ";" generic-address, copied from ORCPT (decoded xtext).
            int semi = orcpt.indexOf(';');
            if (semi > 0) {
                add(h, "Original-Recipient", ascii(orcpt.substring(0, semi), 64) + ";"
                        + ascii(Xtext.decode(orcpt.substring(semi + 1)), 500));
            }
        }
        add(h, "Final-Recipient", "rfc822; " + ascii(r.recipient().recipient().forwardPath().mailbox().toString(), 300));
        add(h, "Action", r.action().name().toLowerCase(Locale.ROOT));
        add(h, "Status", r.status().toString());
        if (r.remoteMta() != null) {
            add(h, "Remote-MTA", "dns; " + ascii(r.remoteMta(), 255));
        }
        if (r.action() != DeliveryReport.Action.DELIVERED) {
            // RFC 3464 section 2.3.6: the SMTP reply as received.
            add(h, "Diagnostic-Code", "smtp; " + ascii(reply(r.reply()), MAX_DIAGNOSTIC));
        }
        add(h, "Last-Attempt-Date", DATE.format(r.attemptTime().atZone(zone)));
        if (r.willRetryUntil() != null && r.action() == DeliveryReport.Action.DELAYED) {
            add(h, "Will-Retry-Until", DATE.format(r.willRetryUntil().atZone(zone)));
        }
        return fields(h);
    }

    private static void add(StringBuilder h, String name, String value) {
        // fold long values (RFC 5322 section 2.2.3); the name and ": " count towards the line.
        h.append(name).append(": ").append(MimeUtility.fold(name.length() + 2, value)).append("\r\n");
    }

    /**
     * One block of DSN fields, parsed by Angus Mail so the fields keep the order of RFC 3464's
     * grammar (an empty {@code InternetHeaders} would sort some names into its own order).
     */
    private static InternetHeaders fields(StringBuilder h) throws MessagingException {
        h.append("\r\n");
        return new InternetHeaders(new ByteArrayInputStream(h.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    private String humanReadable(Kind kind, QueueId originalId, Envelope envelope, List<DeliveryReport> reports,
                                 Returned original) {
        StringBuilder b = new StringBuilder();
        b.append("This is the mail system at host ").append(settings.hostName()).append(".\r\n\r\n");
        String received = envelope.origin() != null && envelope.origin().arrival() != null
                ? ", received " + DATE.format(envelope.origin().arrival().atZone(zone)) : "";
        switch (kind) {
            case FAILURE -> b.append("Your message (queue id ").append(originalId).append(received).append(")\r\n")
                    .append("could not be delivered to one or more recipients. This is a permanent\r\n")
                    .append("error; the message will not be tried again for them.\r\n");
            case DELAY -> b.append("Your message (queue id ").append(originalId).append(received).append(")\r\n")
                    .append("could not yet be delivered to one or more recipients. The mail system\r\n")
                    .append("will keep trying; you do not need to send the message again.\r\n");
            case SUCCESS -> b.append("Your message (queue id ").append(originalId).append(received).append(")\r\n")
                    .append("was delivered, or passed on to a system that sends no delivery reports,\r\n")
                    .append("for the recipients below, as you asked.\r\n");
        }
        if (kind == Kind.FAILURE) {
            b.append(original instanceof Returned.Full
                    ? "The message is attached below.\r\n"
                    : "The header section of the message is attached below.\r\n");
        }
        b.append("\r\nFor further assistance, send mail to <postmaster@").append(settings.hostName()).append(">.\r\n\r\n");
        for (DeliveryReport r : reports) {
            b.append("<").append(ascii(r.recipient().recipient().forwardPath().mailbox().toString(), 300)).append(">: ");
            switch (r.action()) {
                case DELIVERED -> b.append("delivered to mailbox");
                case RELAYED -> b.append("relayed to ").append(r.remoteMta() == null ? "the next host" : ascii(r.remoteMta(), 255))
                        .append(", which does not send delivery reports");
                case FAILED, DELAYED -> {
                    if (r.status().equals(DeliveryReport.EXPIRED) && r.action() == DeliveryReport.Action.FAILED) {
                        b.append("delivery time expired");
                        if (envelope.origin() != null && envelope.origin().arrival() != null) {
                            b.append(" after ").append(describe(Duration.between(envelope.origin().arrival(), r.attemptTime())));
                        }
                        b.append("; last error: ");
                    }
                    if (r.remoteMta() != null) {
                        b.append("host ").append(ascii(r.remoteMta(), 255)).append(" said: ");
                    }
                    b.append(ascii(reply(r.reply()), MAX_DIAGNOSTIC));
                    if (r.action() == DeliveryReport.Action.DELAYED && r.willRetryUntil() != null) {
                        b.append(" (will retry until ").append(DATE.format(r.willRetryUntil().atZone(zone))).append(")");
                    }
                }
            }
            b.append("\r\n");
        }
        return b.toString();
    }

    private static String describe(Duration d) {
        long days = d.toDays();
        if (days >= 1) {
            return days + (days == 1 ? " day" : " days");
        }
        long hours = d.toHours();
        if (hours >= 1) {
            return hours + (hours == 1 ? " hour" : " hours");
        }
        long minutes = d.toMinutes();
        return minutes + (minutes == 1 ? " minute" : " minutes");
    }

    /** "550 5.1.1 no such user": code, status and text, lines joined with a space. */
    private static String reply(SmtpReply reply) {
        return reply.toString();
    }

    /** Printable US-ASCII only (other characters become '?'), cut to {@code max} characters. */
    static String ascii(String s, int max) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), max));
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : (c == '\t' ? ' ' : '?'));
        }
        if (s.length() > max) {
            b.append("...");
        }
        return b.toString();
    }

    private static InternetAddress address(Mailbox to) throws UnsupportedEncodingException {
        InternetAddress a = new InternetAddress();
        a.setAddress(to.toString());
        return a;
    }

    /** Normalises line ends to CRLF (text parts built from Java strings may carry bare LFs). */
    static byte[] crlf(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + 64);
        for (int i = 0; i < in.length; i++) {
            byte c = in[i];
            if (c == '\n' && (i == 0 || in[i - 1] != '\r')) {
                out.write('\r');
            } else if (c == '\r' && (i + 1 >= in.length || in[i + 1] != '\n')) {
                out.write('\r');
                out.write('\n');
                continue;
            }
            out.write(c);
        }
        return out.toByteArray();
    }

    /**
     * The header section of a message (up to and including the empty line), read from its start;
     * at most {@code max} bytes, cut at the last complete line when the section is longer.
     */
    static byte[] headerSection(InputStream in, int max) throws IOException {
        byte[] head = in.readNBytes(max);
        for (int i = 0; i + 1 < head.length; i++) {
            if (head[i] == '\n' && (head[i + 1] == '\n' || (head[i + 1] == '\r' && i + 2 < head.length && head[i + 2] == '\n'))) {
                int end = head[i + 1] == '\n' ? i + 2 : i + 3;
                return java.util.Arrays.copyOf(head, end);
            }
        }
        int lastLf = -1;
        for (int i = head.length - 1; i >= 0; i--) {
            if (head[i] == '\n') {
                lastLf = i;
                break;
            }
        }
        byte[] cut = java.util.Arrays.copyOf(head, lastLf + 1);
        byte[] withEnd = java.util.Arrays.copyOf(cut, cut.length + 2);
        withEnd[cut.length] = '\r';
        withEnd[cut.length + 1] = '\n';
        return withEnd;
    }
}
