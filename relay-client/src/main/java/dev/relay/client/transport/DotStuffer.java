package dev.relay.client.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Writes message content as the DATA transfer of RFC 5321 section 4.5.2, byte by byte and block
 * by block: a line that starts with "." gets one more "."; the content is ended with CRLF when it
 * does not end with one, then the terminating ".\r\n" follows. Bytes pass unchanged (8-bit
 * content is sent as is), with one exception kept from the Commons Net writer this replaces: a
 * bare LF is sent as CRLF (RFC 5321 section 2.3.8: CR and LF only as CRLF), so a receiver that
 * ends lines at a bare LF cannot be shown an end of data we did not mean (a dot after a bare LF
 * is stuffed too). A bare CR passes unchanged.
 *
 * <p>Everything goes through one buffer of at most {@code bufferSize} bytes: a small message and
 * its final dot leave in a single write; a large one in writes of {@code bufferSize} bytes, each
 * bounded by the caller's write watchdog. The whole message is never held in memory.
 */
final class DotStuffer {

    /** The most bytes read from the body or written to the socket at once. */
    static final int BLOCK = 64 * 1024;

    private static final int LINE_START = 0;
    private static final int AFTER_CR = 1;
    private static final int MIDDLE = 2;

    private final OutputStream out;
    private final byte[] buf;
    private int len;
    /** Where the next byte falls: at the start of a line (the content's start too), after a CR, or elsewhere. */
    private int state = LINE_START;

    /**
     * @param out        the session's stream (unbuffered; we buffer)
     * @param bufferSize bytes gathered before a write
     */
    DotStuffer(OutputStream out, int bufferSize) {
        this.out = out;
        this.buf = new byte[Math.max(16, bufferSize)];
    }

    /**
     * Sends the whole body, stuffed and terminated, and flushes.
     *
     * @param sizeHint the size the queue recorded: buffers are no larger than the message needs
     */
    static void send(InputStream body, OutputStream out, long sizeHint) throws IOException {
        // Room for the content, some stuffed dots, CRLF and ".\r\n": one write for a small message.
        int outSize = (int) Math.min(BLOCK, Math.max(256, sizeHint + sizeHint / 32 + 64));
        int inSize = (int) Math.min(BLOCK, Math.max(256, sizeHint + 1));
        DotStuffer d = new DotStuffer(out, outSize);
        byte[] in = new byte[inSize];
        int n;
        while ((n = body.read(in)) >= 0) {
            d.write(in, 0, n);
        }
        d.finish();
    }

    /** Writes one block of content. */
    void write(byte[] b, int off, int n) throws IOException {
        int end = off + n;
        int run = off;
        int s = state;
        for (int i = off; i < end; i++) {
            byte c = b[i];
            if (c == '\n') {
                if (s != AFTER_CR) {
                    put(b, run, i - run);
                    put((byte) '\r');
                    run = i;
                }
                s = LINE_START;
            } else if (c == '\r') {
                s = AFTER_CR;
            } else {
                if (c == '.' && s == LINE_START) {
                    put(b, run, i - run);
                    put((byte) '.');
                    run = i;
                }
                s = MIDDLE;
            }
        }
        put(b, run, end - run);
        state = s;
    }

    /** Ends the last line when it has no CRLF, writes ".\r\n" and flushes. */
    void finish() throws IOException {
        if (state == AFTER_CR) {
            put((byte) '\n');
        } else if (state == MIDDLE) {
            put((byte) '\r');
            put((byte) '\n');
        }
        put((byte) '.');
        put((byte) '\r');
        put((byte) '\n');
        flush();
        out.flush();
    }

    private void put(byte c) throws IOException {
        if (len == buf.length) {
            flush();
        }
        buf[len++] = c;
    }

    private void put(byte[] b, int off, int n) throws IOException {
        while (n > 0) {
            if (len == buf.length) {
                flush();
            }
            int k = Math.min(n, buf.length - len);
            System.arraycopy(b, off, buf, len, k);
            len += k;
            off += k;
            n -= k;
        }
    }

    private void flush() throws IOException {
        if (len > 0) {
            out.write(buf, 0, len);
            len = 0;
        }
    }
}
