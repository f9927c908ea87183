package dev.relay.mail;

import java.util.List;

/**
 * The ESMTP parameters of MAIL FROM, typed and validated.
 *
 * @param size     {@code SIZE=} (RFC 1870), or null when not given
 * @param body     {@code BODY=} (RFC 6152), or null when not given
 * @param smtputf8 {@code SMTPUTF8} (RFC 6531) was given
 * @param ret      {@code RET=} (RFC 3461), or null
 * @param envid    {@code ENVID=} as received, still xtext-encoded (RFC 3461 section 4.4), or null
 */
public record MailParameters(Long size, BodyType body, boolean smtputf8, Ret ret, String envid) {

    /** No parameters. */
    public static final MailParameters NONE = new MailParameters(null, null, false, null, null);

    /**
     * Parses the text after the reverse-path, e.g. {@code "SIZE=1000 BODY=8BITMIME"}; empty text
     * gives {@link #NONE}. Keywords are case-insensitive; a repeated keyword is a bad value.
     */
    public static MailParameters parse(String text) throws ParameterException {
        return ParameterParser.parseMail(text);
    }

    /** The parameters as they are written after {@code MAIL FROM:<...>}, e.g. {@code ["SIZE=1000", "BODY=8BITMIME"]}. */
    public List<String> toParameterList() {
        return ParameterParser.formatMail(this);
    }

    @Override
    public String toString() {
        return String.join(" ", toParameterList());
    }
}
