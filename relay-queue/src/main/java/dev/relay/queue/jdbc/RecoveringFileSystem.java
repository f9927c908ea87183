package dev.relay.queue.jdbc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.h2.mvstore.DataUtils;
import org.h2.store.fs.FilePath;
import org.h2.store.fs.FilePathWrapper;

/**
 * The H2 file system of the queue ({@code recovering:} in front of the database URL): the file
 * system it wraps ({@code file:} in production, a test's failing disk in tests), with two things
 * added for the store file ({@code *.mv.db}).
 *
 * <p><b>The header names the newest chunk.</b> H2 2.5.252 rewrites the store header when a chunk
 * lands where the previous chunk did not predict it, so that the next open can find it; but it
 * writes the header before it records the chunk as the last one, so the header names the previous
 * chunk, and after a crash the store opens at that older version, without every commit since (see
 * {@link StoreRecovery}). This channel remembers the id, block and version of the newest chunk it
 * has written (from the chunk's own header at the start of the write) and, when H2 then writes a
 * store header that names an older version, writes it naming the newest chunk instead, with the
 * checksum recomputed: what H2 meant to write. Every other byte is H2's.
 *
 * <p><b>A file left by a crash is checked before it is opened for writing</b> ({@link
 * StoreRecovery#check}), at start-up and when the queue opens the database again after H2 closed
 * it on a failed write.
 */
public final class RecoveringFileSystem extends FilePathWrapper {
    static final String SCHEME = "recovering";
    private static final String STORE_SUFFIX = ".mv.db";
    private static final int BLOCK = 4096;

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
        if (!base.getName().endsWith(STORE_SUFFIX)) {
            return base.open(mode);
        }
        if (!"r".equals(mode)) {
            StoreRecovery.check(base.toString());
        }
        return new HeaderFixingChannel(base.open(mode));
    }

    /**
     * The store header H2 meant to write: {@code header} (two copies of one checksummed line, one
     * per block) naming chunk {@code id} at {@code block}, version {@code version}, if it names an
     * older version; else null.
     */
    static ByteBuffer fixedHeader(ByteBuffer header, int id, long block, long version) {
        byte[] bytes = new byte[header.remaining()];
        header.duplicate().get(bytes);
        String text = new String(bytes, 0, BLOCK, StandardCharsets.ISO_8859_1);
        int end = text.indexOf('\n');
        int sum = end < 0 ? -1 : text.lastIndexOf(",fletcher:", end);
        if (sum < 0) {
            return null;
        }
        String fields = text.substring(0, sum);
        Map<String, String> map = DataUtils.parseMap(fields);
        String named = map.get("version");
        if (named == null || Long.parseLong(named, 16) >= version) {
            return null;
        }
        StringBuilder line = new StringBuilder(fields.length() + 24);
        for (String field : fields.split(",")) {
            int colon = field.indexOf(':');
            String key = field.substring(0, colon);
            String value = switch (key) {
                case "block" -> Long.toHexString(block);
                case "chunk" -> Integer.toHexString(id);
                case "version" -> Long.toHexString(version);
                default -> field.substring(colon + 1);
            };
            line.append(line.length() == 0 ? "" : ",").append(key).append(':').append(value);
        }
        byte[] unsummed = line.toString().getBytes(StandardCharsets.ISO_8859_1);
        line.append(",fletcher:").append(Integer.toHexString(DataUtils.getFletcher32(unsummed, 0, unsummed.length)))
                .append('\n');
        byte[] out = line.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer fixed = ByteBuffer.allocate(bytes.length);
        for (int at = 0; at + BLOCK <= bytes.length; at += BLOCK) {
            fixed.put(at, out);
        }
        return fixed;
    }

    /** The store file's channel: see the class comment. */
    private static final class HeaderFixingChannel extends ForwardingFileChannel {
        /** The newest chunk written through this channel: id, block, version; version -1 for none. */
        private int newestId;
        private long newestBlock;
        private long newestVersion = -1;

        HeaderFixingChannel(FileChannel base) {
            super(base);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            synchronized (this) {
                if (position == 0 && src.remaining() == 2 * BLOCK && newestVersion >= 0) {
                    ByteBuffer fixed = fixedHeader(src, newestId, newestBlock, newestVersion);
                    if (fixed != null) {
                        int n = src.remaining();
                        while (fixed.hasRemaining()) {
                            base.write(fixed, fixed.position());
                        }
                        src.position(src.limit());
                        return n;
                    }
                } else if (position >= 2 * BLOCK && position % BLOCK == 0) {
                    rememberChunk(src, position);
                }
            }
            return base.write(src, position);
        }

        /** When {@code src} starts with a chunk header ({@code chunk:ID,...,version:V,...}), remembers it. */
        private void rememberChunk(ByteBuffer src, long position) {
            int n = Math.min(src.remaining(), 1024);
            if (n < 6 || src.get(src.position()) != 'c') {
                return;
            }
            byte[] head = new byte[n];
            src.duplicate().get(head);
            String text = new String(head, StandardCharsets.ISO_8859_1);
            int end = text.indexOf('\n');
            if (!text.startsWith("chunk:") || end < 0) {
                return;
            }
            try {
                Map<String, String> chunk = DataUtils.parseMap(text.substring(0, end).trim());
                long version = Long.parseLong(chunk.get("version"), 16);
                if (version > newestVersion) {
                    newestId = Integer.parseInt(chunk.get("chunk"), 16);
                    newestBlock = position / BLOCK;
                    newestVersion = version;
                }
            } catch (RuntimeException e) {
                // not a chunk header after all (data that happens to start with "chunk:"): nothing to remember
            }
        }
    }
}
