package dev.relay.queue.jdbc;

import dev.relay.queue.Envelope;
import dev.relay.queue.MessageBody;
import dev.relay.queue.QueueException;
import dev.relay.queue.QueueException.Kind;
import dev.relay.queue.QueueId;
import dev.relay.queue.Origin;
import dev.relay.queue.Recipient;
import dev.relay.queue.RecipientState;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
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
 * appends each message (envelope, recipients, body) to the queue's {@link Journal}, then forces the
 * journal once: from here on the group survives a kill and a power cut. Then it inserts the
 * messages' rows into the database in one transaction, each behind a savepoint so that one that
 * fails fails alone, and commits (no sync: the database is rebuilt from the journal after a crash).
 * Only then are the futures of the group completed and their 250s sent. One force thus covers a
 * whole group: under load the group grows to what arrived during the previous force, so
 * throughput is not bounded by the syncs the disk can do per second.
 *
 * <p>A message that is in the journal but whose rows could not be stored is withdrawn there (a
 * control record says it is finished), and its client gets a 451: it is neither acknowledged nor
 * delivered after a crash.
 */
final class GroupCommitWriter {
    private static final Logger LOG = LoggerFactory.getLogger("dev.relay.queue");
    static final String INSERT_MESSAGE = "INSERT INTO message (queue_id, reverse_path, mail_params,"
            + " client_address, helo_name, auth_user, protocol, arrival, size_bytes, spool_segment, spool_offset)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    static final String INSERT_RECIPIENT = "INSERT INTO recipient (queue_id, seq, forward_path, orcpt,"
            + " notify, state, attempts, next_attempt, admin_bounce_reason, delay_notice_sent)"
            + " VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, FALSE)";

    /** One enqueue waiting for the writer. */
    private record Pending(QueueId id, Envelope envelope, MessageBody body, CompletableFuture<Void> future) {
    }

    private final DataSource dataSource;
    /** A failure as the queue reports it (and the queue's recovery when H2 closed the database). */
    private final java.util.function.BiFunction<String, Exception, QueueException> faults;
    private final Clock clock;
    private final Journal journal;
    /** Run after each group on this thread: the journal's upkeep (a new segment, compaction, deletes). */
    private final Runnable afterGroup;
    /** Run before each group when the database may lack journaled messages (after H2 closed it), or null. */
    private final Runnable reconcile;
    private final Lock claimGate;
    private final int maxGroupSize;
    private final BlockingQueue<Pending> pending;
    private final Object submitLock = new Object();
    private final Thread thread;
    private final AtomicLong groups = new AtomicLong();
    private final AtomicLong messages = new AtomicLong();
    private boolean closed;
    private Connection connection;

    GroupCommitWriter(DataSource dataSource, Clock clock, Journal journal, Runnable afterGroup,
                      Runnable reconcile, Lock claimGate, int maxGroupSize, int maxPending,
                      java.util.function.BiFunction<String, Exception, QueueException> faults) {
        this.faults = faults;
        this.dataSource = dataSource;
        this.clock = clock;
        this.journal = journal;
        this.afterGroup = afterGroup;
        this.reconcile = reconcile;
        this.claimGate = claimGate;
        this.maxGroupSize = maxGroupSize;
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
                if (reconcile != null) {
                    reconcile.run(); // idle: a good moment, and the queue may be waiting for it
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
        if (reconcile != null) {
            reconcile.run();
        }
        // 1. The journal: every message of the group appended, then one force. After it, the
        //    messages survive a crash whatever becomes of the database (see Journal).
        List<Stored> journaled = new ArrayList<>(group.size());
        long now = clock.millis();
        for (Pending p : group) {
            Journal.StoredMessage m = stored(p, now);
            try {
                journaled.add(new Stored(p, m, journal.append(m, p.body)));
            } catch (IOException | RuntimeException e) {
                QueueException q = faults.apply(p.id + ": storing the message in " + journal.folder(), e);
                LOG.warn("{}: not stored: {}", p.id, q.getMessage());
                p.future.completeExceptionally(q);
            }
        }
        if (journaled.isEmpty()) {
            return;
        }
        try {
            journal.forceMessages();
        } catch (IOException e) {
            QueueException q = faults.apply("syncing " + journaled.size() + " messages to " + journal.folder(), e);
            LOG.error("queue writer: {}", q.getMessage());
            withdraw(journaled);
            failStored(journaled, q);
            return;
        }
        // 2. The database: the rows that make them claimable.
        Connection c;
        try {
            c = connection();
        } catch (SQLException e) {
            withdraw(journaled);
            failStored(journaled, faults.apply("storing messages", e));
            return;
        }
        List<Stored> written = new ArrayList<>(journaled.size());
        try (PreparedStatement message = c.prepareStatement(INSERT_MESSAGE);
             PreparedStatement recipient = c.prepareStatement(INSERT_RECIPIENT)) {
            for (Stored st : journaled) {
                Savepoint savepoint = c.setSavepoint();
                try {
                    insert(message, recipient, st.message, st.location, null, now);
                    c.releaseSavepoint(savepoint);
                    written.add(st);
                } catch (SQLException | RuntimeException e) {
                    c.rollback(savepoint);
                    QueueException q = faults.apply(st.pending.id + ": storing the message", e);
                    LOG.warn("{}: not stored: {}", st.pending.id, q.getMessage());
                    withdraw(List.of(st));
                    st.pending.future.completeExceptionally(q);
                }
            }
        } catch (SQLException e) {
            // The connection itself failed (e.g. the database was closed after a write error).
            rollbackQuietly(c);
            closeConnection();
            List<Stored> open = journaled.stream().filter(st -> !st.pending.future.isDone()).toList();
            withdraw(open);
            failStored(open, faults.apply("storing messages", e));
            return;
        }
        if (written.isEmpty()) {
            rollbackQuietly(c);
            return;
        }
        claimGate.lock();
        try {
            c.commit();
        } catch (SQLException e) {
            rollbackQuietly(c);
            closeConnection();
            withdraw(written);
            failStored(written, faults.apply("committing " + written.size() + " messages", e));
            return;
        } finally {
            claimGate.unlock();
        }
        groups.incrementAndGet();
        messages.addAndGet(written.size());
        for (Stored st : written) {
            Pending p = st.pending;
            // Postfix's qmgr line: the message is now in the active queue.
            LOG.info("{}: from={}, size={}, nrcpt={} (queue active)", p.id, p.envelope.reversePath(),
                    p.body.size(), p.envelope.recipients().size());
            p.future.complete(null);
        }
        try {
            afterGroup.run();
        } catch (RuntimeException e) {
            LOG.warn("queue writer: the journal's upkeep failed: {}", e.toString());
        }
    }

    /** A message in the journal, with where its body is. */
    private record Stored(Pending pending, Journal.StoredMessage message, Journal.Location location) {
    }

    /**
     * Marks journaled messages that the client will be told to send again as finished, so that they
     * are not delivered after a crash as well. If even that fails they may be (a duplicate, logged).
     */
    private void withdraw(List<Stored> stored) {
        for (Stored st : stored) {
            try {
                journal.control(st.location.segment(), st.message.queueId(), Journal.FINISHED, null, true);
            } catch (IOException | RuntimeException e) {
                LOG.error("{}: the client is told to send it again, but it stays in the queue journal ({}); after a"
                        + " crash it may be delivered as well", st.pending.id, e.toString());
            }
        }
    }

    /** The envelope as the database and the journal store it. */
    private static Journal.StoredMessage stored(Pending p, long now) {
        Envelope e = p.envelope;
        List<Journal.StoredRecipient> rcpts = new ArrayList<>(e.recipients().size());
        for (Recipient r : e.recipients()) {
            rcpts.add(new Journal.StoredRecipient(r.forwardPath().toString(),
                    r.parameters() == null ? null : r.parameters().orcpt(),
                    r.parameters() == null ? null : Rows.notifyText(r.parameters().notifyOn())));
        }
        Origin o = e.origin();
        return new Journal.StoredMessage(p.id.value(), e.reversePath().toString(), Rows.mailParamsText(e.parameters()),
                o == null ? null : o.clientAddress(), o == null ? null : o.heloName(),
                o == null ? null : o.authUser(), o == null ? null : o.protocol(),
                o == null || o.arrival() == null ? now : o.arrival().toEpochMilli(), p.body.size(), rcpts);
    }

    /**
     * Inserts a message's rows (its body stays in the journal at {@code at}). {@code control} is
     * what the journal says about it after a crash (final, held and bounced recipients), or null
     * for a new message.
     */
    static void insert(PreparedStatement message, PreparedStatement recipient, Journal.StoredMessage m,
                       Journal.Location at, Journal.Control control, long now) throws SQLException {
        message.setString(1, m.queueId());
        message.setString(2, m.reversePath());
        message.setString(3, m.mailParams());
        message.setString(4, m.clientAddress());
        message.setString(5, m.heloName());
        message.setString(6, m.authUser());
        message.setString(7, m.protocol());
        message.setLong(8, m.arrival());
        message.setLong(9, m.size());
        message.setLong(10, at.segment());
        message.setLong(11, at.bodyOffset());
        message.executeUpdate();
        int seq = 0;
        for (Journal.StoredRecipient r : m.recipients()) {
            RecipientState state = control == null ? null : control.finals.get(seq);
            if (state == null) {
                state = control != null && control.held ? RecipientState.HELD : RecipientState.QUEUED;
            }
            recipient.setString(1, m.queueId());
            recipient.setInt(2, seq++);
            recipient.setString(3, r.forwardPath());
            recipient.setString(4, r.orcpt());
            recipient.setString(5, r.notifyOn());
            recipient.setString(6, state.name());
            Rows.setLong(recipient, 7, state == RecipientState.QUEUED ? now : null);
            recipient.setString(8, state == RecipientState.QUEUED && control != null ? control.bounceReason : null);
            recipient.addBatch();
        }
        recipient.executeBatch();
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

    private static void failStored(Collection<Stored> stored, QueueException e) {
        for (Stored st : stored) {
            st.pending.future.completeExceptionally(e);
        }
    }

    private static void failAll(List<Pending> group, QueueException e) {
        for (Pending p : group) {
            p.future.completeExceptionally(e);
        }
    }
}
