package dev.relay.mail;

/** Renders untrusted text safely for replies and logs: control and non-ASCII characters as escapes. */
public final class Printable {
    /** Longer input is cut, so that a hostile 1 MB line never reaches a reply or a log whole. */
    static final int MAX_CHARS = 200;

    private Printable() {
    }

    /**
     * Escapes CR, LF, NUL and other controls as {@code \xNN} and non-ASCII characters as
     * {@code \x{HHHH}} (the notation of RFC 6533), so the result is printable US-ASCII that is
     * safe in an SMTP reply of any session; input longer than 200 characters is cut with "...".
     */
    public static String escape(CharSequence s) {
        if (s == null) {
            return "";
        }
        int max = Math.min(s.length(), MAX_CHARS);
        StringBuilder b = new StringBuilder(max + 8);
        for (int i = 0; i < max; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02X", (int) c));
            } else if (c < 0x7f) {
                b.append(c);
            } else {
                int cp = c;
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    cp = Character.toCodePoint(c, s.charAt(i + 1));
                    i++;
                }
                b.append("\\x{").append(Integer.toHexString(cp).toUpperCase(java.util.Locale.ROOT)).append('}');
            }
        }
        if (s.length() > max) {
            b.append("...");
        }
        return b.toString();
    }
}
