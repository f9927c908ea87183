package dev.relay.server.session;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Collects the content of one message while it arrives, without holding a large message on the
 * heap.
 *
 * <p><b>Design.</b> Content up to {@code threshold} octets is copied into an array on the event
 * loop. Past that, the content spills into a file in the spool directory: the file is created and
 * written only by tasks on the spool executor, chained one after another so that the order of
 * writes is the order of arrival. The event loop only copies each chunk out of its {@link ByteBuf}
 * (releasing it at once) and queues the copy. Backpressure: when more than {@link #HIGH_WATER}
 * octets wait to be written, {@code pressure} is told {@code true} (the session stops reading the
 * socket), and {@code false} again once the backlog is under {@link #LOW_WATER}; the callback runs
 * on the spool thread and must hop to the event loop itself.
 */
public final class BodySpool {
    /** Backlog at which reading stops. */
    public static final long HIGH_WATER = 1024 * 1024;
    /** Backlog at which reading resumes. */
    public static final long LOW_WATER = 256 * 1024;

    /** Told when the backlog crosses the water marks. */
    public interface Pressure {
        void changed(boolean overloaded);
    }

    private final Path directory;
    private final int threshold;
    private final Executor executor;
    private final Pressure pressure;
    private final AtomicLong backlog = new AtomicLong();

    private byte[] memory = new byte[1024];
    private int memoryLength;
    private long size;
    private boolean spilled;
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

    // touched only by the spool tasks, which run one at a time in order
    private FileChannel channel;
    private Path file;
    private volatile IOException failure;
    private volatile boolean discarded;
    private boolean overloaded; // guarded by this

    public BodySpool(Path directory, int threshold, Executor executor, Pressure pressure) {
        this.directory = directory;
        this.threshold = threshold;
        this.executor = executor;
        this.pressure = pressure;
    }

    /** Appends content; called on the event loop. Does not release {@code content}. */
    public void append(ByteBuf content) {
        int n = content.readableBytes();
        if (n == 0) {
            return;
        }
        size += n;
        if (!spilled && memoryLength + n <= threshold) {
            if (memoryLength + n > memory.length) {
                memory = Arrays.copyOf(memory, Math.min(threshold, Math.max(memoryLength + n, memory.length * 2)));
            }
            content.getBytes(content.readerIndex(), memory, memoryLength, n);
            memoryLength += n;
            return;
        }
        byte[] copy = new byte[n];
        content.getBytes(content.readerIndex(), copy);
        if (!spilled) {
            spilled = true;
            byte[] head = memory;
            int headLength = memoryLength;
            memory = null;
            memoryLength = 0;
            submit(headLength, () -> {
                Files.createDirectories(directory);
                file = Files.createTempFile(directory, "incoming-", ".msg");
                channel = FileChannel.open(file, StandardOpenOption.WRITE);
                write(ByteBuffer.wrap(head, 0, headLength));
            });
        }
        submit(n, () -> write(ByteBuffer.wrap(copy)));
    }

    /** Octets appended so far. */
    public long size() {
        return size;
    }

    /** True once the content went to a file. */
    public boolean spilled() {
        return spilled;
    }

    /**
     * Completes with the body (header first) once every write is done; fails with the first
     * write error. A body that never spilled completes at once, on the calling thread.
     */
    public CompletableFuture<SpooledBody> finish(byte[] header) {
        if (!spilled) {
            return CompletableFuture.completedFuture(new SpooledBody(header, memory, memoryLength, null, size));
        }
        long total = size;
        return tail.thenApplyAsync(v -> {
            try {
                if (failure != null) {
                    throw failure;
                }
                channel.close();
                return new SpooledBody(header, null, 0, file, total);
            } catch (IOException e) {
                closeAndDelete();
                throw new java.io.UncheckedIOException("spool file " + file + ": " + e.getMessage(), e);
            }
        }, executor);
    }

    /** Drops the content: the spool file is closed and removed by the spool executor. */
    public void discard() {
        memory = null;
        if (spilled) {
            discarded = true;
            tail = tail.thenRunAsync(this::closeAndDelete, executor);
        }
    }

    private interface IoTask {
        void run() throws IOException;
    }

    private void submit(int n, IoTask task) {
        if (backlog.addAndGet(n) > HIGH_WATER) {
            overload();
        }
        tail = tail.thenRunAsync(() -> {
            try {
                if (failure == null && !discarded) {
                    task.run();
                }
            } catch (IOException e) {
                failure = e;
            } finally {
                long left = backlog.addAndGet(-n);
                if (left < LOW_WATER) {
                    relieve();
                }
            }
        }, executor);
    }

    private synchronized void overload() {
        if (!overloaded) {
            overloaded = true;
            pressure.changed(true);
        }
    }

    private synchronized void relieve() {
        if (overloaded) {
            overloaded = false;
            pressure.changed(false);
        }
    }

    private void write(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    private void closeAndDelete() {
        try {
            if (channel != null) {
                channel.close();
            }
            if (file != null) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(BodySpool.class).warn("cannot remove spool file {}: {}", file, e.toString());
        }
    }
}
