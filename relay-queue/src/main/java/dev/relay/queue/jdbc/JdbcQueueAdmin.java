package dev.relay.queue.jdbc;

import dev.relay.mail.Path;
import dev.relay.queue.admin.Attempt;
import dev.relay.queue.Envelope;
import dev.relay.queue.admin.MessageDetail;
import dev.relay.queue.admin.MessageView;
import dev.relay.queue.Origin;
import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.QueueId;
import dev.relay.queue.admin.QueueStats;
import dev.relay.queue.Recipient;
import dev.relay.queue.RecipientState;
import dev.relay.queue.admin.RecipientView;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link QueueAdmin} on the H2 queue. Each change is one transaction, except {@link #retryAll}, which
 * works in batches of {@value #BATCH} recipients so that a large queue is never locked as a whole.
 * Leased recipients (being delivered now) are left alone by retry; hold takes them out of the claim
 * index at once, so a held recipient is never claimed again until released.
 *
 * <p>{@link #stats}: {@code ageHistogramByNextHop} has {@code ageBuckets.size() + 1} counts per next
 * hop: count {@code i} is the non-final recipients whose message is younger than bucket limit
 * {@code i} (sorted) and not younger than limit {@code i - 1}; the last count is the rest (older
 * than every limit), like the last column of Postfix's qshape.
 */
final class JdbcQueueAdmin implements QueueAdmin {
    private static final Logger LOG = LoggerFactory.getLogger("dev.relay.queue");
    private static final int BATCH = 1_000;
    private static final String OPEN_STATES = "('QUEUED', 'DEFERRED', 'HELD')";
    private static final String RECIPIENT_COLUMNS = "id, queue_id, forward_path, orcpt, notify, state, attempts,"
            + " next_attempt, last_code, last_status, last_text, last_next_hop";
    /** A route's next hop as relayctl routes prints it: {@code [host]:port} or {@code host:port}. */
    private static final Pattern ROUTE_HOP = Pattern.compile("(?:\\[([^\\]\\s]+)\\]|([^\\[\\]:\\s]+)):(\\d{1,5})");
    private static final Pattern DOMAIN = Pattern.compile("[A-Za-z0-9.-]+");

    private final H2MessageQueue queue;

    JdbcQueueAdmin(H2MessageQueue queue) {
        this.queue = queue;
    }

    @Override
    public List<MessageView> list(QueueFilter filter, int offset, int limit) {
        if (limit <= 0) {
            return List.of();
        }
        List<Object> args = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT m.queue_id, m.size_bytes, m.arrival, m.reverse_path"
                + " FROM message m WHERE 1 = 1");
        filter(sql, args, filter);
        sql.append(" ORDER BY m.arrival, m.queue_id OFFSET ? ROWS FETCH NEXT ? ROWS ONLY");
        args.add(Math.max(0, offset));
        args.add(limit);
        return views(sql.toString(), args);
    }

    @Override
    public List<MessageView> listAfter(QueueFilter filter, MessageView after, int limit) {
        if (limit <= 0) {
            return List.of();
        }
        List<Object> args = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT m.queue_id, m.size_bytes, m.arrival, m.reverse_path"
                + " FROM message m WHERE 1 = 1");
        if (after != null) {
            // (arrival, queue_id) > (a, q), written so that the index on arrival bounds the scan.
            long a = after.arrival().toEpochMilli();
            sql.append(" AND m.arrival >= ? AND (m.arrival > ? OR m.queue_id > ?)");
            args.add(a);
            args.add(a);
            args.add(after.id().value());
        }
        filter(sql, args, filter);
        sql.append(" ORDER BY m.arrival, m.queue_id FETCH FIRST ? ROWS ONLY");
        args.add(limit);
        return views(sql.toString(), args);
    }

    @Override
    public List<QueueId> ids(QueueFilter filter, QueueId after, int limit) {
        if (limit <= 0) {
            return List.of();
        }
        List<Object> args = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT m.queue_id FROM message m WHERE 1 = 1");
        if (after != null) {
            sql.append(" AND m.queue_id > ?");
            args.add(after.value());
        }
        filter(sql, args, filter);
        sql.append(" ORDER BY m.queue_id FETCH FIRST ? ROWS ONLY");
        args.add(limit);
        List<QueueId> ids = new ArrayList<>();
        try (Connection c = queue.connection()) {
            try (PreparedStatement ps = prepare(c, sql.toString(), args); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(new QueueId(rs.getString(1)));
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw queue.fault("selecting messages", e);
        }
        return ids;
    }

    @Override
    public long count(QueueFilter filter) {
        List<Object> args = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT COUNT(*) FROM message m WHERE 1 = 1");
        filter(sql, args, filter);
        try (Connection c = queue.connection()) {
            long n;
            try (PreparedStatement ps = prepare(c, sql.toString(), args); ResultSet rs = ps.executeQuery()) {
                rs.next();
                n = rs.getLong(1);
            }
            c.commit();
            return n;
        } catch (SQLException e) {
            throw queue.fault("counting messages", e);
        }
    }

    @Override
    public Optional<InputStream> body(QueueId id) {
        try {
            return Optional.of(queue.openBody(id));
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new dev.relay.queue.QueueException(dev.relay.queue.QueueException.Kind.IO,
                    id + ": reading the message: " + e.getMessage(), e);
        }
    }

    /** Appends the filter's conditions on message {@code m} (a message matches when any recipient does). */
    private void filter(StringBuilder sql, List<Object> args, QueueFilter filter) {
        QueueFilter f = filter == null ? QueueFilter.ALL : filter;
        if (f.olderThan() != null) {
            sql.append(" AND m.arrival < ?");
            args.add(queue.clock().millis() - f.olderThan().toMillis());
        }
        if (f.from() != null) {
            sql.append(" AND LOWER(m.reverse_path) LIKE ? ESCAPE '\\'");
            args.add(like(f.from()));
        }
        if (f.state() != null || f.to() != null || f.nextHop() != null) {
            sql.append(" AND EXISTS (SELECT 1 FROM recipient r WHERE r.queue_id = m.queue_id");
            if (f.state() != null) {
                sql.append(" AND r.state = ?");
                args.add(f.state().name());
            }
            if (f.to() != null) {
                sql.append(" AND LOWER(r.forward_path) LIKE ? ESCAPE '\\'");
                args.add(like(f.to()));
            }
            if (f.nextHop() != null) {
                sql.append(" AND ").append(nextHop("r", f.nextHop(), args));
            }
            sql.append(')');
        }
    }

    /**
     * The condition "recipient {@code r} was last tried at {@code text}": a substring of the recorded
     * next hop; a route's next hop as relayctl routes prints it ({@code host:port} or
     * {@code [host]:port}, options after a space ignored), which matches the route itself (recorded when
     * no session was opened) and every server it led to ({@code host[address]:port}, {@code
     * mx1.host[address]:port}); or the recipient's domain (Postfix's "site" of {@code postqueue -s}).
     */
    static String nextHop(String r, String text, List<Object> args) {
        String t = text.strip();
        StringBuilder sql = new StringBuilder("(LOWER(" + r + ".last_next_hop) LIKE ? ESCAPE '\\'");
        args.add(like(t));
        String first = t.split("\\s+", 2)[0];
        Matcher m = ROUTE_HOP.matcher(first);
        if (m.matches()) {
            String host = m.group(1) != null ? m.group(1) : m.group(2);
            sql.append(" OR LOWER(").append(r).append(".last_next_hop) LIKE ? ESCAPE '\\'");
            args.add(like(host) + ":" + m.group(3));
        } else if (DOMAIN.matcher(t).matches()) {
            sql.append(" OR LOWER(").append(r).append(".forward_path) LIKE ? ESCAPE '\\'");
            args.add("%@" + escape(t) + ">");
        }
        return sql.append(')').toString();
    }

    private List<MessageView> views(String sql, List<Object> args) {
        try (Connection c = queue.connection()) {
            Map<String, Object[]> heads = new LinkedHashMap<>();
            try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    heads.put(rs.getString(1), new Object[] {rs.getLong(2), Rows.instant(rs, "arrival"),
                        rs.getString(4)});
                }
            }
            Map<String, List<RecipientView>> recipients = recipients(c, heads.keySet());
            c.commit();
            List<MessageView> views = new ArrayList<>(heads.size());
            for (Map.Entry<String, Object[]> e : heads.entrySet()) {
                QueueId id = new QueueId(e.getKey());
                Object[] h = e.getValue();
                views.add(new MessageView(id, (Long) h[0], (java.time.Instant) h[1],
                        Rows.path(id, (String) h[2]), recipients.getOrDefault(e.getKey(), List.of())));
            }
            return views;
        } catch (SQLException e) {
            throw queue.fault("listing the queue", e);
        }
    }

    @Override
    public Optional<MessageDetail> show(QueueId id) {
        MessageView view;
        Envelope envelope;
        List<Attempt> history = new ArrayList<>();
        try (Connection c = queue.connection()) {
            try (PreparedStatement ps = prepare(c, "SELECT size_bytes, arrival, reverse_path, mail_params,"
                    + " client_address, helo_name, auth_user, protocol FROM message WHERE queue_id = ?",
                    List.of(id.value())); ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    c.commit();
                    return Optional.empty();
                }
                List<RecipientView> rcpts = recipients(c, List.of(id.value())).getOrDefault(id.value(), List.of());
                Path reversePath = Rows.path(id, rs.getString("reverse_path"));
                view = new MessageView(id, rs.getLong("size_bytes"), Rows.instant(rs, "arrival"), reversePath, rcpts);
                List<Recipient> envelopeRecipients = new ArrayList<>();
                try (PreparedStatement rp = prepare(c, "SELECT forward_path, orcpt, notify FROM recipient"
                        + " WHERE queue_id = ? ORDER BY seq", List.of(id.value())); ResultSet rr = rp.executeQuery()) {
                    while (rr.next()) {
                        envelopeRecipients.add(Rows.recipient(id, rr.getString(1), rr.getString(2), rr.getString(3)));
                    }
                }
                if (rcpts.isEmpty() || envelopeRecipients.isEmpty()) {
                    // Reads are READ COMMITTED: the forwarder removed the message's last recipient (and is
                    // removing the message) between the reads above. For the caller it is gone.
                    c.commit();
                    return Optional.empty();
                }
                envelope = new Envelope(reversePath, Rows.mailParams(id, rs.getString("mail_params")),
                        envelopeRecipients, new Origin(rs.getString("client_address"), rs.getString("helo_name"),
                        rs.getString("auth_user"), view.arrival(), rs.getString("protocol")));
            }
            try (PreparedStatement ps = prepare(c, "SELECT recipient_id, at_time, next_hop, outcome, code, status,"
                    + " text FROM attempt WHERE queue_id = ? ORDER BY at_time, id", List.of(id.value()));
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    history.add(new Attempt(rs.getLong("recipient_id"), Rows.instant(rs, "at_time"),
                            rs.getString("next_hop"), RecipientState.valueOf(rs.getString("outcome")),
                            Rows.reply(rs, "code", "status", "text")));
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw queue.fault(id + ": show", e);
        }
        String headers;
        try (InputStream in = queue.openBody(id)) {
            headers = headerSection(in, queue.settings().maxHeaderBytes());
        } catch (IOException e) {
            // Deleted between the two reads, or unreadable: show what there is.
            headers = "";
            LOG.debug("{}: reading headers: {}", id, e.getMessage());
        }
        return Optional.of(new MessageDetail(view, envelope, headers, history));
    }

    @Override
    public int retry(Collection<QueueId> ids) {
        // Not noted in the journal: after a crash every recipient is tried again at once anyway.
        return byIds("UPDATE recipient SET next_attempt = ? WHERE state IN ('QUEUED', 'DEFERRED')"
                + " AND lease_owner IS NULL AND queue_id IN (%s)", ids, (byte) 0, null, queue.clock().millis());
    }

    /**
     * In batches of {@value #BATCH} recipients, each one UPDATE over a range of row ids: the end of
     * the range is found by reading one row id (the batch's last), so no list of ids travels and the
     * UPDATE walks the primary key. What bounds it is the work per recipient that no statement
     * saves: each row and its entry in the claim index {@code recipient_due} are rewritten. One
     * UPDATE of the whole queue would do the same work but hold every row's lock until its commit,
     * stopping the forwarder's claims for as long.
     */
    @Override
    public int retryAll(String nextHop, LongConsumer progress) {
        long total = 0;
        long after = Long.MIN_VALUE;
        long now = queue.clock().millis();
        while (true) {
            List<Object> args = new ArrayList<>();
            args.add(after);
            String hop = nextHop == null ? "" : " AND " + nextHop("recipient", nextHop, args);
            String open = " AND state IN ('QUEUED', 'DEFERRED') AND lease_owner IS NULL" + hop;
            Long last = null;
            try (Connection c = queue.connection()) {
                List<Object> find = new ArrayList<>(args);
                find.add(BATCH - 1);
                try (PreparedStatement ps = prepare(c, "SELECT id FROM recipient WHERE id > ?" + open
                        + " ORDER BY id OFFSET ? ROWS FETCH NEXT 1 ROW ONLY", find); ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        last = rs.getLong(1);
                    }
                }
                List<Object> up = new ArrayList<>();
                up.add(now);
                up.add(after);
                up.add(last == null ? Long.MAX_VALUE : last);
                up.addAll(args.subList(1, args.size()));
                int n;
                try (PreparedStatement ps = prepare(c, "UPDATE recipient SET next_attempt = ? WHERE id > ? AND id <= ?"
                        + open, up)) {
                    n = ps.executeUpdate();
                }
                c.commit();
                total += n;
            } catch (SQLException e) {
                throw queue.fault("retry all", e);
            }
            if (progress != null) {
                progress.accept(total);
            }
            if (last == null) {
                break;
            }
            after = last;
        }
        return (int) Math.min(Integer.MAX_VALUE, total);
    }

    @Override
    public int hold(Collection<QueueId> ids) {
        return byIds("UPDATE recipient SET state = 'HELD', next_attempt = CAST(NULL AS BIGINT)"
                + " WHERE state IN ('QUEUED', 'DEFERRED') AND queue_id IN (%s)", ids, Journal.HOLD, null);
    }

    @Override
    public int release(Collection<QueueId> ids) {
        return byIds("UPDATE recipient SET state = CASE WHEN attempts > 0 THEN 'DEFERRED' ELSE 'QUEUED' END,"
                + " next_attempt = ?, lease_owner = NULL, lease_until = NULL, lease_token = NULL"
                + " WHERE state = 'HELD' AND queue_id IN (%s)", ids, Journal.RELEASE, null, queue.clock().millis());
    }

    @Override
    public int delete(Collection<QueueId> ids) {
        if (ids.isEmpty()) {
            return 0;
        }
        Map<String, Long> deleted = new java.util.LinkedHashMap<>();
        List<Object> args = new ArrayList<>();
        ids.forEach(i -> args.add(i.value()));
        queue.adminLock.lock(); // the segments read here are where the journal notes the delete
        try (Connection c = queue.connection()) {
            try (PreparedStatement ps = prepare(c, "SELECT queue_id, spool_segment FROM message WHERE queue_id IN ("
                    + Rows.marks(ids.size()) + ")", args); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long segment = rs.getLong(2);
                    deleted.put(rs.getString(1), rs.wasNull() ? null : segment);
                }
            }
            try (PreparedStatement ps = prepare(c, "DELETE FROM message WHERE queue_id IN ("
                    + Rows.marks(ids.size()) + ")", args)) {
                ps.executeUpdate();
            }
            c.commit();
            queue.journalAdmin(deleted, Journal.FINISHED, null); // a deleted message stays deleted after a crash
        } catch (SQLException e) {
            throw queue.fault("delete", e);
        } finally {
            queue.adminLock.unlock();
        }
        for (String id : deleted.keySet()) {
            LOG.info("{}: removed (deleted by the administrator)", id);
        }
        return deleted.size();
    }

    @Override
    public int bounce(Collection<QueueId> ids, String reason) {
        String r = reason == null || reason.isBlank() ? "bounced by the administrator" : reason;
        long now = queue.clock().millis();
        int n = byIds("UPDATE recipient SET admin_bounce_reason = ?,"
                + " next_attempt = CASE WHEN lease_owner IS NULL OR state = 'HELD' THEN ? ELSE next_attempt END,"
                + " state = CASE WHEN state <> 'HELD' THEN state WHEN attempts > 0 THEN 'DEFERRED' ELSE 'QUEUED' END"
                + " WHERE state IN " + OPEN_STATES + " AND queue_id IN (%s)", ids, Journal.BOUNCE, r, r, now);
        for (QueueId id : ids) {
            LOG.info("{}: bounce requested by the administrator: {}", id, r);
        }
        return n;
    }

    @Override
    public QueueStats stats(List<Duration> ageBuckets) {
        List<Duration> buckets = ageBuckets.stream().sorted().toList();
        Map<RecipientState, Long> byState = new EnumMap<>(RecipientState.class);
        for (RecipientState s : RecipientState.values()) {
            byState.put(s, 0L);
        }
        Map<String, Long> byHop = new TreeMap<>();
        Map<String, long[]> histogram = new TreeMap<>();
        long now = queue.clock().millis();
        try (Connection c = queue.connection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT state, COUNT(*) FROM recipient GROUP BY state");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    byState.put(RecipientState.valueOf(rs.getString(1)), rs.getLong(2));
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(r.last_next_hop, '-') AS hop, m.arrival,"
                    + " COUNT(*) FROM recipient r JOIN message m ON m.queue_id = r.queue_id"
                    + " WHERE r.state IN " + OPEN_STATES + " GROUP BY COALESCE(r.last_next_hop, '-'), m.arrival");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String hop = rs.getString(1);
                    long age = now - rs.getLong(2);
                    long count = rs.getLong(3);
                    byHop.merge(hop, count, Long::sum);
                    long[] h = histogram.computeIfAbsent(hop, k -> new long[buckets.size() + 1]);
                    int i = 0;
                    while (i < buckets.size() && age >= buckets.get(i).toMillis()) {
                        i++;
                    }
                    h[i] += count;
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw queue.fault("stats", e);
        }
        return new QueueStats(byState, byHop, buckets, histogram);
    }

    /** The header section: the bytes up to the first empty line, at most {@code max} bytes, as UTF-8. */
    static String headerSection(InputStream in, int max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(max, 8192));
        int prev = -1;
        int prev2 = -1;
        int b;
        while (out.size() < max && (b = in.read()) >= 0) {
            // An empty line: LF directly after the LF that ended the previous line (CR ignored).
            if (b == '\n' && (prev == '\n' || (prev == '\r' && prev2 == '\n'))) {
                break;
            }
            out.write(b);
            prev2 = prev;
            prev = b;
        }
        String text = out.toString(StandardCharsets.UTF_8);
        return text.stripTrailing();
    }

    private Map<String, List<RecipientView>> recipients(Connection c, Collection<String> ids) throws SQLException {
        Map<String, List<RecipientView>> result = new LinkedHashMap<>();
        if (ids.isEmpty()) {
            return result;
        }
        try (PreparedStatement ps = prepare(c, "SELECT " + RECIPIENT_COLUMNS + " FROM recipient WHERE queue_id IN ("
                + Rows.marks(ids.size()) + ") ORDER BY queue_id, seq", new ArrayList<>(ids));
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String qid = rs.getString("queue_id");
                QueueId id = new QueueId(qid);
                result.computeIfAbsent(qid, k -> new ArrayList<>()).add(new RecipientView(rs.getLong("id"),
                        Rows.path(id, rs.getString("forward_path")), rs.getString("orcpt"), rs.getString("notify"),
                        RecipientState.valueOf(rs.getString("state")), rs.getInt("attempts"),
                        Rows.instant(rs, "next_attempt"), Rows.reply(rs, "last_code", "last_status", "last_text"),
                        rs.getString("last_next_hop")));
            }
        }
        return result;
    }

    /**
     * Runs an update whose {@code %s} is the IN list of {@code ids}, after the leading arguments;
     * then, unless {@code journalType} is 0, notes the change of every message that exists in the
     * queue's journal (forced), so that it holds after a crash.
     */
    private int byIds(String sqlFormat, Collection<QueueId> ids, byte journalType, String reason, Object... leading) {
        if (ids.isEmpty()) {
            return 0;
        }
        List<Object> args = new ArrayList<>(List.of(leading));
        ids.forEach(i -> args.add(i.value()));
        queue.adminLock.lock();
        try {
            int n = queue.update(String.format(sqlFormat, Rows.marks(ids.size())), args.toArray());
            if (journalType != 0) {
                queue.journalAdmin(queue.segmentsOf(ids), journalType, reason);
            }
            return n;
        } finally {
            queue.adminLock.unlock();
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, List<?> args) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < args.size(); i++) {
            ps.setObject(i + 1, args.get(i));
        }
        return ps;
    }

    /** A LIKE pattern for a case-insensitive substring, with the wildcards of the text escaped. */
    private static String like(String text) {
        return "%" + escape(text) + "%";
    }

    /** {@code text} in lower case with the LIKE wildcards escaped. */
    private static String escape(String text) {
        return text.toLowerCase(Locale.ROOT).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}
