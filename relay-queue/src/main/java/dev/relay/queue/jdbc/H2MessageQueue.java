package dev.relay.queue.jdbc;

import dev.relay.mail.MailParameters;
import dev.relay.mail.Path;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.Envelope;
import dev.relay.queue.MessageBody;
import dev.relay.queue.MessageQueue;
import dev.relay.queue.Origin;
import dev.relay.queue.Outcome;
import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.QueueException;
import dev.relay.queue.QueueException.Kind;
import dev.relay.queue.QueueId;
import dev.relay.queue.QueueSettings;
import dev.relay.queue.Recipient;
import dev.relay.queue.RecipientOutcome;
import dev.relay.queue.RecipientState;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.security.SecureRandom;
import java.sql.Blob;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue in an embedded H2 database ({@code queue.mv.db} in the data folder), schema by Flyway.
 *
 * <p>Design. New messages go through the {@link GroupCommitWriter} (one thread, group commit: the
 * group appended to the {@link Journal} and synced once, then its rows inserted and committed).
 * Everything else runs on the caller's thread with a pooled connection, each operation one
 * transaction, except outcomes: concurrent {@link #complete} calls are recorded together, one
 * transaction for all those waiting (see there).
 *
 * <p>Claiming. {@code recipient.next_attempt} is the claim key: NULL for final and held recipients,
 * the next attempt time for queued and deferred ones, and the lease expiry while a recipient is
 * leased. A claim reads up to a batch of ids from the index {@code recipient_due}
 * ({@code next_attempt <= now}, in order, so it stops after the batch), then takes them with one
 * conditional UPDATE ({@code ... WHERE id = ANY(ids) AND next_attempt <= now}) that sets the lease and
 * moves {@code next_attempt} to the lease expiry; rows another claimer took in between no longer
 * match, and the update count says how many were won. When a claimer dies, its recipients become
 * due again when the lease expires, without any sweeper. Outcomes ({@link #complete}) clear the lease.
 *
 * <p>Durability. The journal is the record of what was acknowledged and what became of it (see
 * {@link Journal}); the database is its index and state, never synced on a message's way, and
 * trusted only after a clean stop (a marker in the journal says so). Any other start sets the
 * database aside and rebuilds it from the journal ({@link #importFromJournal}), because H2 does not
 * reliably reopen a store that a kill left behind (README, "Durability"). Outcomes and the
 * administrator's changes are written to the journal after their transaction commits; the
 * administrator's are synced before they are reported done, outcomes are not (a power cut may
 * repeat the last deliveries: at least once).
 *
 * <p>The queries in this package are portable: the whole test suite passes with
 * {@code -Drelay.queue.h2mode=PostgreSQL}, which runs every query under H2's PostgreSQL mode. Not
 * portable, on purpose: the sync statement (H2's own way to make commits durable) and the Flyway
 * DDL (BLOB), which a PostgreSQL deployment replaces with its own migrations.
 */
public final class H2MessageQueue implements MessageQueue {
    private static final Logger LOG = LoggerFactory.getLogger("dev.relay.queue");
    /** The database name: the file is {@code queue.mv.db}. */
    public static final String DATABASE_NAME = "queue";
    private static final String FILE_SUFFIX = ".mv.db";
    private static final String SYNC = "CHECKPOINT SYNC";
    private static final SecureRandom TOKENS = new SecureRandom();
    private static final long PURGE_INTERVAL_MILLIS = 60_000;
    private static final long REOPEN_INTERVAL_NANOS = 1_000_000_000L;
    private static final int MAX_CLAIM_ROUNDS = 4;
    /** Files smaller than this are not compacted at stop (see {@link #compactIfMostlyFree}; tests make it small). */
    static volatile long compactMinBytes = 32L << 20;
    /** Messages whose outcomes one transaction records at most. */
    private static final int MAX_OUTCOME_GROUP = 256;
    /**
     * Parsed statements H2 keeps per connection (its default, 8, is fewer than the statements a
     * pooled connection runs: claim, body, outcome, history, count, delete...; a miss parses the SQL
     * again, which was the largest single cost of recording an outcome).
     */
    static final int QUERY_CACHE_SIZE = 64;
    /**
     * Bodies up to this many bytes are kept in the message row itself, larger ones in H2's LOB
     * store (H2's default is 256). A small message then costs one row write and one row read
     * instead of LOB pages written, read and freed again by H2's LOB cleaner.
     */
    static final int MAX_LENGTH_INPLACE_LOB = 8192;

    static final String SELECT_DUE = "SELECT id FROM recipient WHERE next_attempt <= ?"
            + " ORDER BY next_attempt, id FETCH FIRST ? ROWS ONLY";
    private static final String SELECT_CLAIMED = "SELECT r.id, r.queue_id, r.forward_path, r.orcpt, r.notify,"
            + " r.attempts, r.first_attempt, r.last_next_hop, r.admin_bounce_reason, r.delay_notice_sent,"
            + " m.reverse_path, m.mail_params, m.client_address, m.helo_name, m.auth_user, m.protocol, m.arrival,"
            + " m.size_bytes FROM recipient r JOIN message m ON m.queue_id = r.queue_id"
            + " WHERE r.lease_token = ? AND r.id = ANY(?) ORDER BY m.arrival, r.queue_id, r.seq";
    // The id lists of the claim are one array parameter (= ANY(?), H2 and PostgreSQL alike), not
    // IN (?, ?, ...): one statement text whatever the count, so H2's per-session cache of parsed
    // statements (QUERY_CACHE_SIZE) keeps it instead of parsing a new text on every claim.
    private static final String LEASE = "UPDATE recipient SET lease_owner = ?, lease_until = ?,"
            + " lease_token = ?, next_attempt = ? WHERE id = ANY(?) AND next_attempt <= ?";
    private static final String LEASED_WITH = "SELECT id FROM recipient WHERE lease_token = ? AND id = ANY(?)";
    private static final String COMPLETE = "UPDATE recipient SET"
            + " state = CASE WHEN state = 'HELD' THEN ? ELSE ? END,"
            + " next_attempt = CASE WHEN state = 'HELD' THEN CAST(NULL AS BIGINT) ELSE ? END,"
            + " attempts = attempts + 1, first_attempt = COALESCE(first_attempt, ?),"
            + " lease_owner = NULL, lease_until = NULL, lease_token = NULL,"
            + " last_code = ?, last_status = ?, last_text = ?, last_next_hop = ?,"
            + " delay_notice_sent = (delay_notice_sent OR ?)"
            + " WHERE id = ? AND queue_id = ? AND state IN ('QUEUED', 'DEFERRED', 'HELD')";
    private static final String INSERT_ATTEMPT = "INSERT INTO attempt (recipient_id, queue_id, at_time, next_hop,"
            + " outcome, code, status, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    /** A message's recipients (row id, position, state) and its journal segment, read once per outcome. */
    private static final String RECIPIENTS_AND_SEGMENT = "SELECT r.id, r.seq, r.state, m.spool_segment"
            + " FROM recipient r JOIN message m ON m.queue_id = r.queue_id WHERE r.queue_id = ?";
    /** Removes a message; its recipients and attempts go with it (ON DELETE CASCADE). */
    static final String DELETE_MESSAGE = "DELETE FROM message WHERE queue_id = ?";
    private static final String COUNT_OPEN = "SELECT COUNT(*) FROM recipient WHERE queue_id = ?"
            + " AND state IN ('QUEUED', 'DEFERRED', 'HELD')";
    private static final String RELEASE_LEASE = "UPDATE recipient SET lease_owner = NULL, lease_until = NULL,"
            + " lease_token = NULL, next_attempt = CASE WHEN state = 'HELD' THEN CAST(NULL AS BIGINT) ELSE ? END"
            + " WHERE lease_owner IS NOT NULL";

    private final QueueSettings settings;
    private final Clock clock;
    private final java.nio.file.Path file;
    private final HikariDataSource pool;
    private final ReentrantReadWriteLock claimGate = new ReentrantReadWriteLock();
    private final ReentrantLock claimLock = new ReentrantLock(true);
    private final GroupCommitWriter writer;
    private final Journal journal;
    private final JdbcQueueAdmin admin;
    /**
     * Set once H2 closed the database under the running queue (a full disk): the file it opened
     * again may lack journaled messages and outcomes. The writer then copies what is missing back
     * from the journal before its next group ({@link #reconcile}), and the stop leaves no clean
     * marker, so the next start rebuilds the database from the journal.
     */
    private volatile boolean reopened;
    private volatile boolean reconcileNeeded;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong lastPurge = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong lastReopen = new AtomicLong(System.nanoTime() - REOPEN_INTERVAL_NANOS);
    private final AtomicLong reopens = new AtomicLong();
    final ReentrantLock outcomeLock = new ReentrantLock();
    /**
     * Held by the administrator's changes from reading a message's journal segment to noting the
     * change there, and by the journal's compaction while it moves messages between segments.
     */
    final ReentrantLock adminLock = new ReentrantLock();
    private final ConcurrentLinkedQueue<PendingOutcomes> outcomesWaiting = new ConcurrentLinkedQueue<>();
    private final AtomicLong outcomeTransactions = new AtomicLong();
    /**
     * Set while leases left by a failure may be in the file: at open until they were released and
     * synced, and after H2 closed the database (a full disk) until its file was opened again and
     * they were released. Claims clear it first; a stop skips the release while it is set (the next
     * open releases every lease anyway), instead of waiting for a database that cannot open.
     */
    private volatile boolean leftLeases = true;
    /** Tests only: runs before each message's outcomes are recorded, inside its savepoint. */
    volatile java.util.function.Consumer<QueueId> beforeOutcome;

    private H2MessageQueue(QueueSettings settings, Clock clock, java.nio.file.Path file, HikariDataSource pool,
                           Journal journal) {
        this.settings = settings;
        this.clock = clock;
        this.file = file;
        this.pool = pool;
        this.journal = journal;
        this.writer = new GroupCommitWriter(pool, clock, journal, this::maintainJournal, this::reconcileIfNeeded,
                claimGate.writeLock(), settings.maxGroupSize(), settings.maxPendingEnqueues(), this::fault);
        this.admin = new JdbcQueueAdmin(this);
    }

    /**
     * Opens (creating if needed) the queue in {@code settings.dataDirectory()}, migrates its schema with
     * Flyway, and gives back every lease (the H2 file lock makes this process its only user, so any
     * lease in it was left by a previous run).
     *
     * @throws QueueException naming the file and what to do when it is locked, corrupt, of another
     *                        H2 version, or its migration fails
     */
    public static H2MessageQueue open(QueueSettings settings, Clock clock) {
        return open(settings, clock, "file");
    }

    /** {@link #open(QueueSettings, Clock)} on one of H2's file systems by its scheme (tests: a disk that fills up). */
    static H2MessageQueue open(QueueSettings settings, Clock clock, String fileSystem) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(clock, "clock");
        java.nio.file.Path dir = settings.dataDirectory().toAbsolutePath().normalize();
        java.nio.file.Path file = dir.resolve(DATABASE_NAME + FILE_SUFFIX);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new QueueException(Kind.IO, "cannot create the queue folder " + dir + " (queue.directory): "
                    + e, e);
        }
        // What the database may be trusted with: see Journal. After a clean stop it is opened as it
        // is; after anything else it is rebuilt from the journal; a queue of a version before the
        // journal has its messages copied into a new journal first.
        Journal journal = null;
        Start start;
        try {
            if (Journal.exists(dir)) {
                journal = Journal.open(dir, Journal.FOLDER, fileSystem);
                start = journal.takeCleanMarker() && Files.exists(file) ? Start.TRUSTED : Start.REBUILD;
            } else if (Files.exists(file)) {
                start = Start.ADOPT;
            } else {
                journal = Journal.open(dir, Journal.FOLDER, fileSystem);
                start = Start.FRESH;
            }
            if (start == Start.REBUILD) {
                setAside(file);
            }
        } catch (IOException e) {
            closeJournal(journal);
            if (e instanceof Journal.InUseException) {
                throw new QueueException(Kind.LOCKED, "the queue database " + file + " is locked by another"
                        + " process (is another relay running on this data folder?): stop that process, or give"
                        + " this one another queue.directory (" + e.getMessage() + ")", e);
            }
            throw new QueueException(Kind.IO, "cannot open the queue journal in " + dir + ": " + e.getMessage(), e);
        }
        HikariDataSource pool;
        try {
            try {
                pool = openDatabase(settings, dir, file, fileSystem);
            } catch (QueueException e) {
                if (start != Start.TRUSTED || e.kind() != Kind.CORRUPT) {
                    throw e;
                }
                // Closed cleanly, and damaged since (the disk?): the journal has every message.
                LOG.error("queue: {}; it is rebuilt from the journal", e.getMessage());
                setAside(file);
                start = Start.REBUILD;
                pool = openDatabase(settings, dir, file, fileSystem);
            }
        } catch (IOException | RuntimeException e) {
            closeJournal(journal);
            throw e instanceof QueueException q ? q : new QueueException(Kind.IO, "setting " + file + " aside: "
                    + e.getMessage(), e);
        }
        try {
            if (start == Start.ADOPT) {
                journal = JournalAdoption.adopt(pool, dir, fileSystem, file);
            }
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        H2MessageQueue queue = new H2MessageQueue(settings, clock, file, pool, journal);
        try {
            if (start == Start.REBUILD) {
                queue.importFromJournal(false);
            } else if (start == Start.TRUSTED) {
                queue.importFromJournal(true); // the journal's word over the database's, every start
            }
            queue.releaseLeftLeases("by a previous run");
            queue.purgeRetained(true);
            queue.journal.sweep(queue::segmentInUse);
            try (Connection c = queue.connection()) {
                queue.sync(c); // not needed for what was acknowledged (the journal has it); a tidy file
            }
        } catch (SQLException e) {
            pool.close();
            closeJournal(queue.journal);
            throw queue.fault("opening the queue in " + dir, e);
        } catch (IOException | RuntimeException e) {
            pool.close();
            closeJournal(queue.journal);
            throw e instanceof QueueException q ? q : new QueueException(Kind.IO, "opening the queue in " + dir
                    + ": " + e.getMessage(), e);
        }
        queue.writer.start();
        return queue;
    }

    /** How an open starts: see {@link #open(QueueSettings, Clock, String)}. */
    private enum Start { FRESH, TRUSTED, REBUILD, ADOPT }

    /** Opens the database file (errors naming it), makes the pool, migrates the schema. */
    private static HikariDataSource openDatabase(QueueSettings settings, java.nio.file.Path dir,
                                                 java.nio.file.Path file, String fileSystem) {
        // H2 opens the store through RecoveringFileSystem, which first makes a file that a crash
        // left behind open at its newest complete version (see StoreRecovery: an H2 defect).
        String url = "jdbc:h2:" + RecoveringFileSystem.prefix() + fileSystem + ":" + dir.resolve(DATABASE_NAME)
                + ";DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000"
                + ";QUERY_CACHE_SIZE=" + QUERY_CACHE_SIZE + ";MAX_LENGTH_INPLACE_LOB=" + MAX_LENGTH_INPLACE_LOB;
        // The first session opens the file: its errors (locked, corrupt, other version) are reported
        // here, naming the file, before the pool is made.
        Connection first;
        try {
            first = new org.h2.Driver().connect(url, credentials());
        } catch (SQLException e) {
            throw Faults.onOpen(e, file);
        }
        HikariDataSource pool;
        try {
            pool = pool(url, settings.maxConnections() + 1);
        } finally {
            try {
                first.close();
            } catch (SQLException e) {
                LOG.debug("closing the first session: {}", e.getMessage());
            }
        }
        try {
            Flyway.configure().dataSource(pool).locations("classpath:db/migration").failOnMissingLocations(true)
                    .load().migrate();
        } catch (FlywayException e) {
            pool.close();
            throw new QueueException(Kind.MIGRATION, "the schema migration of the queue database " + file
                    + " failed: " + e.getMessage() + " -- fix the cause, or restore the data folder from a backup", e);
        }
        if (settings.compatibilityMode() != null) {
            // The migrations are H2's DDL (BLOB); a PostgreSQL deployment gets its own. The mode,
            // which H2 keeps per database, is switched after them, so every query of the queue runs
            // under it: the check that the queries are portable.
            try (Connection c = pool.getConnection(); java.sql.Statement st = c.createStatement()) {
                st.execute("SET MODE " + settings.compatibilityMode());
            } catch (SQLException e) {
                pool.close();
                throw new QueueException(Kind.IO, "cannot set the H2 compatibility mode "
                        + settings.compatibilityMode() + ": " + e.getMessage(), e);
            }
        }
        return pool;
    }

    private static void closeJournal(Journal journal) {
        if (journal != null) {
            try {
                journal.close();
            } catch (IOException e) {
                LOG.debug("closing the journal: {}", e.getMessage());
            }
        }
    }

    /**
     * Moves a database file that was not closed cleanly out of the way of its rebuild: kept beside
     * as {@code queue.mv.db.crashed} (for its attempt history; the previous one goes) when the
     * disk has room for it twice over, deleted otherwise (a full disk must not keep the relay
     * from starting).
     */
    private static void setAside(java.nio.file.Path file) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        java.nio.file.Path aside = file.resolveSibling(file.getFileName() + ".crashed");
        long size = Files.size(file);
        long usable = Files.getFileStore(file.getParent()).getUsableSpace();
        if (usable > 2 * size + (64L << 20)) {
            Files.move(file, aside, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            LOG.warn("queue: {} was not closed cleanly; it is rebuilt from the journal, the old file is kept as {}",
                    file, aside);
        } else {
            Files.delete(file);
            Files.deleteIfExists(aside);
            LOG.warn("queue: {} was not closed cleanly; it is rebuilt from the journal (the old file was deleted:"
                    + " too little disk space to keep it)", file);
        }
    }

    /**
     * Copies the journal's messages that are not finished into the database: all of them after a
     * crash (the database is new), or those missing from it after H2 closed it under the running
     * queue ({@code onlyMissing}). Recipients get the states the journal knows (final, held, to
     * bounce); what only the database knew is gone with it (attempt history, backoff), so they are
     * tried again at once.
     */
    private int importFromJournal(boolean onlyMissing) throws IOException {
        return importFromJournal(onlyMissing, !onlyMissing);
    }

    private int importFromJournal(boolean onlyMissing, boolean verifyBodies) throws IOException {
        long started = System.nanoTime();
        long now = clock.millis();
        int[] counts = new int[2]; // messages, recipients
        try (Connection c = connection();
             PreparedStatement m = c.prepareStatement(GroupCommitWriter.INSERT_MESSAGE);
             PreparedStatement r = c.prepareStatement(GroupCommitWriter.INSERT_RECIPIENT);
             PreparedStatement exists = c.prepareStatement("SELECT 1 FROM message WHERE queue_id = ?")) {
            try {
                journal.scan(found -> {
                    Journal.StoredMessage msg = found.message();
                    try {
                        // After a crash as well: a compaction may have left a message in two segments.
                        exists.setString(1, msg.queueId());
                        try (ResultSet rs = exists.executeQuery()) {
                            if (rs.next()) {
                                return;
                            }
                        }
                        GroupCommitWriter.insert(m, r, msg, found.location(), found.control(), now);
                        counts[0]++;
                        counts[1] += msg.recipients().size() - found.control().finals.size();
                        if (counts[0] % 500 == 0) {
                            c.commit();
                        }
                    } catch (SQLException e) {
                        throw new IllegalStateException(new QueueException(Kind.IO, msg.queueId()
                                + ": copying it from the journal into the database: " + e.getMessage(), e));
                    }
                }, verifyBodies);
                c.commit();
            } catch (IllegalStateException e) {
                c.rollback();
                throw e.getCause() instanceof QueueException q ? q : e;
            }
        } catch (SQLException e) {
            throw fault("copying the journal into the database", e);
        }
        if (onlyMissing && counts[0] == 0) {
            return 0;
        }
        LOG.warn("queue: {} {} messages ({} recipients) from the journal {} in {} ms",
                onlyMissing ? "the database lacked; copied back" : "rebuilt the database with", counts[0], counts[1],
                journal.folder(),
                (System.nanoTime() - started) / 1_000_000);
        return counts[0];
    }

    /** On the writer thread before a group: after H2 closed the database, copies back what it lost. */
    private void reconcileIfNeeded() {
        if (!reconcileNeeded || closed.get()) {
            return;
        }
        try {
            importFromJournal(true);
            reconcileNeeded = false;
        } catch (IOException | RuntimeException e) {
            LOG.warn("queue: copying the journal into the database opened again failed ({}); tried again before"
                    + " the next group", e.toString());
        }
    }

    /**
     * The journal's upkeep, on the writer thread after each group: when the current segment is
     * full, a new one is begun, the few live messages of mostly-dead older segments are moved into
     * it ({@link #compactSegment}), and segments no message needs any more are deleted. Without the
     * move, one message deferred for days would keep its whole segment (64 MiB of mail that went
     * through long ago) on the disk.
     */
    private void maintainJournal() {
        try {
            if (!journal.rotateIfFull()) {
                return;
            }
            long budget = Journal.segmentBytes;
            for (long s : journal.segments()) {
                if (s >= journal.currentSegment() || budget <= 0) {
                    continue;
                }
                long[] live = liveIn(s);
                if (live[0] > 0 && live[1] * 4 < journal.segmentSize(s)) {
                    budget -= live[1];
                    compactSegment(s);
                }
            }
            journal.sweep(this::segmentInUse);
        } catch (IOException | SQLException | RuntimeException e) {
            LOG.warn("queue: the journal's upkeep failed (tried again after the next segment): {}", e.toString());
        }
    }

    /** Messages in the database stored in journal segment {@code segment}: count and bytes. */
    private long[] liveIn(long segment) throws SQLException {
        try (Connection c = connection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM message WHERE spool_segment = ?")) {
            ps.setLong(1, segment);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long[] r = {rs.getLong(1), rs.getLong(2)};
                c.commit();
                return r;
            }
        }
    }

    /**
     * Moves every message still stored in journal segment {@code segment} to the current one, with
     * control records for what the database knows of it (final, held, to bounce, finished), so that
     * the old segment can go. The copies are synced, then the old segment's control file marks the
     * originals finished (synced), then the database points at the copies. A crash in between
     * leaves both copies, and a rebuild takes the first it reads. Outcomes and the administrator's
     * changes wait meanwhile (they write to the segment the database names).
     */
    private void compactSegment(long segment) throws IOException, SQLException {
        outcomeLock.lock();
        adminLock.lock();
        try (Connection c = connection()) {
            Map<String, Journal.StoredMessage> messages = new LinkedHashMap<>();
            Map<String, Long> offsets = new HashMap<>();
            Map<String, Journal.Control> controls = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT queue_id, reverse_path, mail_params, client_address,"
                    + " helo_name, auth_user, protocol, arrival, size_bytes, spool_offset, finished_at FROM message"
                    + " WHERE spool_segment = ?")) {
                ps.setLong(1, segment);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String id = rs.getString(1);
                        messages.put(id, new Journal.StoredMessage(id, rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getString(5), rs.getString(6), rs.getString(7), rs.getLong(8), rs.getLong(9),
                                new ArrayList<>()));
                        offsets.put(id, rs.getLong(10));
                        Journal.Control control = new Journal.Control();
                        rs.getLong(11);
                        control.finished = !rs.wasNull();
                        controls.put(id, control);
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT r.queue_id, r.seq, r.forward_path, r.orcpt, r.notify,"
                    + " r.state, r.admin_bounce_reason FROM recipient r JOIN message m ON m.queue_id = r.queue_id"
                    + " WHERE m.spool_segment = ? ORDER BY r.queue_id, r.seq")) {
                ps.setLong(1, segment);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Journal.StoredMessage m = messages.get(rs.getString(1));
                        if (m == null || rs.getInt(2) != m.recipients().size()) {
                            continue;
                        }
                        m.recipients().add(new Journal.StoredRecipient(rs.getString(3), rs.getString(4), rs.getString(5)));
                        Journal.Control control = controls.get(m.queueId());
                        RecipientState state = RecipientState.valueOf(rs.getString(6));
                        if (state == RecipientState.DELIVERED || state == RecipientState.FAILED) {
                            control.finals.put(rs.getInt(2), state);
                        } else {
                            control.held |= state == RecipientState.HELD;
                            if (rs.getString(7) != null) {
                                control.bounceReason = rs.getString(7);
                            }
                        }
                    }
                }
            }
            c.commit();
            Map<String, Journal.Location> moved = new LinkedHashMap<>();
            Map<Long, java.io.ByteArrayOutputStream> newControls = new LinkedHashMap<>();
            java.io.ByteArrayOutputStream oldControls = new java.io.ByteArrayOutputStream();
            for (Journal.StoredMessage m : messages.values()) {
                Journal.Location from = new Journal.Location(segment, offsets.get(m.queueId()));
                Journal.Location to = journal.append(m, new MessageBody() {
                    @Override
                    public long size() {
                        return m.size();
                    }

                    @Override
                    public InputStream open() throws IOException {
                        return journal.openBody(from, m.size());
                    }
                });
                moved.put(m.queueId(), to);
                byte[] control = controls.get(m.queueId()).encode(m.queueId());
                newControls.computeIfAbsent(to.segment(), k -> new java.io.ByteArrayOutputStream()).writeBytes(control);
                oldControls.writeBytes(Journal.encode(Journal.FINISHED, m.queueId(), null));
            }
            journal.forceMessages();
            journal.controls(newControls, true);
            journal.controls(Map.of(segment, oldControls), true);
            try (PreparedStatement ps = c.prepareStatement("UPDATE message SET spool_segment = ?, spool_offset = ?"
                    + " WHERE queue_id = ? AND spool_segment = ?")) {
                for (Map.Entry<String, Journal.Location> e : moved.entrySet()) {
                    ps.setLong(1, e.getValue().segment());
                    ps.setLong(2, e.getValue().bodyOffset());
                    ps.setString(3, e.getKey());
                    ps.setLong(4, segment);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
            LoggerFactory.getLogger("dev.relay.queue.journal").info("queue journal: moved {} messages ({} bytes) out of segment {}", moved.size(),
                    messages.values().stream().mapToLong(Journal.StoredMessage::size).sum(), segment);
        } finally {
            adminLock.unlock();
            outcomeLock.unlock();
        }
    }

    /** Whether a message in the database has its body in journal segment {@code segment}. */
    private boolean segmentInUse(long segment) {
        try (Connection c = connection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT 1 FROM message WHERE spool_segment = ? FETCH FIRST 1 ROWS ONLY")) {
            ps.setLong(1, segment);
            try (ResultSet rs = ps.executeQuery()) {
                boolean used = rs.next();
                c.commit();
                return used;
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("queue: is journal segment {} in use? {}", segment, e.toString());
            return true;
        }
    }

    /**
     * Gives back every lease in the file and syncs, when {@link #leftLeases} says there may be some
     * that no live claimer holds. Only this process uses the file (H2's lock), so at open every lease
     * is left over. After H2 closed the database under running deliveries their leases may be gone
     * with the unwritten part of the file, or still there: they are given back too, so the recipients
     * are not stuck for the whole lease; a delivery that was under way may then be repeated (at least
     * once). On a disk that is still full this fails, and the next claim tries again.
     */
    private void releaseLeftLeases(String by) {
        if (!leftLeases) {
            return;
        }
        try {
            int released = update(RELEASE_LEASE, clock.millis());
            leftLeases = false;
            if (released > 0) {
                LOG.info("queue: released {} leases left {}", released, by);
            }
        } catch (QueueException e) {
            if (e.kind() != Kind.STORAGE_FULL && e.kind() != Kind.CLOSED) {
                throw e;
            }
            LOG.warn("queue: the leases left {} are released once the disk has room: {}", by, e.getMessage());
        }
    }

    /** The database file. */
    public java.nio.file.Path file() {
        return file;
    }

    /** Groups committed and synced since open (each one {@code CHECKPOINT SYNC}). */
    public long syncedGroups() {
        return writer.groups();
    }

    /** Messages stored since open. */
    public long storedMessages() {
        return writer.messages();
    }

    QueueSettings settings() {
        return settings;
    }

    Clock clock() {
        return clock;
    }

    @Override
    public CompletableFuture<Void> enqueue(QueueId id, Envelope envelope, MessageBody body) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(body, "body");
        return writer.submit(id, envelope, body);
    }

    @Override
    public List<ClaimedMessage> claim(String owner, int maxRecipients, Duration lease) {
        Objects.requireNonNull(owner, "owner");
        int limit = Math.min(maxRecipients, settings.maxClaimBatch());
        if (limit <= 0) {
            return List.of();
        }
        Duration l = lease == null ? settings.defaultLease() : lease;
        releaseLeftLeases("after a failed write");
        // Claimers of one process take turns: they would only wait for each other's row locks in
        // the database and win nothing from the same candidates. Claimers in other processes (a
        // shared PostgreSQL queue) are kept apart by the conditional update alone.
        claimLock.lock();
        claimGate.readLock().lock();
        long token = TOKENS.nextLong();
        try (Connection c = connection()) {
            try {
                return claim(c, owner, limit, l, token);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                giveBack(c, token);
                throw e;
            }
        } catch (SQLException e) {
            throw fault("claim", e);
        } finally {
            claimGate.readLock().unlock();
            claimLock.unlock();
        }
    }

    /** After a failed claim: rounds already committed hold leases with {@code token}; give them back. */
    private void giveBack(Connection c, long token) {
        try (PreparedStatement ps = c.prepareStatement("UPDATE recipient SET lease_owner = NULL,"
                + " lease_until = NULL, lease_token = NULL, next_attempt = ? WHERE lease_token = ?")) {
            ps.setLong(1, clock.millis());
            ps.setLong(2, token);
            ps.executeUpdate();
            c.commit();
        } catch (SQLException e) {
            LOG.warn("claim: could not give back the leases of a failed claim (they come back when they expire): {}",
                    e.getMessage());
        }
    }

    private List<ClaimedMessage> claim(Connection c, String owner, int limit, Duration lease, long token)
            throws SQLException {
        long now = clock.millis();
        long until = now + lease.toMillis();
        // Rounds: a concurrent claimer may win some candidates of a round (they no longer match the
        // guard); the next round selects from what is still due, so a claim comes back empty only
        // when nothing is due. Bounded, so contention cannot keep a claimer here. Each round commits,
        // so that no claimer holds row locks while it selects again (two claimers would wait for
        // each other until the lock timeout).
        List<Long> won = new ArrayList<>(limit);
        for (int round = 0; round < MAX_CLAIM_ROUNDS && won.size() < limit; round++) {
            List<Long> candidates = new ArrayList<>(limit - won.size());
            try (PreparedStatement ps = c.prepareStatement(SELECT_DUE)) {
                ps.setLong(1, now);
                ps.setInt(2, limit - won.size());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        candidates.add(rs.getLong(1));
                    }
                }
            }
            candidates.removeAll(won);
            if (candidates.isEmpty()) {
                break;
            }
            int n;
            try (PreparedStatement ps = c.prepareStatement(LEASE)) {
                ps.setString(1, owner);
                ps.setLong(2, until);
                ps.setLong(3, token);
                ps.setLong(4, until);
                ps.setObject(5, candidates.toArray(new Long[0]));
                ps.setLong(6, now);
                n = ps.executeUpdate();
            }
            c.commit();
            if (n == candidates.size()) {
                won.addAll(candidates);
            } else {
                won.addAll(leasedWith(c, token, candidates));
            }
        }
        if (won.isEmpty()) {
            c.commit();
            return List.of();
        }
        Map<String, List<ClaimedRecipient>> recipients = new LinkedHashMap<>();
        Map<String, Long> sizes = new LinkedHashMap<>();
        Map<String, Object[]> heads = new LinkedHashMap<>();
        int read = 0;
        try (PreparedStatement ps = c.prepareStatement(SELECT_CLAIMED)) {
            ps.setLong(1, token);
            ps.setObject(2, won.toArray(new Long[0]));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    read++;
                    String qid = rs.getString("queue_id");
                    QueueId queueId = new QueueId(qid);
                    Recipient r = Rows.recipient(queueId, rs.getString("forward_path"), rs.getString("orcpt"),
                            rs.getString("notify"));
                    recipients.computeIfAbsent(qid, k -> new ArrayList<>()).add(new ClaimedRecipient(
                            rs.getLong("id"), r, rs.getInt("attempts"), Rows.instant(rs, "first_attempt"),
                            rs.getString("last_next_hop"), rs.getString("admin_bounce_reason"),
                            rs.getBoolean("delay_notice_sent")));
                    if (!heads.containsKey(qid)) {
                        heads.put(qid, new Object[] {
                            Rows.path(queueId, rs.getString("reverse_path")),
                            Rows.mailParams(queueId, rs.getString("mail_params")),
                            new Origin(rs.getString("client_address"), rs.getString("helo_name"),
                                    rs.getString("auth_user"), Rows.instant(rs, "arrival"), rs.getString("protocol"))});
                        sizes.put(qid, rs.getLong("size_bytes"));
                    }
                }
            }
        }
        if (read != won.size()) {
            // Recipients leased but not read back with their message: an administrator deleted the
            // message at the same moment (its cascade waits for this claim's row locks, but its message
            // row is already gone for this statement). Give them back in this transaction instead of
            // failing the whole claim; what still exists is claimed again by the next claim.
            Set<Long> readIds = new HashSet<>();
            recipients.values().forEach(list -> list.forEach(r -> readIds.add(r.id())));
            List<Long> unread = won.stream().filter(id -> !readIds.contains(id)).toList();
            LOG.info("queue: claim: {} of {} leased recipients have no message any more (deleted meanwhile);"
                    + " given back", unread.size(), won.size());
            try (PreparedStatement ps = c.prepareStatement("UPDATE recipient SET lease_owner = NULL,"
                    + " lease_until = NULL, lease_token = NULL, next_attempt = CASE WHEN state = 'HELD'"
                    + " THEN CAST(NULL AS BIGINT) ELSE ? END WHERE lease_token = ? AND id = ANY(?)")) {
                ps.setLong(1, clock.millis());
                ps.setLong(2, token);
                ps.setObject(3, unread.toArray(new Long[0]));
                ps.executeUpdate();
            }
        }
        c.commit();
        List<ClaimedMessage> result = new ArrayList<>(recipients.size());
        Instant expiry = Instant.ofEpochMilli(until);
        for (Map.Entry<String, List<ClaimedRecipient>> e : recipients.entrySet()) {
            Object[] h = heads.get(e.getKey());
            List<Recipient> rs = e.getValue().stream().map(ClaimedRecipient::recipient).toList();
            Envelope env = new Envelope((Path) h[0], (MailParameters) h[1], rs, (Origin) h[2]);
            result.add(new ClaimedMessage(new QueueId(e.getKey()), env, sizes.get(e.getKey()), expiry, e.getValue()));
        }
        return result;
    }

    /** Which of {@code ids} this claim's update took (when a concurrent claimer took some). */
    private static List<Long> leasedWith(Connection c, long token, List<Long> ids) throws SQLException {
        List<Long> result = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(LEASED_WITH)) {
            ps.setLong(1, token);
            ps.setObject(2, ids.toArray(new Long[0]));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.add(rs.getLong(1));
                }
            }
        }
        return result;
    }

    @Override
    public InputStream openBody(QueueId id) throws IOException {
        try {
            return openBodyOnce(id);
        } catch (NoSuchFileException e) {
            // The journal's compaction moved the body between the read of its place and the open
            // (once: it moves a message at most once per segment written).
            return openBodyOnce(id);
        }
    }

    private InputStream openBodyOnce(QueueId id) throws IOException {
        Connection c = null;
        PreparedStatement ps = null;
        ResultSet rs = null;
        try {
            c = connection();
            ps = c.prepareStatement("SELECT body, spool_segment, spool_offset, size_bytes FROM message"
                    + " WHERE queue_id = ?");
            ps.setString(1, id.value());
            rs = ps.executeQuery();
            if (!rs.next()) {
                throw new NoSuchFileException(id + ": no such message in the queue " + file);
            }
            long segment = rs.getLong(2);
            if (!rs.wasNull()) {
                Journal.Location at = new Journal.Location(segment, rs.getLong(3));
                long size = rs.getLong(4);
                c.commit();
                closeAll(rs, ps, c);
                return journal.openBody(at, size);
            }
            Blob blob = rs.getBlob(1);
            return new BodyStream(blob.getBinaryStream(), blob, rs, ps, c);
        } catch (SQLException e) {
            closeAll(rs, ps, c);
            throw new IOException(fault(id + ": reading the body", e).getMessage(), e);
        } catch (IOException | RuntimeException e) {
            closeAll(rs, ps, c);
            throw e;
        }
    }

    /**
     * Records outcomes. Callers that arrive while another is recording wait for the lock and queue
     * their outcomes meanwhile; the next holder records everything queued in one transaction (each
     * message behind a savepoint, so one that fails fails alone) and completes the waiters' futures.
     * Under load one commit thus covers the outcomes of many messages instead of one each; alone, a
     * caller records its own at once. No sync: a lost outcome after a crash means a repeated delivery
     * (the durability contract allows duplicates, never losses).
     */
    @Override
    public void complete(QueueId id, List<RecipientOutcome> outcomes) {
        Objects.requireNonNull(id, "id");
        if (outcomes.isEmpty()) {
            return;
        }
        PendingOutcomes mine = new PendingOutcomes(id, List.copyOf(outcomes), new CompletableFuture<>());
        outcomesWaiting.add(mine);
        outcomeLock.lock();
        try {
            while (!mine.done().isDone()) {
                recordWaitingOutcomes();
            }
        } finally {
            outcomeLock.unlock();
        }
        boolean finished;
        try {
            finished = mine.done().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        if (finished && settings.retention().isZero()) {
            LOG.info("{}: removed", id);
        }
        purgeRetained(false);
    }

    /** Under {@code outcomeLock}: records the outcomes waiting (at most a group's worth) in one transaction. */
    private void recordWaitingOutcomes() {
        List<PendingOutcomes> group = new ArrayList<>();
        for (PendingOutcomes p; group.size() < MAX_OUTCOME_GROUP && (p = outcomesWaiting.poll()) != null; ) {
            group.add(p);
        }
        if (group.isEmpty()) {
            return;
        }
        long now = clock.millis();
        List<PendingOutcomes> recorded = new ArrayList<>(group.size());
        List<Recorded> finished = new ArrayList<>(group.size());
        try (Connection c = connection()) {
            try {
                for (PendingOutcomes p : group) {
                    Savepoint savepoint = group.size() > 1 ? c.setSavepoint() : null;
                    try {
                        java.util.function.Consumer<QueueId> hook = beforeOutcome;
                        if (hook != null) {
                            hook.accept(p.id());
                        }
                        finished.add(complete(c, p.id(), p.outcomes(), now));
                        recorded.add(p);
                    } catch (SQLException | RuntimeException e) {
                        if (savepoint == null) {
                            throw e;
                        }
                        c.rollback(savepoint);
                        p.done().completeExceptionally(e instanceof SQLException x
                                ? fault(p.id() + ": recording outcomes", x) : e);
                    }
                }
                c.commit();
                outcomeTransactions.incrementAndGet();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException | RuntimeException e) {
            RuntimeException failure = e instanceof SQLException x
                    ? fault("recording the outcomes of " + group.size() + " messages", x)
                    : (RuntimeException) e;
            for (PendingOutcomes p : group) {
                p.done().completeExceptionally(failure);
            }
            return;
        }
        journalOutcomes(recorded, finished);
        for (int i = 0; i < recorded.size(); i++) {
            recorded.get(i).done().complete(finished.get(i).finished());
        }
    }

    /**
     * What outcomes made final goes to the journal, so that a rebuild after a crash does not
     * deliver it again: each recipient made final, by its position in the envelope. The journal
     * counts a message finished once all its recipients are (it does not take the database's word
     * that a message is finished: that word is one query, the finals are facts). Not
     * forced (a kill keeps it in the page cache; after a power cut the last of them may be lost,
     * and those deliveries are repeated: at least once). A failure is logged, not thrown: the
     * outcomes are recorded in the database, and only a crash before the next clean stop could
     * repeat those deliveries.
     */
    private void journalOutcomes(List<PendingOutcomes> recorded, List<Recorded> results) {
        Map<Long, java.io.ByteArrayOutputStream> bySegment = new LinkedHashMap<>();
        for (int i = 0; i < recorded.size(); i++) {
            Recorded r = results.get(i);
            if (r.segment() == null) {
                continue;
            }
            String id = recorded.get(i).id().value();
            byte[] bytes = Journal.encodeFinals(id, r.finals());
            bySegment.computeIfAbsent(r.segment(), k -> new java.io.ByteArrayOutputStream()).writeBytes(bytes);
        }
        try {
            journal.controls(bySegment, false);
        } catch (IOException | RuntimeException e) {
            LOG.warn("queue: could not note {} outcomes in the journal {} ({}); after a crash before the next"
                    + " clean stop those deliveries may be repeated", recorded.size(), journal.folder(), e.toString());
        }
    }

    /** What recording one message's outcomes did: finished it, and which recipients became final (by seq). */
    private record Recorded(boolean finished, Long segment, Map<Integer, RecipientState> finals) {
    }

    /** Transactions that recorded outcomes since open (several messages' outcomes may share one). */
    long outcomeTransactions() {
        return outcomeTransactions.get();
    }

    /** Messages whose outcomes wait for the recording lock. */
    int outcomesWaiting() {
        return outcomesWaiting.size();
    }

    /** Outcomes of one message waiting to be recorded; {@code done} says whether the message is finished. */
    private record PendingOutcomes(QueueId id, List<RecipientOutcome> outcomes, CompletableFuture<Boolean> done) {
    }

    private Recorded complete(Connection c, QueueId id, List<RecipientOutcome> outcomes, long now)
            throws SQLException {
        Snapshot snapshot = snapshot(c, id);
        Long segment = snapshot.segment();
        if (settings.retention().isZero() && snapshot.finishedBy(outcomes)) {
            // Nothing of it is kept: no outcome rows and history rows written only to be deleted.
            Map<Long, RecipientState> all = new HashMap<>();
            for (RecipientOutcome ro : outcomes) {
                all.put(ro.recipientId(), ro.outcome() instanceof Outcome.Delivered ? RecipientState.DELIVERED
                        : RecipientState.FAILED);
            }
            Map<Integer, RecipientState> finals = snapshot.bySeq(all);
            try (PreparedStatement ps = c.prepareStatement(DELETE_MESSAGE)) {
                ps.setString(1, id.value());
                ps.executeUpdate();
            }
            return new Recorded(true, segment, finals);
        }
        Map<Long, RecipientState> madeFinal = new HashMap<>();
        boolean deferredOne = false;
        try (PreparedStatement up = c.prepareStatement(COMPLETE);
             PreparedStatement hist = c.prepareStatement(INSERT_ATTEMPT)) {
            for (RecipientOutcome ro : outcomes) {
                Outcome o = ro.outcome();
                RecipientState state;
                Long next = null;
                boolean delayNotice = false;
                if (o instanceof Outcome.Delivered) {
                    state = RecipientState.DELIVERED;
                } else if (o instanceof Outcome.Failed) {
                    state = RecipientState.FAILED;
                } else {
                    Outcome.Deferred d = (Outcome.Deferred) o;
                    state = RecipientState.DEFERRED;
                    next = d.nextAttempt() == null ? now : d.nextAttempt().toEpochMilli();
                    delayNotice = d.delayNoticeSent();
                }
                up.setString(1, state == RecipientState.DEFERRED ? RecipientState.HELD.name() : state.name());
                up.setString(2, state.name());
                Rows.setLong(up, 3, next);
                up.setLong(4, now);
                Rows.setReply(up, 5, o.reply());
                up.setString(8, o.nextHop());
                up.setBoolean(9, delayNotice);
                up.setLong(10, ro.recipientId());
                up.setString(11, id.value());
                if (up.executeUpdate() == 0) {
                    LOG.warn("{}: outcome for recipient {} ignored: it is final or not in this message", id,
                            ro.recipientId());
                    continue;
                }
                if (state != RecipientState.DEFERRED) {
                    madeFinal.put(ro.recipientId(), state);
                } else {
                    deferredOne = true;
                }
                hist.setLong(1, ro.recipientId());
                hist.setString(2, id.value());
                hist.setLong(3, now);
                hist.setString(4, o.nextHop());
                hist.setString(5, state.name());
                Rows.setReply(hist, 6, o.reply());
                hist.addBatch();
            }
            hist.executeBatch();
        }
        long open;
        try (PreparedStatement ps = c.prepareStatement(COUNT_OPEN)) {
            ps.setString(1, id.value());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                open = rs.getLong(1);
            }
        }
        Map<Integer, RecipientState> finals = snapshot.bySeq(madeFinal);
        if (open > 0) {
            return new Recorded(false, segment, finals);
        }
        if (deferredOne) {
            // A recipient was just deferred, so it is open: the database says otherwise. Recording
            // nothing (the lease runs out, the delivery is repeated) beats finishing a message that
            // is not done.
            throw new SQLException(id + ": the database counts no open recipient right after deferring one;"
                    + " the outcomes are not recorded");
        }
        if (settings.retention().isZero()) {
            try (PreparedStatement ps = c.prepareStatement(DELETE_MESSAGE)) {
                ps.setString(1, id.value());
                ps.executeUpdate();
            }
        } else {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE message SET finished_at = ? WHERE queue_id = ? AND finished_at IS NULL")) {
                ps.setLong(1, now);
                ps.setString(2, id.value());
                ps.executeUpdate();
            }
        }
        return new Recorded(true, segment, finals);
    }

    /** A message's recipients as read before its outcomes are recorded, and its journal segment. */
    private record Snapshot(Long segment, Map<Long, Integer> seqById, Set<Long> open) {
        /** True when every outcome is final and they are exactly the message's open recipients. */
        boolean finishedBy(List<RecipientOutcome> outcomes) {
            Set<Long> ours = new HashSet<>();
            for (RecipientOutcome ro : outcomes) {
                if (ro.outcome() instanceof Outcome.Deferred) {
                    return false;
                }
                ours.add(ro.recipientId());
            }
            return !open.isEmpty() && open.equals(ours);
        }

        /** {@code byId} (recipient row id to state) by the recipients' positions in the envelope. */
        Map<Integer, RecipientState> bySeq(Map<Long, RecipientState> byId) {
            if (segment == null || byId.isEmpty()) {
                return Map.of();
            }
            Map<Integer, RecipientState> result = new HashMap<>();
            byId.forEach((rid, state) -> {
                Integer seq = seqById.get(rid);
                if (seq != null) {
                    result.put(seq, state);
                }
            });
            return result;
        }
    }

    private static Snapshot snapshot(Connection c, QueueId id) throws SQLException {
        Long segment = null;
        Map<Long, Integer> seqById = new HashMap<>();
        Set<Long> open = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(RECIPIENTS_AND_SEGMENT)) {
            ps.setString(1, id.value());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long rid = rs.getLong(1);
                    seqById.put(rid, rs.getInt(2));
                    String state = rs.getString(3);
                    if (state.equals("QUEUED") || state.equals("DEFERRED") || state.equals("HELD")) {
                        open.add(rid);
                    }
                    long seg = rs.getLong(4);
                    segment = rs.wasNull() ? null : seg;
                }
            }
        }
        return new Snapshot(segment, seqById, open);
    }

    /** Removes messages kept by the retention whose time is up; at most once a minute unless forced. */
    private void purgeRetained(boolean force) {
        if (settings.retention().isZero()) {
            return;
        }
        long now = clock.millis();
        long last = lastPurge.get();
        if (!force && last != Long.MIN_VALUE && now - last < PURGE_INTERVAL_MILLIS) {
            return;
        }
        if (!lastPurge.compareAndSet(last, now)) {
            return;
        }
        long cutoff = now - settings.retention().toMillis();
        List<String> ids = new ArrayList<>();
        try (Connection c = connection()) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT queue_id FROM message WHERE finished_at < ? ORDER BY finished_at")) {
                ps.setLong(1, cutoff);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM message WHERE queue_id = ? AND finished_at < ?")) {
                for (String qid : ids) {
                    ps.setString(1, qid);
                    ps.setLong(2, cutoff);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
        } catch (SQLException e) {
            throw fault("removing messages past their retention", e);
        }
        for (String qid : ids) {
            LOG.info("{}: removed", qid);
        }
    }

    @Override
    public void release(QueueId id, Collection<Long> recipientIds) {
        if (recipientIds.isEmpty()) {
            return;
        }
        List<Object> args = new ArrayList<>();
        args.add(clock.millis());
        args.add(id.value());
        args.addAll(recipientIds);
        update(RELEASE_LEASE + " AND queue_id = ? AND id IN (" + Rows.marks(recipientIds.size()) + ")",
                args.toArray());
    }

    @Override
    public int releaseLeases(String owner) {
        if (leftLeases && owner != null) {
            LOG.info("queue: leases are released at the next start (the database could not be written)");
            return 0;
        }
        long now = clock.millis();
        if (owner != null) {
            try {
                return update(RELEASE_LEASE + " AND lease_owner = ?", now, owner);
            } catch (QueueException e) {
                if (e.kind() != Kind.STORAGE_FULL && e.kind() != Kind.CLOSED) {
                    throw e;
                }
                leftLeases = true;
                LOG.warn("queue: leases of {} are released at the next start or claim: {}", owner, e.getMessage());
                return 0;
            }
        }
        // Expired leases are due already (next_attempt is the expiry); only the lease columns go.
        return update("UPDATE recipient SET lease_owner = NULL, lease_until = NULL, lease_token = NULL"
                + " WHERE lease_owner IS NOT NULL AND lease_until <= ?", now);
    }

    @Override
    public Optional<Instant> nextDue() {
        try (Connection c = connection();
             PreparedStatement ps = c.prepareStatement("SELECT MIN(next_attempt) FROM recipient");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            long v = rs.getLong(1);
            Optional<Instant> result = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(v));
            c.commit();
            return result;
        } catch (SQLException e) {
            throw fault("nextDue", e);
        }
    }

    @Override
    public QueueAdmin admin() {
        return admin;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        writer.close();
        boolean shutDown = compactIfMostlyFree() || shutdown();
        pool.close();
        try {
            journal.close();
            if (shutDown && !reopened) {
                journal.markClean();
            } else {
                LOG.warn("queue: {} was not closed cleanly; the next start rebuilds it from the journal {}", file,
                        journal.folder());
            }
        } catch (IOException e) {
            LOG.warn("queue: closing the journal {}: {}; the next start rebuilds the database from it",
                    journal.folder(), e.toString());
        }
        LOG.info("queue: closed {}", file);
    }

    /** H2's SHUTDOWN: the database closed and its file clean, or false. */
    private boolean shutdown() {
        try (Connection c = pool.getConnection(); java.sql.Statement st = c.createStatement()) {
            st.execute("SHUTDOWN");
            return true;
        } catch (SQLException e) {
            if (e.getErrorCode() == org.h2.api.ErrorCode.DATABASE_CALLED_AT_SHUTDOWN) {
                return true;
            }
            LOG.warn("queue: could not shut the database {} down: {}", file, e.getMessage());
            return false;
        }
    }

    /**
     * Gives the disk back at a clean stop. H2 reuses freed space inside the file but hardly ever
     * shrinks it: a queue that once held a backlog kept its size for good (875 MB for an empty queue
     * after 200,000 recipients went through). When the file is larger than {@link #compactMinBytes}
     * and more than four times what the queue holds (bodies plus a generous allowance per message
     * and recipient; H2's own fill rate lags by its retention time and lazy LOB removal),
     * {@code SHUTDOWN COMPACT} copies the live data into a new file and renames it over the old one.
     * The old file stays whole until the rename, so a kill during the compaction loses nothing (H2
     * deletes the half-written copy at the next open). It costs a read and a write of the live data,
     * so only at a stop, and only when it frees much.
     */
    private boolean compactIfMostlyFree() {
        long before = file.toFile().length();
        if (before < compactMinBytes) {
            return false;
        }
        try (Connection c = pool.getConnection(); java.sql.Statement st = c.createStatement()) {
            long live;
            try (ResultSet rs = st.executeQuery("SELECT COALESCE(SUM(size_bytes), 0) + 4096 * COUNT(*)"
                    + " + (SELECT 1024 * COUNT(*) FROM recipient) FROM message")) {
                rs.next();
                live = rs.getLong(1);
            }
            c.commit();
            if (before < 4 * live) {
                return false;
            }
            long start = System.nanoTime();
            try {
                st.execute("SHUTDOWN COMPACT");
            } catch (SQLException e) {
                if (e.getErrorCode() != org.h2.api.ErrorCode.DATABASE_CALLED_AT_SHUTDOWN) {
                    throw e;
                }
                // H2 closed the database as asked and says so to the session that asked
            }
            LOG.info("queue: compacted {} from {} to {} MiB at stop in {} ms", file, before >> 20,
                    file.toFile().length() >> 20, (System.nanoTime() - start) / 1_000_000);
            return true;
        } catch (SQLException | RuntimeException e) {
            LOG.warn("queue: could not compact {} at stop: {}", file, e.toString());
            return false;
        }
    }

    /** A pooled connection in manual-commit mode. */
    Connection connection() throws SQLException {
        if (closed.get()) {
            throw new QueueException(Kind.CLOSED, "the queue " + file + " is closed", null);
        }
        return pool.getConnection();
    }

    private static java.util.Properties credentials() {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", "relay");
        p.setProperty("password", "");
        return p;
    }

    /**
     * The connection pool: HikariCP, a fixed number of H2 sessions in manual-commit mode. Not H2's
     * own JdbcConnectionPool: it rolls back the session whenever a connection is taken or given
     * back, and an H2 rollback empties the session's cache of parsed statements, so every
     * statement was parsed again on every use. Hikari rolls back only a connection given back with
     * uncommitted work; the queue commits or rolls back itself.
     */
    private static HikariDataSource pool(String url, int size) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("queue");
        config.setJdbcUrl(url);
        config.setUsername("relay");
        config.setPassword("");
        config.setAutoCommit(false);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        config.setMaxLifetime(0); // embedded sessions: nothing to recycle
        config.setConnectionTimeout(30_000);
        return new HikariDataSource(config);
    }

    /**
     * A failed operation as a {@link QueueException} naming the file and what to do, and, when H2
     * closed the database under it, the start of the recovery (see {@link #reopenAfterH2Closed}).
     */
    QueueException fault(String what, Exception e) {
        if (Faults.closedByH2(e)) {
            reopenAfterH2Closed();
        }
        return Faults.onOperation(what, e, file);
    }

    /**
     * H2 closes the database for good after a write it could not do (a full disk, an I/O error):
     * every session of the pool is dead from then on, and without this the queue stayed unusable
     * until a restart, even after the disk had room again. Evicting the pool's sessions makes the
     * next operation open the file again, exactly as a restart would: what was committed and synced
     * before the failure is there, what was not (and was never acknowledged) is not. If the disk is
     * still full that operation fails as well and the next one tries again, at most once a second.
     */
    private void reopenAfterH2Closed() {
        long now = System.nanoTime();
        long last = lastReopen.get();
        if (closed.get() || now - last < REOPEN_INTERVAL_NANOS || !lastReopen.compareAndSet(last, now)) {
            return;
        }
        LOG.warn("queue: H2 closed the database {} after a failed write; it is opened again for the next operation",
                file);
        reopens.incrementAndGet();
        leftLeases = true;
        reopened = true;
        reconcileNeeded = true;
        pool.getHikariPoolMXBean().softEvictConnections(); // idle ones now, borrowed ones when given back
    }

    /** How often the reopen is tried (tests). */
    long reopens() {
        return reopens.get();
    }

    java.nio.file.Path dbFile() {
        return file;
    }

    /**
     * Makes every commit so far durable, as a group commit does for new messages. For what an
     * administrator changes (delete, hold, release, bounce): once relayctl says it is done, a crash
     * must not undo it (a deleted message must not come back and be delivered after all).
     */
    void sync(Connection c) throws SQLException {
        try (java.sql.Statement st = c.createStatement()) {
            st.execute(SYNC);
        }
    }

    /**
     * Notes an administrator's change of messages in the journal and forces it, so that it holds
     * after a crash (a deleted message must not come back and be delivered after all). For a
     * delete, {@code segments} must have been read before the rows went.
     */
    void journalAdmin(Map<String, Long> segments, byte type, String reason) {
        Map<Long, java.io.ByteArrayOutputStream> bySegment = new LinkedHashMap<>();
        segments.forEach((id, segment) -> {
            if (segment != null) {
                bySegment.computeIfAbsent(segment, k -> new java.io.ByteArrayOutputStream())
                        .writeBytes(Journal.encode(type, id, reason));
            }
        });
        try {
            journal.controls(bySegment, true);
        } catch (IOException e) {
            throw fault("noting the change in the queue journal " + journal.folder(), e);
        }
    }

    /** The journal segments of the messages {@code ids} that exist (an older version's have none). */
    Map<String, Long> segmentsOf(Collection<QueueId> ids) {
        Map<String, Long> result = new LinkedHashMap<>();
        if (ids.isEmpty()) {
            return result;
        }
        try (Connection c = connection();
             PreparedStatement ps = c.prepareStatement("SELECT queue_id, spool_segment FROM message WHERE queue_id IN ("
                     + Rows.marks(ids.size()) + ")")) {
            int i = 1;
            for (QueueId id : ids) {
                ps.setString(i++, id.value());
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long v = rs.getLong(2);
                    result.put(rs.getString(1), rs.wasNull() ? null : v);
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw fault("reading messages", e);
        }
        return result;
    }

    /** Runs one update statement with positional arguments in its own transaction; returns the count. */
    int update(String sql, Object... args) {
        try (Connection c = connection()) {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    ps.setObject(i + 1, args[i]);
                }
                int n = ps.executeUpdate();
                c.commit();
                return n;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw fault("update", e);
        }
    }

    private static void closeAll(AutoCloseable... resources) {
        for (AutoCloseable r : resources) {
            if (r != null) {
                try {
                    r.close();
                } catch (Exception e) {
                    LOG.debug("closing: {}", e.getMessage());
                }
            }
        }
    }

    /** The body stream: closing it frees the BLOB and gives the connection back. */
    private static final class BodyStream extends FilterInputStream {
        private final Blob blob;
        private final ResultSet rs;
        private final PreparedStatement ps;
        private final Connection c;
        private boolean closed;

        BodyStream(InputStream in, Blob blob, ResultSet rs, PreparedStatement ps, Connection c) {
            super(in);
            this.blob = blob;
            this.rs = rs;
            this.ps = ps;
            this.c = c;
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                super.close();
                blob.free();
                c.commit();
            } catch (SQLException e) {
                throw new IOException(e.getMessage(), e);
            } finally {
                closeAll(rs, ps, c);
            }
        }
    }
}
