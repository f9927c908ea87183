package dev.relay.queue.jdbc;

import dev.relay.queue.Envelope;
import dev.relay.queue.MessageBody;
import dev.relay.queue.QueueException;
import dev.relay.queue.QueueException.Kind;
import dev.relay.queue.QueueId;
import dev.relay.queue.Recipient;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of new messages: group commit.
 *
 * <p>Design: {@link #submit} only puts the work in a bounded hand-off queue (it never blocks, so a
 * Netty event loop may call it). One thread takes everything pending, up to a group limit, and
 * inserts each message (envelope, recipients, body streamed into a BLOB) in one transaction, each
 * behind a savepoint so that a message whose body cannot be read fails alone. Then it commits and
 * runs {@code CHECKPOINT SYNC}, which makes H2 write its pending pages and fsync the file; only after
 * that sync returns are the futures of the group completed. One sync thus covers a whole group: under
 * load the group grows to what arrived during the previous sync, so throughput is not bounded by
 * the syncs the disk can do per second.
 *
 * <p>Hazard: between commit and sync the rows are visible to other connections. The writer holds the
 * write side of {@code claimGate} across commit and sync, and claims take its read side, so nothing is
 * claimed before it is durable. If the sync fails, the writer deletes the group's messages again and
 * fails their futures: the client gets a 451 and nothing of those messages is delivered.
 */
final class GroupCommitWriter {
    private static final Logger LOG = LoggerFactory.getLogger("dev.relay.queue");
    private static final String INSERT_MESSAGE = "INSERT INTO message (queue_id, reverse_path, mail_params,"
            + " client_address, helo_name, auth_user, protocol, arrival, size_bytes, body)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_RECIPIENT = "INSERT INTO recipient (queue_id, seq, forward_path, orcpt,"
            + " notify, state, attempts, next_attempt, delay_notice_sent) VALUES (?, ?, ?, ?, ?, 'QUEUED', 0, ?, FALSE)";

    /** One enqueue waiting for the writer. */
    private record Pending(QueueId id, Envelope envelope, MessageBody body, CompletableFuture<Void> future) {
    }

    private final DataSource dataSource;
    /** A failure as the queue reports it (and the queue's recovery when H2 closed the database). */
    private final java.util.function.BiFunction<String, Exception, QueueException> faults;
    private final Clock clock;
    private final java.nio.file.Path file;
    private final Lock claimGate;
    private final int maxGroupSize;
    private final String syncStatement;
    private final BlockingQueue<Pending> pending;
    private final Object submitLock = new Object();
    private final Thread thread;
    private final AtomicLong groups = new AtomicLong();
    private final AtomicLong messages = new AtomicLong();
    private boolean closed;
    private Connection connection;

    GroupCommitWriter(DataSource dataSource, Clock clock, java.nio.file.Path file, Lock claimGate,
                      int maxGroupSize, int maxPending, String syncStatement,
                      java.util.function.BiFunction<String, Exception, QueueException> faults) {
        this.faults = faults;
        this.dataSource = dataSource;
        this.clock = clock;
        this.file = file;
        this.claimGate = claimGate;
        this.maxGroupSize = maxGroupSize;
        this.syncStatement = syncStatement;
        this.pending = new ArrayBlockingQueue<>(maxPending);
        this.thread = new Thread(this::run, "queue-writer");
        this.thread.setDaemon(false);
    }

    void start() {
        thread.start();
    }

    CompletableFuture<Void> submit(QueueId id, Envelope envelope, MessageBody body) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        synchronized (submitLock) {
            if (closed) {
                future.completeExceptionally(new QueueException(Kind.CLOSED, id + ": the queue is closing", null));
            } else if (!pending.offer(new Pending(id, envelope, body, future))) {
                future.completeExceptionally(new QueueException(Kind.IO, id + ": the queue writer is behind ("
                        + pending.size() + " messages waiting to be stored); try again later", null));
            }
        }
        return future;
    }

    /** Groups committed and synced so far. */
    long groups() {
        return groups.get();
    }

    /** Messages stored so far. */
    long messages() {
        return messages.get();
    }

