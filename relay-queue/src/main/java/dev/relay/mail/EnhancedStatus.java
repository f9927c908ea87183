package dev.relay.mail;

/**
 * An enhanced mail system status code (RFC 3463): {@code class "." subject "." detail}, class 2, 4 or 5.
 */
public record EnhancedStatus(int codeClass, int subject, int detail) {

    public EnhancedStatus {
        if (codeClass != 2 && codeClass != 4 && codeClass != 5) {
            throw new IllegalArgumentException("enhanced status class must be 2, 4 or 5: " + codeClass);
        }
        if (subject < 0 || subject > 999 || detail < 0 || detail > 999) {
            throw new IllegalArgumentException("enhanced status out of range: " + codeClass + "." + subject + "." + detail);
        }
    }

    /** Parses {@code "5.1.1"}. */
    public static EnhancedStatus parse(String text) {
        String[] p = text.split("\\.", -1);
        if (p.length != 3) {
            throw new IllegalArgumentException("not an enhanced status code: " + Printable.escape(text));
        }
        try {
            return new EnhancedStatus(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an enhanced status code: " + Printable.escape(text), e);
        }
    }

    /** Parses a code at the start of a reply text ("2.0.0 Ok"), or returns null if there is none. */
    public static EnhancedStatus parseLeading(String text) {
        int sp = text.indexOf(' ');
        String head = sp < 0 ? text : text.substring(0, sp);
        if (!head.matches("[245]\\.\\d{1,3}\\.\\d{1,3}")) {
            return null;
        }
        return parse(head);
    }

    @Override
    public String toString() {
        return codeClass + "." + subject + "." + detail;
    }
}
