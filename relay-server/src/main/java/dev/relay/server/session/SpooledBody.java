package dev.relay.server.session;

import dev.relay.queue.MessageBody;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A received message as handed to the queue: our {@code Received:} header followed by the
 * content, which is either a small array on the heap or a spool file. {@link #delete()} removes
 * the spool file once the queue has its own copy.
 */
public final class SpooledBody implements MessageBody {
    private final byte[] header;
    private final byte[] memory;
    private final int memoryLength;
    private final Path file;
    private final long contentSize;

    SpooledBody(byte[] header, byte[] memory, int memoryLength, Path file, long contentSize) {
        this.header = header;
        this.memory = memory;
        this.memoryLength = memoryLength;
        this.file = file;
        this.contentSize = contentSize;
    }

    @Override
    public long size() {
        return header.length + contentSize;
    }

    /** Octets of content as received, without our header. */
    public long contentSize() {
        return contentSize;
    }

    /** The spool file, or null when the content is on the heap. */
    public Path file() {
        return file;
    }

    @Override
    public InputStream open() throws IOException {
        InputStream content = file == null
                ? new ByteArrayInputStream(memory, 0, memoryLength)
                : Files.newInputStream(file);
        return new SequenceInputStream(new ByteArrayInputStream(header), content);
    }

    /** Removes the spool file, if any. Blocking file I/O: not on an event loop. */
    public void delete() {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                org.slf4j.LoggerFactory.getLogger(SpooledBody.class).warn("cannot delete spool file {}: {}", file, e.toString());
            }
        }
    }
}
