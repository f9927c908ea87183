package dev.relay.queue.jdbc;

import dev.relay.queue.QueueException;
import dev.relay.queue.QueueException.Kind;
import dev.relay.queue.QueueSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.StringJoiner;
import java.util.stream.Stream;

/**
 * {@code relayctl recover}: rebuilds the queue from a queue file that the relay cannot use, message
 * by message, so that one damaged part never makes every queued message unavailable.
 *
 * <p>How. The damaged file is never written: it is copied, the copy gets {@link StoreRecovery}'s
 * check (its newest complete version), and H2 opens the copy. A new queue file is made in a
 * folder beside it, with the schema by Flyway, and every message is copied into it in a
 * transaction of its own: the message row with its body, its recipients with their states and
 * attempts, and its history. A message whose rows or body cannot be read is left out and named
 * in the report. Only when the new file is complete and synced is the damaged one renamed to
 * {@code queue.mv.db.damaged-TIME} and the new one put in its place; a crash before that leaves
 * the original where it was.
 */
public final class QueueSalvage {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private QueueSalvage() {
    }

    /** What was recovered: messages and recipients copied, the ids left out with why, where the old file went. */
    public record Report(int messages, int recipients, List<String> lost, Path damagedFile) {
    }

    /**
     * Rebuilds the queue of {@code settings}; the relay must be stopped.
     *
     * @throws QueueException when the file is locked (the relay runs), missing, or cannot be opened at all
     */
    public static Report recover(QueueSettings settings, Clock clock) {
        Path dir = settings.dataDirectory().toAbsolutePath().normalize();
        Path file = dir.resolve(H2MessageQueue.DATABASE_NAME + ".mv.db");
        String stamp = STAMP.format(clock.instant().atZone(java.time.ZoneOffset.UTC));
        if (Journal.exists(dir)) {
            return fromJournal(settings, clock, dir, file, stamp);
        }
        if (!Files.exists(file)) {
            throw new QueueException(Kind.IO, "there is no queue file " + file + " to recover", null);
        }
        Path work = dir.resolve("recover-" + stamp);
        try {
            Files.createDirectories(work.resolve("source"));
            Path copy = work.resolve("source").resolve(file.getFileName());
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                    java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
                if (ch.tryLock() == null) {
                    throw new QueueException(Kind.LOCKED, "the queue file " + file
                            + " is in use by a running relay: stop it first", null);
                }
                Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.channels.OverlappingFileLockException e) {
                throw new QueueException(Kind.LOCKED, "the queue file " + file + " is in use", e);
            }
            StoreRecovery.check(copy.toString(), true);
            Report report;
            QueueSettings target = settings.withDataDirectory(work.resolve("new"));
            try (Connection source = new org.h2.Driver().connect("jdbc:h2:file:" + work.resolve("source")
                    .resolve(H2MessageQueue.DATABASE_NAME) + ";DB_CLOSE_ON_EXIT=FALSE", credentials());
                 H2MessageQueue queue = H2MessageQueue.open(target, clock)) {
                if (source == null) {
                    throw new SQLException("H2 did not open " + copy);
                }
                source.setAutoCommit(false);
                report = copyAll(source, queue);
            }
            Path damaged = dir.resolve(file.getFileName() + ".damaged-" + stamp);
            Files.move(file, damaged, StandardCopyOption.ATOMIC_MOVE);
            Files.move(work.resolve("new").resolve(file.getFileName()), file, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(work);
            return new Report(report.messages(), report.recipients(), report.lost(), damaged);
        } catch (SQLException | IOException e) {
            throw new QueueException(Kind.CORRUPT, "could not recover the queue file " + file + ": " + e.getMessage()
                    + " (the file is unchanged; the work files are in " + work + ")", e);
        }
    }

