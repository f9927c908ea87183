package dev.relay.queue;

import java.io.IOException;
import java.io.InputStream;

/**
 * The content of a message handed to {@link MessageQueue#enqueue}: the bytes exactly as received
 * after dot-unstuffing, with the receiver's {@code Received:} header on top, CRLF line ends. The
 * queue reads it once, as a stream, on its own thread; a body may be larger than the heap.
 */
public interface MessageBody {

    /** The number of bytes {@link #open()} yields. */
    long size();

    /** A new stream over the bytes; the caller closes it. */
    InputStream open() throws IOException;

    /** A body held in memory (a generated bounce, a test message); the array is not copied. */
    static MessageBody of(byte[] bytes) {
        return new MessageBody() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public InputStream open() {
                return new java.io.ByteArrayInputStream(bytes);
            }
        };
    }
}
