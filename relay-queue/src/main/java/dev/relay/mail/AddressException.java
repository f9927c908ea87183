package dev.relay.mail;

/**
 * A syntax error in a path, mailbox or ESMTP parameter: what is wrong, the offending input and
 * the position (0-based, in characters) where the parser stopped, so that the receiver can answer
 * 501 with a precise reason.
 */
public final class AddressException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String reason;
    private final String input;
    private final int position;

    public AddressException(String reason, String input, int position) {
        super(reason + " at position " + position + " in \"" + Printable.escape(input) + "\"");
        this.reason = reason;
        this.input = input;
        this.position = position;
    }

    /** What is wrong, e.g. "consecutive dots in local part". */
    public String reason() {
        return reason;
    }

    /** The text that was being parsed. */
    public String input() {
        return input;
    }

    /** Where the parser stopped, 0-based. */
    public int position() {
        return position;
    }
}
