package dev.relay.mail;

import java.util.List;
import java.util.Set;

/**
 * The ESMTP parameters of RCPT TO (RFC 3461 section 4), typed and validated.
 *
 * @param notifyOn {@code NOTIFY=}: empty when not given; {@code [NEVER]} alone, or any of SUCCESS,
 *               FAILURE, DELAY
 * @param orcpt  {@code ORCPT=} as received, e.g. {@code rfc822;u+40example.org} (xtext still
 *               encoded), or null
 */
public record RcptParameters(Set<Notify> notifyOn, String orcpt) {

    /** No parameters. */
    public static final RcptParameters NONE = new RcptParameters(Set.of(), null);

    public RcptParameters {
        notifyOn = Set.copyOf(notifyOn);
    }

    /**
     * Parses the text after the forward-path of a transaction without SMTPUTF8; empty text gives
     * {@link #NONE}. Keywords are case-insensitive; a repeated keyword is a bad value.
     */
    public static RcptParameters parse(String text) throws ParameterException {
        return ParameterParser.parseRcpt(text, false);
    }

    /**
     * As {@link #parse(String)}; with {@code smtputf8} (the MAIL command had SMTPUTF8, RFC 6531)
     * values may carry UTF-8, e.g. {@code ORCPT=utf-8;...} of RFC 6533.
     */
    public static RcptParameters parse(String text, boolean smtputf8) throws ParameterException {
        return ParameterParser.parseRcpt(text, smtputf8);
    }

    /** The parameters as written after {@code RCPT TO:<...>}. */
    public List<String> toParameterList() {
        return ParameterParser.formatRcpt(this);
    }

    @Override
    public String toString() {
        return String.join(" ", toParameterList());
    }
}