    /** Stops taking enqueues, stores everything already submitted, then returns. */
    void close() {
        synchronized (submitLock) {
            closed = true;
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        List<Pending> group = new ArrayList<>(maxGroupSize);
        while (true) {
            Pending first;
            try {
                first = pending.poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = null;
            }
            if (first == null) {
                synchronized (submitLock) {
                    if (closed && pending.isEmpty()) {
                        break;
                    }
                }
                continue;
            }
            group.add(first);
            pending.drainTo(group, maxGroupSize - 1);
            try {
                write(group);
            } catch (RuntimeException | Error e) {
                LOG.error("queue writer: unexpected failure", e);
                failAll(group, faults.apply("storing messages", e instanceof Exception x ? x
                        : new IllegalStateException(e)));
            }
            group.clear();
        }
        closeConnection();
    }

    private void write(List<Pending> group) {
        Connection c;
        try {
            c = connection();
        } catch (SQLException e) {
            failAll(group, faults.apply("storing messages", e));
            return;
        }
        List<Pending> written = new ArrayList<>(group.size());
        try (PreparedStatement message = c.prepareStatement(INSERT_MESSAGE);
             PreparedStatement recipient = c.prepareStatement(INSERT_RECIPIENT)) {
            for (Pending p : group) {
                Savepoint savepoint = c.setSavepoint();
                try {
                    insert(message, recipient, p);
                    c.releaseSavepoint(savepoint);
                    written.add(p);
                } catch (SQLException | IOException | RuntimeException e) {
                    c.rollback(savepoint);
                    QueueException q = faults.apply(p.id + ": storing the message", e);
                    LOG.warn("{}: not stored: {}", p.id, q.getMessage());
                    p.future.completeExceptionally(q);
                }
            }
        } catch (SQLException e) {
            // The connection itself failed (e.g. the database was closed after a write error).
            rollbackQuietly(c);
            closeConnection();
            group.removeIf(p -> p.future.isDone());
            failAll(group, faults.apply("storing messages", e));
            return;
        }
        if (written.isEmpty()) {
            rollbackQuietly(c);
            return;
        }
        claimGate.lock();
        try {
            c.commit();
            try (Statement s = c.createStatement()) {
                s.execute(syncStatement);
            } catch (SQLException e) {
                QueueException q = faults.apply("syncing " + written.size() + " messages", e);
                LOG.error("queue writer: {}", q.getMessage());
                undo(c, written);
                failAll(written, q);
                return;
            }
        } catch (SQLException e) {
            rollbackQuietly(c);
            closeConnection();
            failAll(written, faults.apply("committing " + written.size() + " messages", e));
            return;
        } finally {
            claimGate.unlock();
        }
        groups.incrementAndGet();
        messages.addAndGet(written.size());
        for (Pending p : written) {
            // Postfix's qmgr line: the message is now in the active queue.
            LOG.info("{}: from={}, size={}, nrcpt={} (queue active)", p.id, p.envelope.reversePath(),
                    p.body.size(), p.envelope.recipients().size());
            p.future.complete(null);
        }
    }

    private void insert(PreparedStatement message, PreparedStatement recipient, Pending p)
            throws SQLException, IOException {
        Envelope e = p.envelope;
        long now = clock.millis();
        long size = p.body.size();
        message.setString(1, p.id.value());
        message.setString(2, e.reversePath().toString());
        message.setString(3, Rows.mailParamsText(e.parameters()));
        message.setString(4, e.origin() == null ? null : e.origin().clientAddress());
        message.setString(5, e.origin() == null ? null : e.origin().heloName());
        message.setString(6, e.origin() == null ? null : e.origin().authUser());
        message.setString(7, e.origin() == null ? null : e.origin().protocol());
        message.setLong(8, e.origin() == null || e.origin().arrival() == null ? now : e.origin().arrival().toEpochMilli());
        message.setLong(9, size);
        try (CountingStream in = new CountingStream(p.body.open())) {
            message.setBinaryStream(10, in, size);
            message.executeUpdate();
            if (in.count != size || in.read() != -1) {
                throw new IOException("the body yielded " + (in.count + (in.eof ? 0 : 1))
                        + (in.eof ? "" : " or more") + " bytes, but its size is " + size);
            }
        }
        int seq = 0;
        for (Recipient r : e.recipients()) {
            recipient.setString(1, p.id.value());
            recipient.setInt(2, seq++);
            recipient.setString(3, r.forwardPath().toString());
            recipient.setString(4, r.parameters() == null ? null : r.parameters().orcpt());
            recipient.setString(5, r.parameters() == null ? null : Rows.notifyText(r.parameters().notifyOn()));
            recipient.setLong(6, now);
            recipient.addBatch();
        }
        recipient.executeBatch();
    }

    /** After a failed sync: the rows are committed (maybe not on disk); take them back. */
    private void undo(Connection c, List<Pending> written) {
        try (PreparedStatement d = c.prepareStatement(H2MessageQueue.DELETE_MESSAGE)) {
            for (Pending p : written) {
                d.setString(1, p.id.value());
                d.addBatch();
            }
            d.executeBatch();
            c.commit();
        } catch (SQLException e) {
            LOG.error("queue writer: could not remove {} messages whose sync failed; they may be delivered"
                    + " although their clients were told to retry: {}", written.size(), e.getMessage());
            rollbackQuietly(c);
            closeConnection();
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            Connection c = dataSource.getConnection();
            c.setAutoCommit(false);
            connection = c;
        }
        return connection;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("queue writer: closing the connection: {}", e.getMessage());
            }
            connection = null;
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            LOG.debug("queue writer: rollback: {}", e.getMessage());
        }
    }

    private static void failAll(List<Pending> group, QueueException e) {
        for (Pending p : group) {
            p.future.completeExceptionally(e);
        }
    }

    /** Counts the bytes H2 takes from the body, so a body shorter or longer than its size is refused. */
    private static final class CountingStream extends FilterInputStream {
        long count;
        boolean eof;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b < 0) {
                eof = true;
            } else {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n < 0) {
                eof = true;
            } else {
                count += n;
            }
            return n;
        }
    }
}