    /**
     * A queue with a {@link Journal}: the journal is the record of what was acknowledged, so the
     * database is set aside and rebuilt from it, as a start after a crash does.
     */
    private static Report fromJournal(QueueSettings settings, Clock clock, Path dir, Path file, String stamp) {
        Path damaged = null;
        try {
            try (Journal journal = Journal.open(dir, Journal.FOLDER, "file")) {
                journal.takeCleanMarker(); // and with that, the next open rebuilds
                if (Files.exists(file)) {
                    damaged = dir.resolve(file.getFileName() + ".damaged-" + stamp);
                    Files.move(file, damaged, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        } catch (Journal.InUseException e) {
            throw new QueueException(Kind.LOCKED, "the queue in " + dir + " is in use by a running relay: stop it"
                    + " first", e);
        } catch (IOException e) {
            throw new QueueException(Kind.IO, "could not set the queue file " + file + " aside: " + e.getMessage(), e);
        }
        try (H2MessageQueue queue = H2MessageQueue.open(settings, clock);
             Connection c = queue.connection();
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT (SELECT COUNT(*) FROM message),"
                     + " (SELECT COUNT(*) FROM recipient WHERE state IN ('QUEUED', 'DEFERRED', 'HELD'))")) {
            rs.next();
            Report report = new Report(rs.getInt(1), rs.getInt(2), List.of(), damaged);
            c.commit();
            return report;
        } catch (SQLException e) {
            throw new QueueException(Kind.IO, "counting the rebuilt queue " + file + ": " + e.getMessage(), e);
        }
    }

    private static Report copyAll(Connection source, H2MessageQueue queue) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Statement st = source.createStatement(); ResultSet rs = st.executeQuery("SELECT queue_id FROM message")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        int messages = 0;
        int recipients = 0;
        List<String> lost = new ArrayList<>();
        try (Connection target = queue.connection()) {
            for (String id : ids) {
                try {
                    copyRows(source, target, "message", "queue_id = ?", id);
                    recipients += copyRows(source, target, "recipient", "queue_id = ?", id);
                    copyRows(source, target, "attempt", "queue_id = ?", id);
                    target.commit();
                    messages++;
                } catch (SQLException | RuntimeException e) {
                    target.rollback();
                    source.rollback();
                    lost.add(id + " (" + e.getMessage() + ")");
                }
            }
            // the copied rows kept their ids: the identity columns continue after the largest
            for (String table : List.of("recipient", "attempt")) {
                long next;
                try (Statement st = target.createStatement();
                     ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(id), 0) + 1 FROM " + table)) {
                    rs.next();
                    next = rs.getLong(1);
                }
                try (Statement st = target.createStatement()) {
                    st.execute("ALTER TABLE " + table + " ALTER COLUMN id RESTART WITH " + next);
                }
            }
            target.commit();
            queue.sync(target);
        }
        return new Report(messages, recipients, lost, null);
    }

    /** Copies the rows of {@code table} that match {@code where}, column by column by name; returns how many. */
    private static int copyRows(Connection source, Connection target, String table, String where, String id)
            throws SQLException {
        int n = 0;
        try (PreparedStatement read = source.prepareStatement("SELECT * FROM " + table + " WHERE " + where)) {
            read.setString(1, id);
            try (ResultSet rs = read.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                StringJoiner columns = new StringJoiner(", ");
                StringJoiner marks = new StringJoiner(", ");
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    columns.add(md.getColumnName(i));
                    marks.add("?");
                }
                try (PreparedStatement write = target.prepareStatement("INSERT INTO " + table + " (" + columns
                        + ") VALUES (" + marks + ")")) {
                    while (rs.next()) {
                        for (int i = 1; i <= md.getColumnCount(); i++) {
                            if (md.getColumnType(i) == java.sql.Types.BLOB) {
                                // read whole here, so that a damaged body fails this message, not the file
                                write.setBytes(i, rs.getBytes(i));
                            } else {
                                write.setObject(i, rs.getObject(i));
                            }
                        }
                        write.executeUpdate();
                        n++;
                    }
                }
            }
        }
        return n;
    }

    private static java.util.Properties credentials() {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", "relay");
        p.setProperty("password", "");
        return p;
    }

    /** Deletes {@code dir} and everything in it. */
    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
