package dev.relay.mail;

/** Renders untrusted text safely for replies and logs: control and non-ASCII characters as escapes. */
public final class Printable {
    private Printable() {
    }

    /** Escapes CR, LF, NUL and other controls as {@code \xNN}; long input is cut with "...". */
    public static String escape(CharSequence s) {
        if (s == null) {
            return "";
        }
        int max = Math.min(s.length(), 200);
        StringBuilder b = new StringBuilder(max + 8);
        for (int i = 0; i < max; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02X", (int) c));
            } else {
                b.append(c);
            }
        }
        if (s.length() > max) {
            b.append("...");
        }
        return b.toString();
    }
}
