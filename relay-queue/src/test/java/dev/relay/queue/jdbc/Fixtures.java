package dev.relay.queue.jdbc;

import dev.relay.mail.Mailbox;
import dev.relay.mail.MailParameters;
import dev.relay.mail.Notify;
import dev.relay.mail.Path;
import dev.relay.mail.RcptParameters;
import dev.relay.queue.Envelope;
import dev.relay.queue.MessageBody;
import dev.relay.queue.Origin;
import dev.relay.queue.QueueSettings;
import dev.relay.queue.Recipient;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Envelopes, bodies and settings for the queue tests. */
final class Fixtures {
    /** Set {@code -Drelay.queue.h2mode=PostgreSQL} to run every queue test in H2's PostgreSQL mode. */
    static final String MODE = System.getProperty("relay.queue.h2mode");

    private Fixtures() {
    }

    static QueueSettings settings(java.nio.file.Path dir) {
        return QueueSettings.defaults(dir).withCompatibilityMode(MODE == null || MODE.isBlank() ? null : MODE);
    }

    static Path path(String address) {
        int at = address.lastIndexOf('@');
        return Path.of(new Mailbox(address.substring(0, at), address.substring(at + 1)));
    }

    static Envelope envelope(String from, String... to) {
        List<Recipient> rcpts = new ArrayList<>();
        for (String t : to) {
            rcpts.add(new Recipient(path(t), RcptParameters.NONE));
        }
        return new Envelope(from.isEmpty() ? Path.NULL : path(from), MailParameters.NONE, rcpts,
                new Origin("192.0.2.7", "client.example.net", null, Instant.parse("2026-01-01T00:00:00Z"), "ESMTP"));
    }

    /** An envelope that uses every field: a source route, parameters, NOTIFY and ORCPT, an authenticated user. */
    static Envelope fullEnvelope() {
        Path from = new Path(List.of("relay.example.com"), new Mailbox("s", "src.example"));
        Recipient routed = new Recipient(new Path(List.of("hosta.example", "hostb.example"),
                new Mailbox("u", "hostc.example")), new RcptParameters(Set.of(Notify.FAILURE, Notify.DELAY),
                "rfc822;u+40hostc.example"));
        Recipient plain = new Recipient(path("v@example.org"), RcptParameters.NONE);
        return new Envelope(from, new MailParameters(1234L, dev.relay.mail.BodyType.EIGHT_BIT_MIME, false,
                dev.relay.mail.Ret.HDRS, "abc+2Bdef"), List.of(routed, plain),
                new Origin("2001:db8::7", "client.example.net", "alice", Instant.parse("2026-01-01T00:00:00Z"),
                        "ESMTPSA"));
    }

    static MessageBody body(String text) {
        return body(text.getBytes(StandardCharsets.UTF_8));
    }

    static MessageBody body(byte[] bytes) {
        return MessageBody.of(bytes);
    }

    static String message(String subject, String text) {
        return "Received: from client.example.net\r\nSubject: " + subject + "\r\nFrom: s@example.org\r\n\r\n" + text
                + "\r\n";
    }
}
