package dev.relay.queue.jdbc;

import java.io.IOException;
import java.nio.channels.FileChannel;
import org.h2.store.fs.FilePath;
import org.h2.store.fs.FilePathWrapper;

/**
 * An H2 file system ({@code recovering:} in front of the queue's database URL) that runs
 * {@link StoreRecovery#check} on a store file each time H2 opens it for writing: at start-up and
 * also when the queue opens the database again after H2 closed it on a failed write (a full disk),
 * which is the other moment a store left behind by a failure is opened. Everything else is the
 * file system it wraps ({@code file:} in production, a test's failing disk in tests).
 */
public final class RecoveringFileSystem extends FilePathWrapper {
    static final String SCHEME = "recovering";
    private static final String STORE_SUFFIX = ".mv.db";

    static {
        FilePath.register(new RecoveringFileSystem());
    }

    /** For H2, which makes one per path by reflection. */
    public RecoveringFileSystem() {
    }

    /** Registers the file system with H2 (once); returns its URL prefix. */
    static String prefix() {
        return SCHEME + ":";
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public FileChannel open(String mode) throws IOException {
        FilePath base = getBase();
        if (!"r".equals(mode) && base.getName().endsWith(STORE_SUFFIX)) {
            StoreRecovery.check(base.toString());
        }
        return base.open(mode);
    }
}
