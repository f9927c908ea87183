package dev.relay.mail;

/** RFC 3461 section 4 xtext: "+" followed by two upper-case hex digits encodes a character. */
public final class Xtext {
    private Xtext() {
    }

    public static String encode(String text) {
        throw new UnsupportedOperationException("TODO: issue 2 section 1");
    }

    /** @throws IllegalArgumentException with the offending position when {@code xtext} is malformed */
    public static String decode(String xtext) {
        throw new UnsupportedOperationException("TODO: issue 2 section 1");
    }
}
