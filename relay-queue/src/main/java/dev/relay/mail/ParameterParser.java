package dev.relay.mail;

import java.util.List;

/** ESMTP parameter syntax: {@code esmtp-keyword ["=" esmtp-value]} (RFC 5321 section 4.1.2) and xtext (RFC 3461 section 4). */
final class ParameterParser {
    private ParameterParser() {
    }

    static MailParameters parseMail(String text) throws ParameterException {
        throw new UnsupportedOperationException("TODO: issue 2 section 1");
    }

    static RcptParameters parseRcpt(String text) throws ParameterException {
        throw new UnsupportedOperationException("TODO: issue 2 section 1");
    }

    static List<String> formatMail(MailParameters p) {
        throw new UnsupportedOperationException("TODO: issue 2 section 1");
    }

    static List<String> formatRcpt(RcptParameters p) {
        throw new UnsupportedOperationException("TODO: issue 2 section 1");
    }
}
