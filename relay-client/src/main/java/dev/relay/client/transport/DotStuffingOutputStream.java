package dev.relay.client.transport;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes message content for DATA: a line that starts with "." gets one more "." (RFC 5321
 * section 4.5.2); {@link #finish()} ends the last line with CRLF if needed and writes the
 * terminating {@code .CRLF}. A line starts after CRLF only, as the receiver sees lines. Output is
 * buffered; the underlying stream is not closed.
 */
final class DotStuffingOutputStream extends FilterOutputStream {
    private static final int BUFFER = 64 * 1024;

    private final byte[] buf = new byte[BUFFER];
    private int count;
    private int prev = '\n';
    private int prevPrev = '\r';
    private long written;

    DotStuffingOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        put((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        for (int i = off; i < off + len; i++) {
            put(b[i]);
        }
    }

    private void put(byte c) throws IOException {
        if (c == '.' && prev == '\n' && prevPrev == '\r') {
            raw((byte) '.');
        }
        raw(c);
        prevPrev = prev;
        prev = c & 0xff;
        written++;
    }

    private void raw(byte c) throws IOException {
        if (count == buf.length) {
            flushBuffer();
        }
        buf[count++] = c;
    }

    private void flushBuffer() throws IOException {
        if (count > 0) {
            out.write(buf, 0, count);
            count = 0;
        }
    }

    /** Ends the content: CRLF if the last line is open, then {@code .CRLF}; flushes. */
    void finish() throws IOException {
        if (written > 0 && !(prev == '\n' && prevPrev == '\r')) {
            raw((byte) '\r');
            raw((byte) '\n');
        }
        for (byte c : new byte[] {'.', '\r', '\n'}) {
            raw(c);
        }
        flushBuffer();
        out.flush();
    }

    @Override
    public void flush() throws IOException {
        flushBuffer();
        out.flush();
    }

    @Override
    public void close() throws IOException {
        flush();
    }
}
