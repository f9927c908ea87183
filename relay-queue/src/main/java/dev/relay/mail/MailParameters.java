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
 * @param auth     {@code AUTH=} (RFC 4954 section 5) as received, still xtext-encoded: {@code <>}
 *                 or an xtext that decodes to a mailbox; null when not given. The receiver decides
 *                 whether it trusts it (only from an authenticated client) and whether AUTH was
 *                 offered at all (RFC 5321 section 4.1.1.11)
 */
public record MailParameters(Long size, BodyType body, boolean smtputf8, Ret ret, String envid, String auth) {

    /** No parameters. */
    public static final MailParameters NONE = new MailParameters(null, null, false, null, null, null);

    /** The parameters without {@code AUTH=}. */
    public MailParameters(Long size, BodyType body, boolean smtputf8, Ret ret, String envid) {
        this(size, body, smtputf8, ret, envid, null);
    }

    /**
     * Parses the text after the reverse-path, e.g. {@code "SIZE=1000 BODY=8BITMIME"}; empty text
     * gives {@link #NONE}. Keywords are case-insensitive; a repeated keyword is a bad value.
     */
    public static MailParameters parse(String text) throws ParameterException {
        return ParameterParser.parseMail(text);
    }

    /**
     * The submitter named by {@code AUTH=} (RFC 4954 section 5), decoded from xtext; empty when
     * there is no AUTH parameter or it is {@code AUTH=<>} (submitter unknown).
     */
    public java.util.Optional<Mailbox> authSubmitter() {
        if (auth == null || auth.equals("<>")) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(Mailbox.parse(Xtext.decode(auth), true));
        } catch (AddressException e) {
            throw new IllegalStateException("AUTH value not checked: " + Printable.escape(auth), e);
        }
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
