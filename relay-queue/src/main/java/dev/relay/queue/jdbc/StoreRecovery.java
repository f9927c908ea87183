package dev.relay.queue.jdbc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.h2.store.fs.FilePath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes an H2 store file that was not closed cleanly open at its newest complete version.
 *
 * <p>Why. H2's MVStore (checked in 2.5.252 and in its source as of 2026-07) can open a file that a
 * crash left behind at an <em>older</em> version than the last one it wrote and synced, silently
 * dropping acknowledged commits. {@code FileStore.storeBuffer} writes a chunk before it records it
 * as the last chunk; when the chunk went into a freed gap other than the one the previous chunk's
 * {@code next} field predicted, {@code RandomAccessStore.writeChunk} rewrites the file header to
 * announce it, but {@code writeStoreHeader} takes the chunk to name from {@code lastChunk}, which
 * is still the previous one. The header thus names chunk N while chunk N+1 lies where nothing
 * points; the following chunks chain from N+1 and the header is not written again for up to 20
 * versions. At the next open after a crash H2 follows the header to N, finds no N+1 where N
 * predicted it, and stops there: every commit in the newer chunks is gone, although they are all
 * in the file (a kill keeps the page cache). Once space is reused this happens to most commits
 * (see {@code MvStoreHeaderDefectTest}); older chunks that N refers to may meanwhile have been
 * overwritten, which is how a reopened store could also fail with a {@code StackOverflowError}.
 *
 * <p>What. Before the store is opened for writing, its header blocks are read: a file closed
 * cleanly says so ({@code clean:1}) and opens as usual. Otherwise it is opened read-only twice,
 * once the ordinary way and once in H2's recovery mode, which scans the whole file for chunks and
 * takes the newest version whose chunks are all present and valid. When the two differ, the file
 * is opened in recovery mode for writing and closed again, which writes a clean header naming that
 * newest version; the ordinary open then finds it. Nothing else in the file changes. The scan
 * reads every block's footer, so an unclean start costs about one read of the file.
 */
final class StoreRecovery {
    private static final Logger LOG = LoggerFactory.getLogger("dev.relay.queue");
    /** H2's block size: the two copies of the file header are the first two blocks. */
    private static final int BLOCK = 4096;
    /** The operator's way back, named in every failure of this class. */
    static final String RECOVER_HINT = "stop the relay and run 'relayctl recover', or restore the last backup";

    private StoreRecovery() {
    }

    /** What {@link #check} found and did. */
    record Result(boolean cleanHeader, long ordinaryVersion, long newestVersion, boolean repaired) {
        static final Result CLEAN = new Result(true, -1, -1, false);
    }

    /**
     * Checks {@code fileName} (an H2 file name, scheme prefix allowed) and repairs its header when a
     * crash left it naming an older version than the newest complete one.
     *
     * @throws IOException when no complete version can be found in the file
     */
    static Result check(String fileName) throws IOException {
        return check(fileName, false);
    }

