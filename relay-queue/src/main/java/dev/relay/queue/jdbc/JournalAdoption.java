package dev.relay.queue.jdbc;

import dev.relay.queue.MessageBody;
import dev.relay.queue.QueueException;
import dev.relay.queue.QueueException.Kind;
import dev.relay.queue.RecipientState;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Blob;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first start on a queue of a version without the {@link Journal}: every message that is not
 * finished is copied into a new journal (envelope, body, and what the journal records about it:
 * final, held and to-bounce recipients), and the database is pointed at the copies.
 *
 * <p>The journal is written in {@code spool.adopting} and renamed to {@code spool} only once it is
 * complete and forced; a crash before that leaves the queue as the older version left it, and the
 * next start does it again. After the rename the journal is the record, and the database rows are
 * updated to name it (a crash between the two: the next start rebuilds the database from the
 * journal, which is complete).
 */
final class JournalAdoption {
    private static final Logger LOG = LoggerFactory.getLogger("dev.relay.queue");
    private static final String WORK = Journal.FOLDER + ".adopting";

    private JournalAdoption() {
    }

    static Journal adopt(DataSource pool, Path dir, String fileSystem, Path file) {
        long started = System.nanoTime();
        Map<String, Journal.Location> moved = new HashMap<>();
        try {
            if (Files.exists(dir.resolve(WORK))) {
                QueueSalvage.deleteTree(dir.resolve(WORK));
            }
            try (Journal work = Journal.open(dir, WORK, fileSystem); Connection c = pool.getConnection()) {
                List<String> ids = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT queue_id FROM message"
                        + " WHERE spool_segment IS NULL AND finished_at IS NULL ORDER BY arrival, queue_id");
                     ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
                for (String id : ids) {
                    moved.put(id, copy(c, work, id));
                }
                c.commit();
                work.forceMessages();
            }
            Files.move(dir.resolve(WORK), dir.resolve(Journal.FOLDER), StandardCopyOption.ATOMIC_MOVE);
            Journal.forceFolder(dir);
        } catch (IOException | SQLException e) {
            throw new QueueException(Kind.IO, "copying the messages of " + file + " into a new queue journal in "
                    + dir.resolve(Journal.FOLDER) + " failed: " + e.getMessage(), e);
        }
        Journal journal;
        try {
            journal = Journal.open(dir, Journal.FOLDER, fileSystem);
        } catch (IOException e) {
            throw new QueueException(Kind.IO, "cannot open the queue journal in " + dir + ": " + e.getMessage(), e);
        }
        try (Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE message SET spool_segment = ?, spool_offset = ?,"
                     + " body = NULL WHERE queue_id = ?")) {
            for (Map.Entry<String, Journal.Location> e : moved.entrySet()) {
                ps.setLong(1, e.getValue().segment());
                ps.setLong(2, e.getValue().bodyOffset());
                ps.setString(3, e.getKey());
                ps.addBatch();
            }
            ps.executeBatch();
            c.commit();
        } catch (SQLException e) {
            try {
                journal.close();
            } catch (IOException x) {
                e.addSuppressed(x);
            }
            throw new QueueException(Kind.IO, "pointing " + file + " at its new journal failed: " + e.getMessage()
                    + " (the next start rebuilds it from the journal)", e);
        }
        LOG.info("queue: {} messages of {} moved into the queue journal {} in {} ms", moved.size(), file,
                journal.folder(), (System.nanoTime() - started) / 1_000_000);
        return journal;
    }

    /** One message into the journal, with its control records; where its body went. */
    private static Journal.Location copy(Connection c, Journal work, String id) throws SQLException, IOException {
        List<Journal.StoredRecipient> rcpts = new ArrayList<>();
        Map<Integer, RecipientState> finals = new HashMap<>();
        boolean held = false;
        String bounce = null;
        try (PreparedStatement ps = c.prepareStatement("SELECT seq, forward_path, orcpt, notify, state,"
                + " admin_bounce_reason FROM recipient WHERE queue_id = ? ORDER BY seq")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int seq = rs.getInt(1);
                    if (seq != rcpts.size()) {
                        throw new SQLException(id + ": recipient positions are not 0.." + rcpts.size());
                    }
                    rcpts.add(new Journal.StoredRecipient(rs.getString(2), rs.getString(3), rs.getString(4)));
                    RecipientState state = RecipientState.valueOf(rs.getString(5));
                    if (state == RecipientState.DELIVERED || state == RecipientState.FAILED) {
                        finals.put(seq, state);
                    } else if (state == RecipientState.HELD) {
                        held = true;
                    }
                    if (rs.getString(6) != null && state != RecipientState.DELIVERED && state != RecipientState.FAILED) {
                        bounce = rs.getString(6);
                    }
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT reverse_path, mail_params, client_address, helo_name,"
                + " auth_user, protocol, arrival, size_bytes, body FROM message WHERE queue_id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException(id + ": gone while it was copied");
                }
                long size = rs.getLong(8);
                Journal.StoredMessage m = new Journal.StoredMessage(id, rs.getString(1), rs.getString(2),
                        rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getLong(7), size, rcpts);
                Blob blob = rs.getBlob(9);
                Journal.Location at = work.append(m, new MessageBody() {
                    @Override
                    public long size() {
                        return size;
                    }

                    @Override
                    public InputStream open() throws IOException {
                        try {
                            return blob.getBinaryStream();
                        } catch (SQLException e) {
                            throw new IOException(e.getMessage(), e);
                        }
                    }
                });
                blob.free();
                if (!finals.isEmpty()) {
                    work.finals(at.segment(), id, finals, true);
                }
                if (held) {
                    work.control(at.segment(), id, Journal.HOLD, null, true);
                }
                if (bounce != null) {
                    work.control(at.segment(), id, Journal.BOUNCE, bounce, true);
                }
                return at;
            }
        }
    }
}
