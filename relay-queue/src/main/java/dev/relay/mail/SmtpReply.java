package dev.relay.mail;

import java.util.List;

/**
 * An SMTP reply as a value: the three-digit code, the enhanced status (RFC 3463; null where
 * none applies, e.g. the greeting) and the text lines without code or status. The receiver
 * encodes it with {@code NNN-} continuation lines; the forwarder builds it from a next hop's
 * answer and the queue stores it as the last reply of a recipient.
 */
public record SmtpReply(int code, EnhancedStatus status, List<String> lines) {

    public SmtpReply {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("reply code out of range: " + code);
        }
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            lines = List.of("");
        }
        for (String line : lines) {
            // A CR or LF inside a line would end the reply early and let text become protocol.
            if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("reply line contains CR or LF: " + Printable.escape(line));
            }
        }
    }

    /** A one-line reply, e.g. {@code of(250, "2.1.0", "Ok")}; {@code status} may be null. */
    public static SmtpReply of(int code, String status, String text) {
        return new SmtpReply(code, status == null ? null : EnhancedStatus.parse(status), List.of(text));
    }

    /**
     * A reply read from a next hop: the code and its text lines as they came; an enhanced status
     * at the start of the first line is taken out into {@link #status()}.
     */
    public static SmtpReply fromServer(int code, List<String> rawLines) {
        if (rawLines.isEmpty()) {
            return new SmtpReply(code, null, List.of(""));
        }
        java.util.ArrayList<String> l = new java.util.ArrayList<>(rawLines.size());
        for (String raw : rawLines) {
            // a next hop's stray CR or LF must not break our own replies or logs
            l.add(raw.indexOf('\r') >= 0 || raw.indexOf('\n') >= 0 ? Printable.escape(raw) : raw);
        }
        String first = l.get(0);
        EnhancedStatus st = EnhancedStatus.parseLeading(first);
        if (st == null) {
            return new SmtpReply(code, null, l);
        }
        // cut what was received ("5.01.1" is 6 chars although it prints as "5.1.1")
        l.set(0, first.substring(EnhancedStatus.leadingLength(first)).stripLeading());
        return new SmtpReply(code, st, l);
    }

    /** 2xx. */
    public boolean isPositive() {
        return code < 300;
    }

    /** 3xx (354 after DATA). */
    public boolean isIntermediate() {
        return code >= 300 && code < 400;
    }

    /** 4xx: try again later. */
    public boolean isTransient() {
        return code >= 400 && code < 500;
    }

    /** 5xx: do not try again. */
    public boolean isPermanent() {
        return code >= 500;
    }

    /** The text lines joined with a space. */
    public String text() {
        return String.join(" ", lines);
    }

    /** {@code "250 2.0.0 Ok"}: code, status and all text on one line, for logs and the queue. */
    @Override
    public String toString() {
        return code + (status == null ? "" : " " + status) + (text().isEmpty() ? "" : " " + text());
    }
}
