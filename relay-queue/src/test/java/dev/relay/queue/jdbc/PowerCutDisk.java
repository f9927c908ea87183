package dev.relay.queue.jdbc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.h2.store.fs.FileBaseDefault;
import org.h2.store.fs.FilePath;
import org.h2.store.fs.FilePathWrapper;

/**
 * An H2 file system ({@code powercut:} in a database URL) over the ordinary one that can lose
 * power: what was written but not yet synced ({@code force}) may then be on the disk, in part, or
 * not at all. A process kill keeps the operating system's page cache; a power cut does not.
 *
 * <p>Design. Each file written through this file system has a ledger, shared by all its channels:
 * <ul>
 * <li>the real file gets every write at once, and reads come from it, so the running store sees
 * what it wrote, as it would from the page cache (the real file is never synced: nothing here
 * needs it);</li>
 * <li>a durable image beside it ({@code NAME.durable}) holds what the disk holds for sure: the
 * file as it was at the last {@code force}. It starts as a copy of the file when the file is first
 * opened through this file system (a test starts from a file it closed or built itself);</li>
 * <li>the writes since the last {@code force} (position and bytes, in order) and truncations are
 * kept in memory. {@code force} applies them to the durable image and forgets them.</li>
 * </ul>
 * {@link #cut} is the power failure: from then on every operation on every channel fails, as on a
 * machine that is off (H2 then closes the database; the queue's threads fail). {@link #crashImage}
 * then builds a file the disk could hold: the durable image, plus of the writes since the last
 * {@code force} whatever the {@link Loss} chosen lets through. With {@link Loss#PAGES} the page
 * cache writes each 4 KiB block back at its own moment: every block gets its content after a
 * random number (none, some or all) of the writes to it, independently of the other blocks, so
 * unsynced writes land reordered, dropped, or torn at block boundaries. Nothing a {@code force}
 * covered is ever lost, and nothing that was never written appears.
 *
 * <p>This is the idea of H2's own {@code FilePathReorderWrites} (in H2's test sources), written
 * for the queue: that one fails the n-th operation and applies old writes at random as it goes;
 * this one lets the store run freely and decides what reached the disk only at the cut.
 */
public final class PowerCutDisk extends FilePathWrapper {
    static final String SCHEME = "powercut";
    /** The unit the page cache writes back (and a disk writes whole). */
    static final int BLOCK = 4096;
    private static final String DURABLE_SUFFIX = ".durable";

    /** What of the writes since the last sync reaches the disk at the cut. */
    enum Loss {
        /** None of them: the disk holds exactly what was synced. */
        ALL,
        /** Each block independently: after a random number of its writes (reordered, dropped, torn). */
        PAGES,
        /** In the order they were made, up to a random point; the last one may be torn at a block boundary. */
        IN_ORDER,
        /** All of them: what a process kill leaves (the page cache survives). */
        NONE
    }

    private static final Map<String, Ledger> LEDGERS = new ConcurrentHashMap<>();
    private static volatile boolean off;

    static {
        FilePath.register(new PowerCutDisk());
    }

    /** For H2, which makes one per path by reflection. */
    public PowerCutDisk() {
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
        checkPower();
        Path real = Path.of(getBase().toString().replaceFirst("^file:", ""));
        FileChannel base = getBase().open(mode);
        if ("r".equals(mode)) {
            return new Channel(base, null);
        }
        Ledger ledger;
        try {
            ledger = LEDGERS.computeIfAbsent(real.toAbsolutePath().toString(), k -> new Ledger(real));
        } catch (UncheckedIOException e) {
            base.close();
            throw e.getCause();
        }
        return new Channel(base, ledger);
    }

    /** The power fails: every operation on a file of this file system fails from now on. */
    static void cut() {
        off = true;
        for (Ledger l : LEDGERS.values()) {
            synchronized (l) {
                l.cut = true; // waits for a write in progress: it happened before the cut, or not at all
            }
        }
    }

    /** Whether the power is off. */
    static boolean isOff() {
        return off;
    }

    /** Power is back and nothing is remembered: the next open of a file starts a new ledger. */
    static void reset() throws IOException {
        for (Ledger l : LEDGERS.values()) {
            Files.deleteIfExists(l.durable);
        }
        LEDGERS.clear();
        off = false;
    }

    /** What {@link #crashImage} did: unsynced writes (and blocks of them) kept and dropped. */
    record Image(int pendingWrites, int blocksWritten, int blocksKept, boolean truncationKept) {
    }

    /**
     * After {@link #cut}: writes to {@code target} what the disk could hold of {@code file} (a real
     * path, without scheme), by {@code loss} and {@code random}. A file never opened for writing
     * through this file system is copied as it is.
     */
    static Image crashImage(Path file, Path target, Loss loss, Random random) throws IOException {
        if (!off) {
            throw new IllegalStateException("the power is on");
        }
        Ledger l = LEDGERS.get(file.toAbsolutePath().toString());
        if (l == null) {
            Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
            return new Image(0, 0, 0, false);
        }
        synchronized (l) {
            return l.image(target, loss, random);
        }
    }

    private static void checkPower() throws IOException {
        if (off) {
            throw new IOException("power failure (simulated by " + SCHEME + ":)");
        }
    }

    /** A write or truncation since the last sync. */
    private record Op(long position, byte[] bytes, long truncateTo) {
    }

    /** One file: its durable image and the operations since the last sync. */
    private static final class Ledger {
        final Path durable;
        final List<Op> pending = new ArrayList<>();
        boolean cut;

