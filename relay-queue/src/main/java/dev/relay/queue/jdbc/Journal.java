package dev.relay.queue.jdbc;

import dev.relay.queue.MessageBody;
import dev.relay.queue.RecipientState;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.LongPredicate;
import java.util.zip.CRC32C;
import org.h2.store.fs.FilePath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue's journal: what makes a 250 true, kept beside the database in {@code spool/}.
 *
 * <p>Why. H2 2.5.252 does not always open a store that a kill left behind at its newest version,
 * nor always consistently (see {@code MvStoreHeaderDefectTest} and the README's "Durability"): an
 * index that counts rows its table does not return, a chunk the header names but cannot find, a
 * start that spins. So the database is no longer the record of what was acknowledged; it is the
 * queue's index and state, and it is trusted only after a clean stop. What was acknowledged is
 * here, in files the relay writes itself, in the way Postfix's queue files are the queue and its
 * queue manager's memory is rebuilt from them.
 *
 * <p>Layout. Messages are appended to segment files {@code NNNNNNNNNNNNNNNN.seg} (16 hex digits,
 * ascending; a new one when the current one passes {@link #segmentBytes}): one record per
 * message, the envelope as the database stores it, then the body, then a CRC-32C of both. A group
 * commit writes its messages and then forces the segment once (a new segment also forces its
 * folder) before any of them is acknowledged. Facts about a message after that go to its
 * segment's control file {@code NNNNNNNNNNNNNNNN.ctl}, one small checksummed record each: a
 * recipient's final state (a message is finished when all are), the message deleted by an
 * administrator, withdrawn (its rows could not be stored) or moved to a newer segment, held,
 * released, bounce requested. The administrator's changes are forced before relayctl reports
 * them; delivery outcomes are not (a kill keeps them in the page cache; a power cut may lose the
 * last ones, which repeats those deliveries: at least once). Nothing is ever rewritten in place
 * (a control file's unreadable tail is cut at a rebuild): a segment and its control file are
 * deleted together once the database holds none of its messages and its control file marks
 * every one finished. The few live messages of a mostly dead segment are moved to the current
 * one first (see {@code H2MessageQueue.compactSegment}).
 *
 * <p>Reading back. {@link #scan} reads every segment with its control file and gives each
 * message that is not finished, with the states its control records say. A record that is cut
 * short ends its segment: only a tail written after the last force can be like that (a start
 * begins a new segment, so nothing follows it), and none of it was acknowledged. A record that
 * fails its checksum also ends its segment, logged as an error: that is damage.
 *
 * <p>Threads: message appends come from the queue's one writer thread; control records and body
 * reads from any thread.
 */
final class Journal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.relay.queue.journal");
    static final String FOLDER = "spool";
    /** Present only between a clean stop and the next open: the database may then be trusted. */
    static final String CLEAN_MARKER = "clean";
    /** A new segment is begun once the current one is this long (tests make it small). */
    static volatile long segmentBytes = 64L << 20;
    private static final int MESSAGE_MAGIC = 0x52514d31; // "RQM1"
    private static final String SEGMENT_SUFFIX = ".seg";
    private static final String CONTROL_SUFFIX = ".ctl";
    private static final int MAX_HEADER_BYTES = 64 << 20;

    /** The control record types (one byte). */
    static final byte FINAL = 'F';
    static final byte FINISHED = 'X';
    static final byte HOLD = 'H';
    static final byte RELEASE = 'R';
    static final byte BOUNCE = 'B';

    /** A recipient as the database stores it. */
    record StoredRecipient(String forwardPath, String orcpt, String notifyOn) {
    }

    /** A message's envelope as the database stores it (the column texts). */
    record StoredMessage(String queueId, String reversePath, String mailParams, String clientAddress,
                         String heloName, String authUser, String protocol, long arrival, long size,
                         List<StoredRecipient> recipients) {
    }

    /** Where a message's body is: segment number and the offset of its first byte. */
    record Location(long segment, long bodyOffset) {
    }

    /** What the control records say about one message. */
    static final class Control {
        boolean finished;
        boolean held;
        String bounceReason;
        final Map<Integer, RecipientState> finals = new HashMap<>();

        /** Whether these records say that {@code m} is finished: marked so, or every recipient final. */
        boolean finishes(StoredMessage m) {
            return finished || finals.size() >= m.recipients().size();
        }

        /** These states as control records of message {@code queueId}. */
        byte[] encode(String queueId) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            bytes.writeBytes(encodeFinals(queueId, finals));
            if (held) {
                bytes.writeBytes(Journal.encode(HOLD, queueId, (String) null));
            }
            if (bounceReason != null) {
                bytes.writeBytes(Journal.encode(BOUNCE, queueId, bounceReason));
            }
            if (finished) {
                bytes.writeBytes(Journal.encode(FINISHED, queueId, (String) null));
            }
            return bytes.toByteArray();
        }

        void apply(byte type, DataInputStream in) throws IOException {
            switch (type) {
                case FINAL -> finals.put(in.readInt(), in.readByte() == 'D' ? RecipientState.DELIVERED
                        : RecipientState.FAILED);
                case FINISHED -> finished = true;
                case HOLD -> held = true;
                case RELEASE -> held = false;
                case BOUNCE -> {
                    bounceReason = readString(in);
                    held = false;
                }
                default -> throw new IOException("unknown control record type " + type);
            }
        }
    }

    /** The journal is open in another process (or already in this one). */
    static final class InUseException extends IOException {
        InUseException(String message) {
            super(message);
        }
    }

    /** A message found by {@link #scan}, not finished. */
    record Found(StoredMessage message, Location location, Control control) {
    }

    private final Path folder;
    /** H2's file system prefix for the journal's files ("" for the ordinary disk; tests: a disk that fills or loses power). */
    private final String prefix;
    private final FileChannel lockChannel;
    private final Object controlLock = new Object();
    /** Control files kept open for appending (the most recently used few), under {@link #controlLock}. */
    private final Map<Long, FileChannel> openControls = new LinkedHashMap<>(16, 0.75f, true);
    private static final int OPEN_CONTROLS = 8;
    private FileChannel current;
    private long currentSegment;
    private boolean currentNeedsFolderSync;
    private final java.util.concurrent.atomic.AtomicLong forces = new java.util.concurrent.atomic.AtomicLong();

    private Journal(Path folder, String prefix, FileChannel lockChannel) {
        this.folder = folder;
        this.prefix = prefix;
        this.lockChannel = lockChannel;
    }

    /**
     * The journal in {@code dataDirectory}/{@code name}, creating the folder, on H2's file system
     * {@code scheme} ("file" for the ordinary disk).
     *
     * @throws IOException also when another process has it open (a {@code lock} file in it is locked)
     */
    static Journal open(Path dataDirectory, String name, String scheme) throws IOException {
        Path folder = dataDirectory.resolve(name);
        boolean made = !Files.isDirectory(folder);
        Files.createDirectories(folder);
        if (made) {
            forceFolder(dataDirectory);
        }
        FileChannel lock = FileChannel.open(folder.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            if (lock.tryLock() == null) {
                throw new InUseException("the queue journal " + folder + " is in use by another process"
                        + " (is another relay running on this data folder?)");
            }
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock.close();
            throw new InUseException("the queue journal " + folder + " is already open in this process");
        } catch (IOException e) {
            lock.close();
            throw e;
        }
        Journal j = new Journal(folder, "file".equals(scheme) ? "" : scheme + ":", lock);
        j.currentSegment = j.segments().stream().mapToLong(Long::longValue).max().orElse(0);
        return j;
    }

    /** Whether {@code dataDirectory} has a journal at all (a queue of an older version has none). */
    static boolean exists(Path dataDirectory) {
        return Files.isDirectory(dataDirectory.resolve(FOLDER));
    }

    Path folder() {
        return folder;
    }

    /** Forces of segments since open (one per group commit). */
    long forces() {
        return forces.get();
    }

    /**
     * Removes the clean-stop marker, durably, and says whether it was there. Called before the
     * database is opened: from then on until the next clean stop, the database is not trusted.
     */
    boolean takeCleanMarker() throws IOException {
        boolean was = Files.deleteIfExists(folder.resolve(CLEAN_MARKER));
        if (was) {
            forceFolder(folder);
        }
        return was;
    }

    /** Leaves the marker that says the database was closed cleanly after everything here. */
    void markClean() throws IOException {
        Path marker = folder.resolve(CLEAN_MARKER);
        try (FileChannel ch = FileChannel.open(marker, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.force(true);
        }
        forceFolder(folder);
    }

    // ---- messages (the writer thread) ----

    /**
     * Appends a message (not forced: see {@link #forceMessages}). If the body cannot be read or
     * is not {@code message.size()} bytes long, the segment is cut back to where it was and the
     * exception thrown: the record is as if never written.
     */
    Location append(StoredMessage message, MessageBody body) throws IOException {
        FileChannel ch = currentChannel();
        long start = ch.position();
        try {
            byte[] header = header(message);
            CRC32C crc = new CRC32C();
            crc.update(header);
            ByteBuffer head = ByteBuffer.allocate(8 + header.length + 8);
            head.putInt(MESSAGE_MAGIC).putInt(header.length).put(header).putLong(message.size()).flip();
            writeFully(ch, head);
            long bodyOffset = ch.position();
            long copied = 0;
            byte[] buf = new byte[(int) Math.min(64 * 1024, Math.max(512, message.size()))];
            try (InputStream in = body.open()) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    copied += n;
                    if (copied > message.size()) {
                        break;
                    }
                    crc.update(buf, 0, n);
                    writeFully(ch, ByteBuffer.wrap(buf, 0, n));
                }
            }
            if (copied != message.size()) {
                throw new IOException("the body yielded " + copied + (copied > message.size() ? " or more" : "")
                        + " bytes, but its size is " + message.size());
            }
            ByteBuffer tail = ByteBuffer.allocate(4).putInt((int) crc.getValue()).flip();
            writeFully(ch, tail);
            return new Location(currentSegment, bodyOffset);
        } catch (IOException | RuntimeException e) {
            try {
                ch.truncate(start);
                ch.position(start);
            } catch (IOException t) {
                e.addSuppressed(t);
            }
            throw e;
        }
    }

    /** Forces what {@link #append} wrote: after this returns, the messages survive a power cut. */
    void forceMessages() throws IOException {
        if (current == null) {
            return;
        }
        current.force(false);
        if (currentNeedsFolderSync) {
            forceFolder(folder);
            currentNeedsFolderSync = false;
        }
        forces.incrementAndGet();
    }

    /**
     * Closes the current segment when it is full, so that the next append begins a new one; says
     * whether it did. Only the writer thread calls this, between groups.
     */
    boolean rotateIfFull() throws IOException {
        if (current != null && current.size() >= segmentBytes) {
            current.force(false);
            current.close();
            current = null;
            return true;
        }
        return false;
    }

    /** The number of the segment being appended to, or of the newest one. */
    long currentSegment() {
        return currentSegment;
    }

    /** The length of segment {@code segment} in bytes (0 when it is gone). */
    long segmentSize(long segment) {
        FilePath f = file(segmentFile(segment));
        return f.exists() ? f.size() : 0;
    }

    /**
     * Deletes every segment before the current (or newest) one whose messages are all gone from the
     * database ({@code inUse} false) and all marked finished in its own control file: the journal
     * never takes the database's word alone for giving up a message.
     */
    int sweep(LongPredicate inUse) throws IOException {
        int deleted = 0;
        for (long s : segments()) {
            if (s >= currentSegment || inUse.test(s)) {
                continue;
            }
            if (!allFinished(s)) {
                // Normal for a moment (an outcome is noted here just after its commit); for good, it
                // would mean the database lost messages, which the next rebuild brings back.
                LOG.info("queue journal: segment {} is kept: the database has none of its messages, but not all are"
                        + " marked finished here", s);
                continue;
            }
            delete(s);
            deleted++;
        }
        return deleted;
    }

    private void delete(long segment) throws IOException {
        synchronized (controlLock) {
            FileChannel ch = openControls.remove(segment);
            if (ch != null) {
                ch.close();
            }
        }
        deleteIfExists(segmentFile(segment));
        deleteIfExists(controlFile(segment));
        LOG.info("queue journal: segment {} deleted: no message is stored in it any more", segment);
    }

    private FileChannel currentChannel() throws IOException {
        if (current == null) {
            currentSegment++;
            FilePath f = file(segmentFile(currentSegment));
            if (f.exists()) {
                throw new IOException("journal segment " + segmentFile(currentSegment) + " exists already");
            }
            current = f.open("rw");
            currentNeedsFolderSync = true;
        }
        return current;
    }

    // ---- control records (any thread) ----

    /** Final states of some recipients of a message (by their position in the envelope). */
    void finals(long segment, String queueId, Map<Integer, RecipientState> finals, boolean force)
            throws IOException {
        appendControl(segment, encodeFinals(queueId, finals), force);
    }

    /** One control record of {@code type} ({@code reason} only for {@link #BOUNCE}). */
    void control(long segment, String queueId, byte type, String reason, boolean force) throws IOException {
        appendControl(segment, encode(type, queueId, reason), force);
    }

    /** Encoded control records, grouped by segment: one write (and one force when asked) per file. */
    void controls(Map<Long, ByteArrayOutputStream> bySegment, boolean force) throws IOException {
        for (Map.Entry<Long, ByteArrayOutputStream> e : bySegment.entrySet()) {
            appendControl(e.getKey(), e.getValue().toByteArray(), force);
        }
    }

    /** The final-state records of {@link #finals}, encoded. */
    static byte[] encodeFinals(String queueId, Map<Integer, RecipientState> finals) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (Map.Entry<Integer, RecipientState> e : finals.entrySet()) {
            bytes.writeBytes(encode(FINAL, queueId, out -> {
                out.writeInt(e.getKey());
                out.writeByte(e.getValue() == RecipientState.DELIVERED ? 'D' : 'F');
            }));
        }
        return bytes.toByteArray();
    }

    /** One control record, encoded. */
    static byte[] encode(byte type, String queueId, String reason) {
        return encode(type, queueId, type == BOUNCE ? out -> writeString(out, reason) : null);
    }

    private interface Payload {
        void write(DataOutputStream out) throws IOException;
    }

    /** Layout of a control record: length of the rest, type, queue id, payload, CRC-32C of type to payload. */
    private static byte[] encode(byte type, String queueId, Payload payload) {
        try {
            ByteArrayOutputStream body = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(body);
            out.writeByte(type);
            writeString(out, queueId);
            if (payload != null) {
                payload.write(out);
            }
            out.flush();
            byte[] b = body.toByteArray();
            CRC32C crc = new CRC32C();
            crc.update(b);
            return ByteBuffer.allocate(4 + b.length + 4).putInt(b.length).put(b).putInt((int) crc.getValue()).array();
        } catch (IOException e) {
            throw new IllegalStateException(e); // in memory only
        }
    }

    private void appendControl(long segment, byte[] records, boolean force) throws IOException {
        if (records.length == 0) {
            return;
        }
        synchronized (controlLock) {
            FileChannel ch = openControls.get(segment);
            boolean made = false;
            if (ch == null) {
                FilePath file = file(controlFile(segment));
                made = !file.exists();
                ch = file.open("rw");
                openControls.put(segment, ch);
                if (openControls.size() > OPEN_CONTROLS) {
                    Map.Entry<Long, FileChannel> eldest = openControls.entrySet().iterator().next();
                    openControls.remove(eldest.getKey());
                    eldest.getValue().close();
                }
            }
            try {
                ch.position(ch.size());
                writeFully(ch, ByteBuffer.wrap(records));
                if (force) {
                    ch.force(false);
                }
            } catch (IOException e) {
                openControls.remove(segment);
                ch.close();
                throw e;
            }
            if (made) {
                forceFolder(folder);
            }
        }
    }

    // ---- bodies ----

    /** The body of a message, {@code size} bytes at {@code location}. */
    InputStream openBody(Location location, long size) throws IOException {
        FilePath f = file(segmentFile(location.segment()));
        if (!f.exists()) {
            throw new NoSuchFileException(segmentFile(location.segment()).toString(), null,
                    "the journal segment of this message is gone");
        }
        FileChannel ch = f.open("r");
        if (ch.size() < location.bodyOffset() + size) {
            ch.close();
            throw new IOException("journal segment " + segmentFile(location.segment()) + " ends before the body ("
                    + ch.size() + " < " + (location.bodyOffset() + size) + " bytes)");
        }
        ch.position(location.bodyOffset());
        InputStream in = Channels.newInputStream(ch);
        return new java.io.FilterInputStream(new BufferedInputStream(in, 16 * 1024)) {
            private long left = size;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int b = super.read();
                if (b >= 0) {
                    left--;
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = super.read(b, off, (int) Math.min(len, left));
                if (n > 0) {
                    left -= n;
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                long s = super.skip(Math.min(n, left));
                left -= s;
                return s;
            }

            @Override
            public int available() throws IOException {
                return (int) Math.min(super.available(), left);
            }
        };
    }

    // ---- reading back ----

    /**
     * Every message of every segment that its control records do not say is finished, in the
     * order stored. Segments with none are deleted (with their control files), except the newest.
     */
    void scan(java.util.function.Consumer<Found> live, boolean verifyBodies) throws IOException {
        List<Long> segments = segments();
        for (long s : segments) {
            Map<String, Control> controls = readControls(s, true);
            int found = scanSegment(s, controls, live, verifyBodies);
            if (found == 0 && s != currentSegment) {
                delete(s);
            }
        }
        // control files whose segment is gone (a crash between the two deletes)
        for (FilePath p : file(folder).newDirectoryStream()) {
            Long s = number(p.getName(), CONTROL_SUFFIX);
            if (s != null && !file(segmentFile(s)).exists()) {
                deleteIfExists(controlFile(s));
            }
        }
    }

    /**
     * Whether the journal itself says that every message of segment {@code segment} is finished
     * (its control file marks each one). Reads the records' headers, not their bodies.
     */
    boolean allFinished(long segment) throws IOException {
        return scanSegment(segment, readControls(segment, false), m -> { }, false) == 0;
    }

    private int scanSegment(long segment, Map<String, Control> controls, java.util.function.Consumer<Found> live,
                            boolean verifyBodies) throws IOException {
        Path file = segmentFile(segment);
        int found = 0;
        long offset = 0;
        FilePath f = file(file);
        long length = f.size();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                Channels.newInputStream(f.open("r")), 64 * 1024))) {
            while (offset < length) {
                long recordStart = offset;
                try {
                    if (length - offset < 8) {
                        throw new EOFException("a record cut short");
                    }
                    if (in.readInt() != MESSAGE_MAGIC) {
                        throw new IOException("no record starts here");
                    }
                    int headerLength = in.readInt();
                    if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                        throw new IOException("header length " + headerLength);
                    }
                    if (headerLength > length - offset - 8) {
                        throw new EOFException("a record cut short in its header");
                    }
                    byte[] header = new byte[headerLength];
                    in.readFully(header);
                    long size = in.readLong();
                    offset += 8 + headerLength + 8;
                    if (size < 0) {
                        throw new IOException("body length " + size);
                    }
                    if (size > length - offset - 4) {
                        throw new EOFException("a record cut short in its body of " + size + " bytes");
                    }
                    if (verifyBodies) {
                        CRC32C crc = new CRC32C();
                        crc.update(header);
                        byte[] buf = new byte[64 * 1024];
                        for (long left = size; left > 0; ) {
                            int n = (int) Math.min(buf.length, left);
                            in.readFully(buf, 0, n);
                            crc.update(buf, 0, n);
                            left -= n;
                        }
                        int stored = in.readInt();
                        if (stored != (int) crc.getValue()) {
                            throw new IOException("checksum mismatch");
                        }
                    } else {
                        in.skipNBytes(size + 4);
                    }
                    StoredMessage m = parseHeader(header, size);
                    Location at = new Location(segment, offset);
                    offset += size + 4;
                    Control c = controls.get(m.queueId());
                    if (c != null && c.finishes(m)) {
                        continue;
                    }
                    found++;
                    live.accept(new Found(m, at, c == null ? new Control() : c));
                } catch (EOFException e) {
                    // A group's append that a crash interrupted: its messages were not acknowledged,
                    // and nothing is ever appended after it (a start begins a new segment).
                    LOG.info("queue journal: {} ends with {} bytes of a record that was not acknowledged ({});"
                            + " ignored", file, length - recordStart, e.getMessage());
                    break;
                } catch (IOException | RuntimeException e) {
                    LOG.error("queue journal: {} cannot be read after offset {} of {} ({}); the messages after it"
                            + " are not recovered", file, recordStart, length, e.getMessage());
                    break;
                }
            }
        }
        return found;
    }

    /**
     * The control records of {@code segment}'s messages. With {@code repair} (a rebuild, nothing
     * else writes), a tail that cannot be read (a record cut by a power cut) is cut off the file, so
     * that records appended from now on are read again: a reader stops at the first bad record.
     */
    private Map<String, Control> readControls(long segment, boolean repair) throws IOException {
        Map<String, Control> result = new LinkedHashMap<>();
        Path file = controlFile(segment);
        FilePath f = file(file);
        if (!f.exists()) {
            return result;
        }
        byte[] all;
        try (FileChannel ch = f.open("r")) {
            ByteBuffer b = ByteBuffer.allocate((int) ch.size());
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // read it all
            }
            all = b.array();
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        int valid = 0;
        while (b.remaining() >= 4) {
            int start = b.position();
            int len = b.getInt();
            if (len <= 0 || len > b.remaining() - 4) {
                LOG.info("queue journal: {} ends with {} bytes of a cut record; ignored", file, all.length - start);
                break;
            }
            byte[] body = new byte[len];
            b.get(body);
            int stored = b.getInt();
            CRC32C crc = new CRC32C();
            crc.update(body);
            if (stored != (int) crc.getValue()) {
                LOG.warn("queue journal: {}: a control record at offset {} fails its checksum; the rest is ignored",
                        file, start);
                break;
            }
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
            byte type = in.readByte();
            String queueId = readString(in);
            result.computeIfAbsent(queueId, k -> new Control()).apply(type, in);
            valid = b.position();
        }
        if (repair && valid < all.length) {
            try (FileChannel ch = f.open("rw")) {
                ch.truncate(valid);
                ch.force(false);
            }
        }
        return result;
    }

    // ---- encoding ----

    private static byte[] header(StoredMessage m) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        DataOutputStream out = new DataOutputStream(bytes);
        writeString(out, m.queueId());
        writeString(out, m.reversePath());
        writeString(out, m.mailParams());
        writeString(out, m.clientAddress());
        writeString(out, m.heloName());
        writeString(out, m.authUser());
        writeString(out, m.protocol());
        out.writeLong(m.arrival());
        out.writeInt(m.recipients().size());
        for (StoredRecipient r : m.recipients()) {
            writeString(out, r.forwardPath());
            writeString(out, r.orcpt());
            writeString(out, r.notifyOn());
        }
        out.flush();
        return bytes.toByteArray();
    }

    private static StoredMessage parseHeader(byte[] header, long size) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(header));
        String id = readString(in);
        String reverse = readString(in);
        String params = readString(in);
        String client = readString(in);
        String helo = readString(in);
        String auth = readString(in);
        String protocol = readString(in);
        long arrival = in.readLong();
        int n = in.readInt();
        if (n <= 0 || n > 1_000_000) {
            throw new IOException("recipient count " + n);
        }
        List<StoredRecipient> rcpts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            rcpts.add(new StoredRecipient(readString(in), readString(in), readString(in)));
        }
        if (id == null || reverse == null || params == null) {
            throw new IOException("a record without queue id or reverse-path");
        }
        return new StoredMessage(id, reverse, params, client, helo, auth, protocol, arrival, size, rcpts);
    }

    /** A string as its UTF-8 length (-1 for null) and bytes. */
    private static void writeString(DataOutputStream out, String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n == -1) {
            return null;
        }
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new IOException("string length " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    // ---- files ----

    /** The segment numbers present, ascending. */
    List<Long> segments() throws IOException {
        TreeSet<Long> result = new TreeSet<>();
        for (FilePath p : file(folder).newDirectoryStream()) {
            Long n = number(p.getName(), SEGMENT_SUFFIX);
            if (n != null) {
                result.add(n);
            }
        }
        return new ArrayList<>(result);
    }

    private static Long number(String name, String suffix) {
        if (!name.endsWith(suffix) || name.length() != 16 + suffix.length()) {
            return null;
        }
        try {
            return Long.parseUnsignedLong(name.substring(0, 16), 16);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    Path segmentFile(long segment) {
        return folder.resolve(String.format("%016x", segment) + SEGMENT_SUFFIX);
    }

    Path controlFile(long segment) {
        return folder.resolve(String.format("%016x", segment) + CONTROL_SUFFIX);
    }

    /** A file of the journal on its file system. */
    private FilePath file(Path path) {
        return FilePath.get(prefix + path);
    }

    private void deleteIfExists(Path path) {
        FilePath f = file(path);
        if (f.exists()) {
            f.delete();
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** fsync of a folder, so that files made or removed in it survive a power cut. */
    static void forceFolder(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open a folder for fsync; the files' own syncs are all we have.
            LOG.debug("queue journal: cannot sync the folder {}: {}", dir, e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (current != null) {
                current.force(false);
                current.close();
                current = null;
            }
        } finally {
            synchronized (controlLock) {
                for (FileChannel ch : openControls.values()) {
                    ch.close();
                }
                openControls.clear();
            }
            lockChannel.close(); // and with it the lock
        }
    }
}
