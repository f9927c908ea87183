package dev.relay.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A plain socket speaking SMTP byte by byte, for raw-socket tests: writes bytes, reads whole replies. */
public final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawClient(String host, int port) {
        try {
            socket = new Socket(host, port);
            socket.setSoTimeout(10_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public RawClient(int port) {
        this("127.0.0.1", port);
    }

    public RawClient write(String text) {
        return write(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawClient write(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Reads one line with its CRLF, or null at the end of the stream. */
    public String line() {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c; (c = in.read()) >= 0; ) {
                b.write(c);
                if (c == '\n') {
                    return b.toString(StandardCharsets.UTF_8);
                }
            }
            return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads one whole reply (all its lines), or null at the end of the stream. */
    public String reply() {
        StringBuilder r = new StringBuilder();
        while (true) {
            String l = line();
            if (l == null) {
                return r.length() == 0 ? null : r.toString();
            }
            r.append(l);
            if (l.length() < 4 || l.charAt(3) != '-') {
                return r.toString();
            }
        }
    }

    /** Reads {@code n} replies. */
    public List<String> replies(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(reply());
        }
        return l;
    }

    /** Sends a command line and returns its reply. */
    public String send(String commandLine) {
        write(commandLine + "\r\n");
        return reply();
    }

    /** True when the server closed the connection (end of stream or reset) within the socket timeout. */
    public boolean closedByServer() {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
    }
}
