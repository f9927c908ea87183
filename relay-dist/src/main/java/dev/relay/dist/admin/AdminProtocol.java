package dev.relay.dist.admin;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The little protocol between {@code relayctl} and the running relay over the admin Unix socket.
 *
 * <p>Client to relay: the number of arguments (int), then each argument (int length, UTF-8
 * bytes); after that, the raw bytes of relayctl's standard input (for the answer to a question
 * such as "delete 3 messages?") until the client shuts its side down. Relay to client: frames of
 * one type byte ({@code O} standard output, {@code E} standard error, {@code X} exit code), an
 * int length and the payload; {@code X} carries a 4-byte exit code and ends the exchange.
 *
 * <p>The streams here call {@link SocketChannel#read}/{@link SocketChannel#write} directly: the
 * JDK's {@code Channels.newInputStream} takes the channel's blocking lock for a read, which would
 * block a concurrent write of the standard input while the other thread waits for output.
 */
public final class AdminProtocol {

    public static final byte OUT = 'O';
    public static final byte ERR = 'E';
    public static final byte EXIT = 'X';

    /** Bounds on what a client may send: nobody types more arguments than this. */
    public static final int MAX_ARGS = 200_000;
    public static final int MAX_ARG_BYTES = 64 * 1024;
    public static final long MAX_TOTAL_BYTES = 16L * 1024 * 1024;

    private AdminProtocol() {
    }

    public static void writeArgs(DataOutputStream out, List<String> args) throws IOException {
        out.writeInt(args.size());
        for (String a : args) {
            byte[] b = a.getBytes(StandardCharsets.UTF_8);
            out.writeInt(b.length);
            out.write(b);
        }
        out.flush();
    }

    public static List<String> readArgs(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_ARGS) {
            throw new IOException("bad argument count " + n);
        }
        List<String> args = new ArrayList<>(n);
        long total = 0;
        for (int i = 0; i < n; i++) {
            int len = in.readInt();
            total += len;
            if (len < 0 || len > MAX_ARG_BYTES || total > MAX_TOTAL_BYTES) {
                throw new IOException("argument too long");
            }
            byte[] b = new byte[len];
            in.readFully(b);
            args.add(new String(b, StandardCharsets.UTF_8));
        }
        return args;
    }

    /** Writes one frame; frames from several writers never interleave. */
    public static void writeFrame(DataOutputStream out, byte type, byte[] payload) throws IOException {
        synchronized (out) {
            out.writeByte(type);
            out.writeInt(payload.length);
            out.write(payload);
            out.flush();
        }
    }

    /** One frame read back. */
    public record Frame(byte type, byte[] payload) {
    }

    public static Frame readFrame(DataInputStream in) throws IOException {
        byte type = in.readByte();
        int len = in.readInt();
        if (len < 0 || len > MAX_TOTAL_BYTES) {
            throw new IOException("bad frame length " + len);
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return new Frame(type, b);
    }

    /** A character stream that becomes frames of one type; each flush sends what was written. */
    public static final class FrameWriter extends Writer {
        private final DataOutputStream out;
        private final byte type;
        private final StringBuilder buffer = new StringBuilder();

        FrameWriter(DataOutputStream out, byte type) {
            this.out = out;
            this.type = type;
        }

        @Override
        public synchronized void write(char[] cbuf, int off, int len) {
            buffer.append(cbuf, off, len);
        }

        @Override
        public synchronized void flush() throws IOException {
            if (buffer.length() > 0) {
                byte[] b = buffer.toString().getBytes(StandardCharsets.UTF_8);
                buffer.setLength(0);
                writeFrame(out, type, b);
            }
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /** Reads a blocking channel without taking its blocking lock. */
    public static InputStream input(SocketChannel ch) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                return ch.read(ByteBuffer.wrap(b, off, len));
            }
        };
    }

    /** Writes a blocking channel without taking its blocking lock. */
    public static OutputStream output(SocketChannel ch) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    if (ch.write(buf) < 0) {
                        throw new EOFException();
                    }
                }
            }
        };
    }
}
