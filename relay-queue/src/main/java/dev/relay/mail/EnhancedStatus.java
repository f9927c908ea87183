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

    /** RFC 3463 section 2: {@code class "." subject "." detail}, {@code subject = 1*3digit}, {@code detail = 1*3digit}. */
    private static final java.util.regex.Pattern SYNTAX = java.util.regex.Pattern.compile("[245]\\.[0-9]{1,3}\\.[0-9]{1,3}");

    /** Parses {@code "5.1.1"}; anything else (signs, spaces, four digits) is an {@link IllegalArgumentException}. */
    public static EnhancedStatus parse(String text) {
        if (text == null || !SYNTAX.matcher(text).matches()) {
            throw new IllegalArgumentException("not an enhanced status code: " + Printable.escape(text));
        }
        String[] p = text.split("\\.", -1);
        return new EnhancedStatus(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]));
    }

    /** Parses a code at the start of a reply text ("2.0.0 Ok"), or returns null if there is none. */
    public static EnhancedStatus parseLeading(String text) {
        String head = text == null ? null : leadingToken(text);
        return head == null ? null : parse(head);
    }

    /** The length of the enhanced status code at the start of {@code text}, or 0 if there is none. */
    static int leadingLength(String text) {
        String head = leadingToken(text);
        return head != null ? head.length() : 0;
    }

    private static String leadingToken(String text) {
        int sp = text.indexOf(' ');
        String head = sp < 0 ? text : text.substring(0, sp);
        return SYNTAX.matcher(head).matches() ? head : null;
    }

    @Override
    public String toString() {
        return codeClass + "." + subject + "." + detail;
    }
}
