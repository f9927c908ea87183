package dev.relay.dist.ops;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The relay's log appender: log lines go to standard output, written by one thread of their own
 * ({@code log-writer}) in batches: the lines of a few milliseconds ({@code lingerMillis}), and
 * everything logged while the previous write was under way, go out in one {@code write(2)}.
 *
 * <p>Why not logback's {@code ConsoleAppender}: it writes each line with its own system call on
 * the thread that logs, so an SMTP event loop wrote to a pipe or the journal about four times per
 * message, and would stop serving every connection it owns whenever that pipe was full (issue 3:
 * nothing blocks an event loop). Here the logging thread only formats the event and queues it.
 *
 * <p>Nothing is dropped: when {@code queueSize} lines wait (the output is stuck), a logging thread
 * waits for room, which is what {@code ConsoleAppender} did on every line. What a crash of the JVM
 * can lose is the lines queued at that instant (those of the last few milliseconds; Postfix's
 * lines in the syslog socket buffer are in the same position); {@link #stop()}, which the relay
 * calls as it exits, writes every queued line first.
 */
public final class StdoutAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    /** Put in the queue by {@link #stop()}: the writer writes what came before it and ends. */
    private static final ILoggingEvent END = new LoggingEvent();
    private static final int MAX_BATCH = 1024;
    private static final long STOP_WAIT_MS = 5_000;

    private Encoder<ILoggingEvent> encoder;
    private int queueSize = 8192;
    private int lingerMillis = 5;
    private OutputStream out;
    private BlockingQueue<ILoggingEvent> queue;
    private Thread writer;
    private boolean failing;

    public void setEncoder(Encoder<ILoggingEvent> encoder) {
        this.encoder = encoder;
    }

    /** How many lines may wait for the writer before a logging thread waits (default 8192). */
    public void setQueueSize(int queueSize) {
        this.queueSize = queueSize;
    }

    /**
     * How long the writer waits after the first line of a batch for more lines to join it
     * (default 5 ms; 0 writes as soon as a line comes).
     */
    public void setLingerMillis(int lingerMillis) {
        this.lingerMillis = lingerMillis;
    }

    /** Where the lines go instead of standard output (tests). */
    void setOutputStream(OutputStream out) {
        this.out = out;
    }

    @Override
    public void start() {
        if (encoder == null) {
            addError("appender " + name + ": no <encoder>");
            return;
        }
        if (lingerMillis < 0 || lingerMillis > 1000) {
            addError("appender " + name + ": lingerMillis must be 0 to 1000, not " + lingerMillis);
            return;
        }
        if (queueSize < 1) {
            addError("appender " + name + ": queueSize must be at least 1, not " + queueSize);
            return;
        }
        if (out == null) {
            out = new FileOutputStream(FileDescriptor.out);
        }
        queue = new ArrayBlockingQueue<>(queueSize);
        byte[] header = encoder.headerBytes();
        if (header != null && header.length > 0) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            bytes.writeBytes(header);
            write(bytes);
        }
        writer = new Thread(this::writeUntilEnd, "log-writer");
        writer.setDaemon(true); // the relay stops the appender as it exits; a crash must not hang on it
        writer.start();
        super.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing(); // message, thread name and MDC as they are now
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (queue.offer(event, 100, TimeUnit.MILLISECONDS) || !writer.isAlive()) {
                        return; // a writer that ended (stop raced this line) takes nothing more
                    }
                } catch (InterruptedException e) {
                    interrupted = true; // keep the line; the caller sees its interrupt afterwards
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop(); // logback no longer calls append
        try {
            if (queue.offer(END, STOP_WAIT_MS, TimeUnit.MILLISECONDS)) {
                writer.join(STOP_WAIT_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            addWarn("appender " + name + ": standard output took no log lines for " + STOP_WAIT_MS + " ms; "
                    + queue.size() + " lines not written");
            return;
        }
        List<ILoggingEvent> rest = new ArrayList<>();
        queue.drainTo(rest); // lines an append that raced stop() put after END
        writeBatch(rest, new ByteArrayOutputStream());
    }

    private void writeUntilEnd() {
        List<ILoggingEvent> batch = new ArrayList<>();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 * 1024);
        boolean end = false;
        while (!end) {
            try {
                batch.add(queue.take());
                if (lingerMillis > 0) {
                    // Let the lines of the next few milliseconds join this write: waking this
                    // thread for each line cost the relay more than the write it saved.
                    Thread.sleep(lingerMillis);
                }
            } catch (InterruptedException e) {
                if (batch.isEmpty()) {
                    continue; // only END ends the writer, so that no queued line is left behind
                }
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            end = batch.remove(END);
            writeBatch(batch, bytes);
            batch.clear();
        }
    }

    private void writeBatch(List<ILoggingEvent> batch, ByteArrayOutputStream bytes) {
        if (batch.isEmpty()) {
            return;
        }
        bytes.reset();
        for (ILoggingEvent e : batch) {
            if (e != END) {
                try {
                    bytes.writeBytes(encoder.encode(e));
                } catch (RuntimeException x) { // a converter that fails loses its line, not the writer
                    addError("appender " + name + ": cannot format a log line of " + e.getLoggerName(), x);
                }
            }
        }
        write(bytes);
    }

    private void write(ByteArrayOutputStream bytes) {
        try {
            bytes.writeTo(out); // one write(2) for the whole batch
            out.flush();
            failing = false;
        } catch (IOException e) {
            if (!failing) { // once per outage, not once per line
                addError("appender " + name + ": cannot write the log", e);
            }
            failing = true;
        }
    }
}