    /**
     * {@link #check(String)}; with {@code repair}, a file whose ordinary open would lose versions is
     * rewritten to open at the newest (only on a copy: {@code relayctl recover}), else refused.
     */
    static Result check(String fileName, boolean repair) throws IOException {
        FilePath path = FilePath.get(fileName);
        if (!path.exists() || path.size() < 2L * BLOCK || closedCleanly(path)) {
            return Result.CLEAN;
        }
        long ordinary;
        try {
            ordinary = ordinaryVersion(fileName);
        } catch (MVStoreException e) {
            return Result.CLEAN; // locked: another process has it open, and H2's own open says so
        }
        long newest;
        try (MVStore s = new MVStore.Builder().fileName(fileName).recoveryMode().readOnly().open()) {
            newest = s.getCurrentVersion();
        } catch (RuntimeException | StackOverflowError e) {
            if (ordinary >= 0) {
                LOG.warn("queue: {} was not closed cleanly, and H2's recovery scan failed ({}); opening it as it is",
                        fileName, e.toString());
                return new Result(false, ordinary, -1, false);
            }
            throw new IOException("the queue file " + fileName + " cannot be opened, not even by a scan for its"
                    + " newest complete version (" + e + "): " + RECOVER_HINT, e);
        }
        if (newest <= ordinary) {
            return new Result(false, ordinary, newest, false);
        }
        if (!repair) {
            throw new IOException("the queue file " + fileName + " was not closed cleanly and would open at version "
                    + (ordinary < 0 ? "none (the ordinary open fails)" : Long.toString(ordinary))
                    + " although it holds the complete version " + newest + " (an H2 defect after a crash, in files"
                    + " written without this relay's header fix): " + RECOVER_HINT);
        }
        LOG.warn("queue: {} was not closed cleanly and its header leads to version {} although the file holds the"
                + " complete version {} (an H2 defect after a crash); making H2 open it at version {}",
                fileName, ordinary < 0 ? "none (the ordinary open failed)" : ordinary, newest, newest);
        try {
            new MVStore.Builder().fileName(fileName).recoveryMode().open().close();
        } catch (RuntimeException e) {
            throw new IOException("could not repair the header of the queue file " + fileName + ": " + e + "; "
                    + RECOVER_HINT, e);
        }
        long after;
        try {
            after = ordinaryVersion(fileName);
        } catch (MVStoreException e) {
            throw new IOException("the queue file " + fileName + " was locked by another process during its repair", e);
        }
        if (after != newest) {
            throw new IOException("the queue file " + fileName + " still opens at version " + after
                    + " after the repair, not at its newest complete version " + newest
                    + ": " + RECOVER_HINT);
        }
        return new Result(false, ordinary, newest, true);
    }

    /**
     * The version an ordinary open finds, or -1 when it fails.
     *
     * @throws MVStoreException when another process holds the file's lock
     */
    private static long ordinaryVersion(String fileName) {
        try (MVStore s = new MVStore.Builder().fileName(fileName).readOnly().open()) {
            return s.getCurrentVersion();
        } catch (MVStoreException e) {
            if (e.getErrorCode() == DataUtils.ERROR_FILE_LOCKED) {
                throw e;
            }
            LOG.debug("queue: the ordinary open of {} failed: {}", fileName, e.toString());
            return -1;
        } catch (RuntimeException | StackOverflowError e) {
            LOG.debug("queue: the ordinary open of {} failed: {}", fileName, e.toString());
            return -1;
        }
    }

    /** Whether both header blocks are intact and carry H2's clean-shutdown mark. */
    private static boolean closedCleanly(FilePath path) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(2 * BLOCK);
        try (FileChannel ch = path.open("r")) {
            while (header.hasRemaining()) {
                if (ch.read(header, header.position()) < 0) {
                    return false;
                }
            }
        }
        for (int at = 0; at < 2 * BLOCK; at += BLOCK) {
            byte[] block = new byte[BLOCK];
            header.get(at, block);
            if (!"1".equals(checkedHeader(block).get("clean"))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The fields of one header block ({@code key:value,...,fletcher:checksum} and a newline), or
     * none when its checksum does not match (a torn write). H2's own parser is not public.
     */
    static Map<String, String> checkedHeader(byte[] block) {
        String text = new String(block, StandardCharsets.ISO_8859_1);
        int end = text.indexOf('\n');
        int sum = text.lastIndexOf(",fletcher:", end < 0 ? text.length() : end);
        if (end < 0 || sum < 0) {
            return Map.of();
        }
        try {
            int check = (int) Long.parseLong(text.substring(sum + ",fletcher:".length(), end), 16);
            if (check != DataUtils.getFletcher32(block, 0, sum)) {
                return Map.of();
            }
            return DataUtils.parseMap(text.substring(0, sum));
        } catch (RuntimeException e) {
            return Map.of();
        }
    }
}
