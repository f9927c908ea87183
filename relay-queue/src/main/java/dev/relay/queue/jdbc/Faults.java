package dev.relay.queue.jdbc;

import dev.relay.queue.QueueException;
import dev.relay.queue.QueueException.Kind;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Locale;
import org.h2.api.ErrorCode;

/**
 * Turns JDBC and I/O failures into {@link QueueException}s whose message names the database file
 * and says what an operator should do. A full disk is recognised from the error text of the OS
 * ({@code ENOSPC}: "No space left on device") anywhere in the cause chain, because H2 reports it
 * as a general I/O error.
 */
final class Faults {
    private Faults() {
    }

    /** A failure while opening the database file. */
    static QueueException onOpen(SQLException e, Path file) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.io.IOException io && io.getMessage() != null
                    && io.getMessage().contains(StoreRecovery.RECOVER_HINT)) {
                return new QueueException(Kind.CORRUPT, io.getMessage(), e); // StoreRecovery's verdict, as it is
            }
        }
        switch (e.getErrorCode()) {
            case ErrorCode.DATABASE_ALREADY_OPEN_1:
                return new QueueException(Kind.LOCKED, "the queue database " + file
                        + " is locked by another process (is another relay running on this data folder?):"
                        + " stop that process, or give this one another queue.directory", e);
            case ErrorCode.FILE_CORRUPTED_1:
                return corrupt(file, e);
            case ErrorCode.FILE_VERSION_ERROR_1:
                return new QueueException(Kind.CORRUPT, "the queue database " + file
                        + " was written by another H2 version or is not an H2 database: export it with the H2"
                        + " version that wrote it (org.h2.tools.Script) and import it with H2 "
                        + org.h2.engine.Constants.VERSION + " (org.h2.tools.RunScript), or restore a backup", e);
            case ErrorCode.WRONG_USER_OR_PASSWORD:
                return new QueueException(Kind.IO, "the queue database " + file
                        + " was not created by the relay (wrong user): give the relay its own queue.directory", e);
            default:
                if (isDiskFull(e)) {
                    return diskFull(file, e);
                }
                if (mentions(e, "corrupt") || mentions(e, "file header")) {
                    return corrupt(file, e);
                }
                return new QueueException(Kind.IO, "cannot open the queue database " + file + ": "
                        + e.getMessage(), e);
        }
    }

    /** A failure of a running queue operation. */
    static QueueException onOperation(String what, Exception e, Path file) {
        if (e instanceof QueueException q) {
            return q;
        }
        if (isDiskFull(e)) {
            return new QueueException(Kind.STORAGE_FULL, what + ": " + diskFull(file, e).getMessage(), e);
        }
        if (e instanceof SQLException s && s.getErrorCode() == ErrorCode.FILE_CORRUPTED_1) {
            return corrupt(file, e);
        }
        if (e instanceof SQLException s && s.getErrorCode() == ErrorCode.DATABASE_IS_CLOSED) {
            return new QueueException(Kind.CLOSED, what + ": the queue database " + file + " is closed", e);
        }
        return new QueueException(Kind.IO, what + " failed on " + file + ": " + e.getMessage(), e);
    }

    /** Whether H2 had closed the database (after a write it could not do) when {@code e} happened. */
    static boolean closedByH2(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException s && s.getErrorCode() == ErrorCode.DATABASE_IS_CLOSED) {
                return true;
            }
        }
        return false;
    }

    static QueueException diskFull(Path file, Throwable e) {
        return new QueueException(Kind.STORAGE_FULL, "no space left for the queue database " + file
                + ": free disk space on that file system (the message was not accepted)", e);
    }

    private static QueueException corrupt(Path file, Throwable e) {
        return new QueueException(Kind.CORRUPT, "the queue database " + file + " is corrupt: stop the relay,"
                + " move the file aside and restore the last backup of the data folder (or salvage what is left"
                + " with org.h2.tools.Recover), then start again", e);
    }

    static boolean isDiskFull(Throwable e) {
        return mentions(e, "no space left on device") || mentions(e, "disk full")
                || mentions(e, "not enough space");
    }

    private static boolean mentions(Throwable e, String text) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.toLowerCase(Locale.ROOT).contains(text)) {
                return true;
            }
        }
        return false;
    }
}
