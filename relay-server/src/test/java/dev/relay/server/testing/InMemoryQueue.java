package dev.relay.server.testing;

import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.Envelope;
import dev.relay.queue.MessageBody;
import dev.relay.queue.MessageQueue;
import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.QueueException;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientOutcome;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link MessageQueue} test double for the receiver: enqueue reads the body (on its own thread
 * in {@link Mode#ASYNC} mode) and keeps envelope and bytes; it can be told to fail or to hold
 * futures until the test releases them. Only enqueue is implemented.
 */
public final class InMemoryQueue implements MessageQueue {

    /** How enqueue completes. */
    public enum Mode {
        /** On a queue thread, like the real queue. */
        ASYNC,
        /** On the calling thread, at once (for EmbeddedChannel tests). */
        IMMEDIATE,
        /** Only when the test calls {@link #releaseHeld()}. */
        HOLD
    }

    /** What reached the queue. */
    public record Stored(QueueId id, Envelope envelope, byte[] body) {
        public String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }

        /** The body without our Received header (the first field, with its folded lines). */
        public byte[] bodyWithoutReceived() {
            String s = bodyText();
            if (!s.startsWith("Received: ")) {
                throw new AssertionError("no Received header on top: " + s.substring(0, Math.min(80, s.length())));
            }
            int i = 0;
            while (true) {
                int eol = s.indexOf("\r\n", i);
                i = eol + 2;
                if (i >= s.length() || (s.charAt(i) != '\t' && s.charAt(i) != ' ')) {
                    break;
                }
            }
            return java.util.Arrays.copyOfRange(body, i, body.length);
        }

        public String receivedHeader() {
            return bodyText().substring(0, bodyText().length() - bodyWithoutReceived().length);
        }
    }

    private final List<Stored> stored = new CopyOnWriteArrayList<>();
    private final List<Runnable> held = new ArrayList<>();
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "test-queue");
        t.setDaemon(true);
        return t;
    });
    private volatile Mode mode;
    private volatile QueueException.Kind failWith;
    private final AtomicInteger bodyReadsOnEventLoop = new AtomicInteger();
    private final AtomicInteger enqueues = new AtomicInteger();

    public InMemoryQueue(Mode mode) {
        this.mode = mode;
    }

    /** Every later enqueue fails with a QueueException of this kind (null: succeed again). */
    public void failWith(QueueException.Kind kind) {
        this.failWith = kind;
    }

    public void mode(Mode m) {
        this.mode = m;
    }

    public List<Stored> stored() {
        return List.copyOf(stored);
    }

    public Stored only() {
        if (stored.size() != 1) {
            throw new AssertionError("expected one stored message, got " + stored.size());
        }
        return stored.get(0);
    }

    /** Enqueue calls so far, failed ones included. */
    public int enqueues() {
        return enqueues.get();
    }

    /** Times a body was read on a Netty event loop thread (must stay 0 with real sockets). */
    public int bodyReadsOnEventLoop() {
        return bodyReadsOnEventLoop.get();
    }

    /** Completes the futures held in {@link Mode#HOLD} mode. */
    public void releaseHeld() {
        List<Runnable> l;
        synchronized (held) {
            l = new ArrayList<>(held);
            held.clear();
        }
        l.forEach(Runnable::run);
    }

    public int heldCount() {
        synchronized (held) {
            return held.size();
        }
    }

    @Override
    public CompletableFuture<Void> enqueue(QueueId id, Envelope envelope, MessageBody body) {
        enqueues.incrementAndGet();
        CompletableFuture<Void> f = new CompletableFuture<>();
        QueueException.Kind fail = failWith;
        Runnable work = () -> {
            if (fail != null) {
                f.completeExceptionally(new QueueException(fail, "test queue told to fail (" + fail + ")", null));
                return;
            }
            try {
                if (Thread.currentThread() instanceof FastThreadLocalThread t && t.getName().startsWith("smtp-io")) {
                    bodyReadsOnEventLoop.incrementAndGet();
                }
                byte[] bytes;
                try (InputStream in = body.open()) {
                    bytes = in.readAllBytes();
                }
                if (bytes.length != body.size()) {
                    throw new AssertionError("body size " + body.size() + " but " + bytes.length + " bytes read");
                }
                stored.add(new Stored(id, envelope, bytes));
                f.complete(null);
            } catch (IOException e) {
                f.completeExceptionally(new UncheckedIOException(e));
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        };
        switch (mode) {
            case ASYNC -> executor.execute(work);
            case IMMEDIATE -> work.run();
            case HOLD -> {
                synchronized (held) {
                    held.add(work);
                }
            }
        }
        return f;
    }

    @Override
    public List<ClaimedMessage> claim(String owner, int maxRecipients, Duration lease) {
        throw new UnsupportedOperationException("receiver test double");
    }

    @Override
    public InputStream openBody(QueueId id) {
        throw new UnsupportedOperationException("receiver test double");
    }

    @Override
    public void complete(QueueId id, List<RecipientOutcome> outcomes) {
        throw new UnsupportedOperationException("receiver test double");
    }

    @Override
    public void release(QueueId id, Collection<Long> recipientIds) {
        throw new UnsupportedOperationException("receiver test double");
    }

    @Override
    public int releaseLeases(String owner) {
        throw new UnsupportedOperationException("receiver test double");
    }

    @Override
    public Optional<Instant> nextDue() {
        return Optional.empty();
    }

    @Override
    public QueueAdmin admin() {
        throw new UnsupportedOperationException("receiver test double");
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
