package dev.relay.queue.jdbc;

import dev.relay.mail.AddressException;
import dev.relay.mail.EnhancedStatus;
import dev.relay.mail.MailParameters;
import dev.relay.mail.Notify;
import dev.relay.mail.ParameterException;
import dev.relay.mail.Path;
import dev.relay.mail.RcptParameters;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.QueueException;
import dev.relay.queue.QueueId;
import dev.relay.queue.Recipient;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Conversions between the model values and their columns; the one place that knows the text forms. */
final class Rows {
    private Rows() {
    }

    static String notifyText(Set<Notify> notifyOn) {
        if (notifyOn.isEmpty()) {
            return null;
        }
        return EnumSet.copyOf(notifyOn).stream().map(Enum::name).collect(Collectors.joining(","));
    }

    static Set<Notify> notifySet(String text) {
        if (text == null || text.isEmpty()) {
            return Set.of();
        }
        return Arrays.stream(text.split(",")).map(Notify::valueOf).collect(Collectors.toSet());
    }

    static String mailParamsText(MailParameters p) {
        return p == null ? "" : String.join(" ", p.toParameterList());
    }

    static Path path(QueueId id, String text) {
        try {
            return Path.parse(text);
        } catch (AddressException e) {
            throw new QueueException(QueueException.Kind.CORRUPT, id + ": stored path does not parse: " + e.getMessage(), e);
        }
    }

    static MailParameters mailParams(QueueId id, String text) {
        try {
            return text.isEmpty() ? MailParameters.NONE : MailParameters.parse(text);
        } catch (ParameterException e) {
            throw new QueueException(QueueException.Kind.CORRUPT, id + ": stored MAIL parameters do not parse: "
                    + e.getMessage(), e);
        }
    }

    static Recipient recipient(QueueId id, String forwardPath, String orcpt, String notify) {
        return new Recipient(path(id, forwardPath), new RcptParameters(notifySet(notify), orcpt));
    }

    /** The reply stored in three columns, or null when the code is null. */
    static SmtpReply reply(ResultSet rs, String codeColumn, String statusColumn, String textColumn)
            throws SQLException {
        int code = rs.getInt(codeColumn);
        if (rs.wasNull()) {
            return null;
        }
        String status = rs.getString(statusColumn);
        String text = rs.getString(textColumn);
        return new SmtpReply(code, status == null ? null : EnhancedStatus.parse(status),
                text == null ? List.of() : List.of(text.split("\n", -1)));
    }

    /** Sets code, status and text of a reply at {@code index}, {@code index + 1}, {@code index + 2}. */
    static void setReply(PreparedStatement ps, int index, SmtpReply reply) throws SQLException {
        if (reply == null) {
            ps.setNull(index, Types.INTEGER);
            ps.setNull(index + 1, Types.VARCHAR);
            ps.setNull(index + 2, Types.VARCHAR);
            return;
        }
        ps.setInt(index, reply.code());
        ps.setString(index + 1, reply.status() == null ? null : reply.status().toString());
        ps.setString(index + 2, String.join("\n", reply.lines()));
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    static void setLong(PreparedStatement ps, int index, Long value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.BIGINT);
        } else {
            ps.setLong(index, value);
        }
    }

    /** {@code ?,?,?} for an IN list of {@code n} values. */
    static String marks(int n) {
        return String.join(",", java.util.Collections.nCopies(n, "?"));
    }
}