        Ledger(Path real) {
            durable = real.resolveSibling(real.getFileName() + DURABLE_SUFFIX);
            try {
                if (Files.exists(real)) {
                    Files.copy(real, durable, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Files.deleteIfExists(durable);
                    Files.createFile(durable);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Under the lock: the disk now holds everything written so far. */
        void sync() throws IOException {
            if (pending.isEmpty()) {
                return;
            }
            try (FileChannel d = FileChannel.open(durable, StandardOpenOption.WRITE)) {
                for (Op op : pending) {
                    if (op.bytes == null) {
                        if (d.size() > op.truncateTo) {
                            d.truncate(op.truncateTo);
                        }
                    } else {
                        writeFully(d, ByteBuffer.wrap(op.bytes), op.position);
                    }
                }
            }
            pending.clear();
        }

        Image image(Path target, Loss loss, Random random) throws IOException {
            Files.copy(durable, target, StandardCopyOption.REPLACE_EXISTING);
            // For each block, how many of the writes to it land (by the kind of loss).
            Map<Long, Integer> writesTo = new HashMap<>();
            int writes = 0;
            for (Op op : pending) {
                if (op.bytes != null) {
                    writes++;
                    for (long b = op.position / BLOCK; b <= (op.position + op.bytes.length - 1) / BLOCK; b++) {
                        writesTo.merge(b, 1, Integer::sum);
                    }
                }
            }
            Map<Long, Integer> landing = new HashMap<>();
            int lastInOrder = loss == Loss.IN_ORDER ? random.nextInt(writes + 1) : -1;
            long tornAt = -1; // IN_ORDER: the block of the last write from which on it is lost
            int w = 0;
            boolean truncationKept = false;
            int blocksKept = 0;
            try (FileChannel d = FileChannel.open(target, StandardOpenOption.WRITE)) {
                for (Op op : pending) {
                    if (op.bytes == null) {
                        // a truncation reached the disk or not (H2 syncs before it truncates)
                        boolean keep = switch (loss) {
                            case ALL -> false;
                            case NONE -> true;
                            case PAGES -> random.nextBoolean();
                            case IN_ORDER -> w < lastInOrder;
                        };
                        if (keep && d.size() > op.truncateTo) {
                            d.truncate(op.truncateTo);
                            truncationKept = true;
                        }
                        continue;
                    }
                    long first = op.position / BLOCK;
                    long last = (op.position + op.bytes.length - 1) / BLOCK;
                    if (loss == Loss.IN_ORDER && w == lastInOrder && first < last && random.nextBoolean()) {
                        tornAt = first + 1 + random.nextInt((int) (last - first));
                    }
                    for (long b = first; b <= last; b++) {
                        boolean keep = switch (loss) {
                            case ALL -> false;
                            case NONE -> true;
                            case PAGES -> {
                                // the block is written back after a random number of its writes
                                int n = landing.computeIfAbsent(b, k -> random.nextInt(writesTo.get(k) + 1));
                                landing.put(b, n - 1);
                                yield n > 0;
                            }
                            case IN_ORDER -> w < lastInOrder || w == lastInOrder && tornAt > b;
                        };
                        if (keep) {
                            long from = Math.max(op.position, b * BLOCK);
                            long to = Math.min(op.position + op.bytes.length, (b + 1) * BLOCK);
                            writeFully(d, ByteBuffer.wrap(op.bytes, (int) (from - op.position), (int) (to - from)),
                                    from);
                            blocksKept++;
                        }
                    }
                    w++;
                }
            }
            int blocks = writesTo.values().stream().mapToInt(Integer::intValue).sum();
            return new Image(writes, blocks, blocksKept, truncationKept);
        }
    }

    private static void writeFully(FileChannel c, ByteBuffer src, long position) throws IOException {
        long at = position;
        while (src.hasRemaining()) {
            at += c.write(src, at);
        }
    }

    /**
     * A channel of the real file. Reads and the size are the real file's (the page cache); writes,
     * truncations and syncs also go to the ledger; everything fails once the power is off.
     */
    private static final class Channel extends FileBaseDefault {
        private final FileChannel base;
        private final Ledger ledger;

        Channel(FileChannel base, Ledger ledger) {
            this.base = base;
            this.ledger = ledger;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            checkPower();
            return base.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            if (ledger == null) {
                throw new IOException("opened read-only");
            }
            synchronized (ledger) {
                checkPowerOf(ledger);
                ByteBuffer copy = src.duplicate();
                int n = base.write(src, position);
                byte[] bytes = new byte[n];
                copy.get(bytes);
                ledger.pending.add(new Op(position, bytes, -1));
                return n;
            }
        }

        @Override
        public long size() throws IOException {
            checkPower();
            return base.size();
        }

        @Override
        protected void implTruncate(long newLength) throws IOException {
            if (ledger == null) {
                throw new IOException("opened read-only");
            }
            synchronized (ledger) {
                checkPowerOf(ledger);
                base.truncate(newLength);
                ledger.pending.add(new Op(newLength, null, newLength));
            }
        }

        @Override
        public void force(boolean metaData) throws IOException {
            if (ledger == null) {
                checkPower();
                return;
            }
            synchronized (ledger) {
                checkPowerOf(ledger);
                ledger.sync();
            }
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            checkPower();
            return base.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            base.close();
        }

        private static void checkPowerOf(Ledger ledger) throws IOException {
            if (ledger.cut) {
                throw new IOException("power failure (simulated by " + SCHEME + ":)");
            }
        }
    }
}
