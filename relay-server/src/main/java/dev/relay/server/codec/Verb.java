package dev.relay.server.codec;

import java.util.Locale;

/**
 * The SMTP verbs this receiver knows by name (RFC 5321 section 4.1 and extensions). A verb here
 * is not necessarily implemented: the command table decides; anything else is {@link #UNKNOWN}.
 */
public enum Verb {
    HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY, EXPN, HELP,
    /** RFC 821; removed by RFC 5321 appendix F.1. */
    TURN,
    /** RFC 821; obsolete (RFC 5321 appendix F.6). */
    SEND, SOML, SAML,
    /** RFC 3207; implemented by the TLS part of the receiver when configured. */
    STARTTLS,
    /** RFC 4954. */
    AUTH,
    /** RFC 3030 CHUNKING: not offered. */
    BDAT,
    UNKNOWN;

    /** The verb for a command word, case-insensitively (RFC 5321 2.4); {@link #UNKNOWN} for anything else. */
    public static Verb of(String word) {
        if (word.length() < 4 || word.length() > 8) {
            return UNKNOWN;
        }
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            // ASCII letters only: toUpperCase maps U+0131 (dotless i) to "I" and U+017F (long s)
            // to "S", which made "MA" U+0131 "L" a MAIL command (found by CommandDecoderFuzzTest)
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
                return UNKNOWN;
            }
        }
        try {
            Verb v = valueOf(word.toUpperCase(Locale.ROOT));
            return v == UNKNOWN ? UNKNOWN : v;
        } catch (IllegalArgumentException e) {
            return UNKNOWN;
        }
    }
}
