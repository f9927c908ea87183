package dev.relay.queue.jdbc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import org.h2.store.fs.FilePath;
import org.h2.store.fs.FilePathWrapper;

/**
 * An H2 file system ({@code filling:} in a database URL) over the ordinary one, whose writes fail
 * with the operating system's "No space left on device" while {@link #full} is set: a disk that
 * fills up and gets room again, without mounting anything.
 */
public final class FillingDisk extends FilePathWrapper {
    /** For H2, which makes one per path by reflection. */
    public FillingDisk() {
    }

    static final String SCHEME = "filling";
    static volatile boolean full;
    /** While set, only the database file ({@code *.mv.db}) is full: the journal beside it still has room. */
    static volatile boolean databaseOnly;

    static {
        FilePath.register(new FillingDisk());
    }

    /** Registers the file system with H2 (once). */
    static void register() {
        // the static initialiser did it
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public FileChannel open(String mode) throws IOException {
        return new Channel(super.open(mode), name.endsWith(".mv.db"));
    }

    /** The real channel, whose writes and syncs fail while the disk is full. */
    private static final class Channel extends ForwardingFileChannel {
        private final boolean database;

        Channel(FileChannel base, boolean database) {
            super(base);
            this.database = database;
        }

        private void checkRoom() throws IOException {
            if (full && (database || !databaseOnly)) {
                throw new IOException("No space left on device");
            }
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            checkRoom();
            return base.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            checkRoom();
            return base.write(srcs, offset, length);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            checkRoom();
            return base.write(src, position);
        }

        @Override
        public void force(boolean metaData) throws IOException {
            checkRoom();
            base.force(metaData);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            checkRoom();
            return base.transferFrom(src, position, count);
        }
    }
}
