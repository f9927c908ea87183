package dev.relay.server.security;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A raw-socket SMTP client for hostile-input tests: sends exact bytes (bare CR/LF, NUL, 8-bit,
 * pipelined groups in one write) and reads replies line by line, with a timeout on every read so
 * that a test never hangs.
 */
final class RawSmtp implements AutoCloseable {

    /** A reply: its code and text lines (without code). */
    record Reply(int code, List<String> lines) {
        String text() {
            return String.join("\n", lines);
        }

        @Override
        public String toString() {
            return code + " " + text();
        }
    }

    private Socket socket;
    private InputStream in;
    private OutputStream out;

    RawSmtp(int port, int readTimeoutMillis) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(readTimeoutMillis);
        socket.setTcpNoDelay(true);
        in = new java.io.BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    RawSmtp(int port) throws IOException {
        this(port, 10_000);
    }

    /** A client of an implicit TLS listener (RFC 8314): the handshake first, then SMTP inside TLS. */
    static RawSmtp implicitTls(int port, SSLContext ctx, String host) throws IOException {
        RawSmtp c = new RawSmtp(port);
        c.startTls(ctx, host);
        return c;
    }

    /** Sends {@code text} as ISO-8859-1 bytes (so any byte can be written), nothing added. */
    RawSmtp send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawSmtp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Sends {@code line} followed by CRLF and returns the reply. */
    Reply command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    /** The next reply; code -1 when the server closed the connection instead. */
    Reply reply() throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = readLine();
            if (line == null) {
                if (lines.isEmpty()) {
                    lines.add("(connection closed)");
                }
                return new Reply(-1, lines);
            }
            if (line.length() < 3) {
                throw new IOException("not a reply line: " + line);
            }
            lines.add(line.length() > 4 ? line.substring(4) : "");
            if (line.length() == 3 || line.charAt(3) == ' ') {
                return new Reply(Integer.parseInt(line.substring(0, 3)), lines);
            }
        }
    }

    /** Whether the server closes the connection within the read timeout (consuming any replies first). */
    boolean closedByServer() throws IOException {
        try {
            while (readLine() != null) {
                // drain
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    /** Upgrades this connection to TLS as a client (after a 220 to STARTTLS). */
    void startTls(SSLContext ctx, String host) throws IOException {
        SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(socket, host, socket.getPort(), true);
        ssl.setUseClientMode(true);
        ssl.startHandshake();
        socket = ssl;
        in = new java.io.BufferedInputStream(ssl.getInputStream());
        out = ssl.getOutputStream();
    }

    Socket socket() {
        return socket;
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int prev = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b == '\n' && prev == '\r') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
            prev = b;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a test socket
        }
    }
}
