package dev.relay.server.codec;

/**
 * The end of message content ({@code <CRLF>.<CRLF>} was read) with the decoder's verdict.
 *
 * @param verdict        whether the content may be stored, or why not
 * @param size           octets of content after unstuffing, CRLF counted as two (RFC 1870 section 5)
 * @param receivedCount  the number of {@code Received:} header fields in the message's header section
 */
public record DataEnd(Verdict verdict, long size, int receivedCount) {

    /** Whether the content can be accepted. Only {@link #OK} content was passed on complete. */
    public enum Verdict {
        OK,
        /** Larger than the maximum message size: 552 5.3.4. */
        TOO_BIG,
        /** A text line longer than the maximum. */
        LINE_TOO_LONG,
        /** A bare CR or LF while they are refused. */
        BARE_LINE_END,
        /** More Received headers than the loop limit: 554 5.4.6. */
        LOOP
    }
}
