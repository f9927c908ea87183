package dev.relay.mail;

/**
 * An ESMTP parameter of MAIL or RCPT that cannot be taken: either a keyword we do not know
 * (RFC 5321 section 4.1.1.11: 555) or a known keyword with a bad value (501).
 */
public final class ParameterException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Which reply the receiver gives. */
    public enum Kind {
        /** Unknown keyword: 555 5.5.4. */
        UNKNOWN_KEYWORD,
        /** Known keyword, bad or repeated value: 501 5.5.4. */
        BAD_VALUE
    }

    private final Kind kind;
    private final String keyword;

    public ParameterException(Kind kind, String keyword, String message) {
        super(message);
        this.kind = kind;
        this.keyword = keyword;
    }

    public Kind kind() {
        return kind;
    }

    /** The offending keyword as received. */
    public String keyword() {
        return keyword;
    }
}
