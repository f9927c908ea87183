package dev.relay.mail;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * RFC 3461 section 4 xtext: "+" followed by two upper-case hex digits encodes a character.
 *
 * <p>{@code xtext = *( xchar / hexchar )}, {@code xchar = %d33-42 / %d44-60 / %d62-126} (any
 * printable ASCII but "+" and "="), {@code hexchar = "+" 2(%x30-39 / %x41-46)}. The encoded
 * octets are taken as UTF-8, so that an ENVID or ORCPT with non-ASCII text survives a round trip.
 */
public final class Xtext {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private Xtext() {
    }

    /** Whether {@code c} may stand for itself in xtext. */
    static boolean isXchar(int c) {
        return c >= 33 && c <= 126 && c != '+' && c != '=';
    }

    /**
     * Encodes {@code text}: xchars as themselves, everything else as "+HH" per UTF-8 octet.
     *
     * @throws IllegalArgumentException when {@code text} has a lone surrogate (not encodable as UTF-8)
     */
    public static String encode(String text) {
        ByteBuffer buf;
        try {
            buf = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(text));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("text is not valid UTF-16 (lone surrogate): " + Printable.escape(text), e);
        }
        StringBuilder b = new StringBuilder(text.length() + 8);
        while (buf.hasRemaining()) {
            int o = buf.get() & 0xff;
            if (isXchar(o)) {
                b.append((char) o);
            } else {
                b.append('+').append(HEX[o >> 4]).append(HEX[o & 0xf]);
            }
        }
        return b.toString();
    }

    /** @throws IllegalArgumentException with the offending position when {@code xtext} is malformed */
    public static String decode(String xtext) {
        byte[] out = new byte[xtext.length()];
        int n = 0;
        for (int i = 0; i < xtext.length(); i++) {
            char c = xtext.charAt(i);
            if (c == '+') {
                if (i + 2 >= xtext.length()) {
                    throw new IllegalArgumentException("incomplete \"+HH\" escape at position " + i);
                }
                int hi = hex(xtext.charAt(i + 1));
                int lo = hex(xtext.charAt(i + 2));
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("\"+\" must be followed by two upper-case hex digits at position " + i);
                }
                out[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else if (isXchar(c)) {
                out[n++] = (byte) c;
            } else {
                throw new IllegalArgumentException("bad character " + AddressParser.describe(xtext.codePointAt(i))
                        + " at position " + i);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(out, 0, n)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the \"+HH\" escapes are not valid UTF-8", e);
        }
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
