package dev.relay.server;

/**
 * What the receiver does with a bare CR or bare LF (one not part of a CRLF pair) in message
 * content (RFC 5321 sections 2.3.8 and 4.1.1.4).
 *
 * <p>Either way the content ends only at {@code <CR><LF>.<CR><LF>}: {@code <LF>.<LF>},
 * {@code <CR>.<CR>}, {@code <LF>.<CR><LF>}, {@code <CR><LF>.<LF>} and {@code <CR><LF>.<CR>} are
 * never an end of data, so nothing can be smuggled past the receiver (CVE-2023-51764 and kin).
 */
public enum BareLineEnds {
    /**
     * The default: a bare CR or bare LF is taken as a line end and stored as CRLF, so the queue
     * holds only canonical CRLF lines and the forwarder's dot-stuffing makes every line
     * unambiguous for the next hop. This is Postfix's default since 3.9
     * ({@code smtpd_forbid_bare_newline = normalize}); it keeps sloppy but honest senders working.
     */
    NORMALIZE,
    /**
     * A message with a bare CR or bare LF is refused at the end of data with
     * {@code 550 5.5.2}, and a command line that ends in a bare LF gets {@code 500 5.5.2}.
     */
    REJECT
}
