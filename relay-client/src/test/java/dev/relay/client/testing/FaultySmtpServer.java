package dev.relay.client.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A small SMTP server for tests whose faults are switched on and off while it runs: a reply at the
 * greeting, per-recipient replies, a reply after DATA, a disconnect in the middle of DATA, or
 * silence. It records every transaction it accepted (MAIL, RCPTs, content un-dot-stuffed) and
 * every command line, so tests can see what the forwarder put on the wire.
 */
public final class FaultySmtpServer implements AutoCloseable {

    /** A complete transaction the server answered 250 to after the final dot. */
    public record Received(String mailFrom, List<String> rcptTo, byte[] content) {
    }

    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final List<String> reads = new CopyOnWriteArrayList<>();
    private final List<byte[]> contentWithoutRecipients = new CopyOnWriteArrayList<>();

    /** The greeting; a 4xx/5xx one is followed by closing the connection. */
    public volatile String greeting = "220 faulty.test ESMTP";
    /** The EHLO keywords after the first line. */
    public volatile List<String> extensions = List.of("8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES");
    /** The reply per RCPT argument (the whole {@code TO:<...> PARAMS} text). */
    public volatile Function<String, String> rcptReply = a -> "250 2.1.5 ok";
    /** The reply to MAIL; a 421 one is followed by closing the connection. */
    public volatile String mailReply = "250 2.1.0 ok";
    /**
     * The reply to DATA, or null for the usual one (354 when MAIL and a RCPT were accepted, else
     * 554). A 3xx one is followed by reading the content, also when there is no recipient: such
     * content is kept in {@link #contentWithoutRecipients()} and answered 554.
     */
    public volatile String dataCommandReply;
    /** The reply after the final dot. */
    public volatile String dataReply = "250 2.0.0 queued";
    /** Close the connection after this many content bytes (negative: never). */
    public volatile int disconnectAfterContentBytes = -1;
    /** Accept connections and never say a word. */
    public volatile boolean silent;
    /** Wait this long before the reply to the final dot. */
    public volatile long dataDelayMillis;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();

    public FaultySmtpServer() throws IOException {
        this(InetAddress.getLoopbackAddress(), 0);
    }

    /** A server on {@code address}:{@code port} (0: any free port), e.g. two MX hosts on one port. */
    public FaultySmtpServer(InetAddress address, int port) throws IOException {
        server = new ServerSocket(port, 50, address);
        Thread t = new Thread(this::acceptLoop, "faulty-smtp-accept");
        t.setDaemon(true);
        t.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    public int connections() {
        return connections.get();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    /** The most sessions that were open at the same time. */
    public int peakConcurrency() {
        return peak.get();
    }

    public List<String> commands() {
        return List.copyOf(commands);
    }

    /**
     * What each read from a client socket returned, as ISO-8859-1 text, in order: commands sent in
     * one write arrive in one read on loopback, so tests can see a pipelined group.
     */
    public List<String> reads() {
        return List.copyOf(reads);
    }

    /** The content of DATA transfers the server took although no recipient was accepted. */
    public List<byte[]> contentWithoutRecipients() {
        return List.copyOf(contentWithoutRecipients);
    }

    /** Closes every open session without a word, as a next hop that timed out an idle client. */
    public void dropConnections() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
    }

    /** Back to a well-behaved server. */
    public void heal() {
        greeting = "220 faulty.test ESMTP";
        rcptReply = a -> "250 2.1.5 ok";
        dataReply = "250 2.0.0 queued";
        disconnectAfterContentBytes = -1;
        silent = false;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                sockets.add(s);
                Thread t = new Thread(() -> serve(s), "faulty-smtp-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        peak.accumulateAndGet(active.incrementAndGet(), Math::max);
        try (s; InputStream in = new java.io.BufferedInputStream(recording(s.getInputStream()));
             OutputStream out = s.getOutputStream()) {
            if (silent) {
                while (in.read() >= 0) {
                    // say nothing; the client must time out
                }
                return;
            }
            reply(out, greeting);
            if (!greeting.startsWith("2")) {
                return;
            }
            String from = null;
            List<String> rcpts = new ArrayList<>();
            String line;
            while ((line = readLine(in)) != null) {
                commands.add(line);
                String upper = line.toUpperCase(java.util.Locale.ROOT);
                if (upper.startsWith("EHLO")) {
                    StringBuilder b = new StringBuilder();
                    List<String> ext = extensions;
                    b.append(ext.isEmpty() ? "250 " : "250-").append("faulty.test\r\n");
                    for (int i = 0; i < ext.size(); i++) {
                        b.append(i == ext.size() - 1 ? "250 " : "250-").append(ext.get(i)).append("\r\n");
                    }
                    out.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                } else if (upper.startsWith("HELO")) {
                    reply(out, "250 faulty.test");
                } else if (upper.startsWith("MAIL FROM:")) {
                    String r = mailReply;
                    from = r.startsWith("2") ? line.substring(10) : null;
                    rcpts.clear();
                    reply(out, r);
                    if (r.startsWith("421")) {
                        return;
                    }
                } else if (upper.startsWith("RCPT TO:")) {
                    if (from == null) {
                        reply(out, "503 5.5.1 need MAIL command");
                        continue;
                    }
                    String r = rcptReply.apply(line.substring(8));
                    if (r.startsWith("2")) {
                        rcpts.add(line.substring(8));
                    }
                    reply(out, r);
                    if (r.startsWith("421")) {
                        return;
                    }
                } else if (upper.equals("DATA")) {
                    String d = dataCommandReply;
                    if (d == null) {
                        d = from == null || rcpts.isEmpty() ? "554 5.5.1 no valid recipients" : "354 go ahead";
                    }
                    reply(out, d);
                    if (d.startsWith("421")) {
                        return;
                    }
                    if (!d.startsWith("3")) {
                        continue;
                    }
                    byte[] content = readContent(in, disconnectAfterContentBytes);
                    if (content == null) {
                        return; // disconnected in the middle of DATA
                    }
                    if (from == null || rcpts.isEmpty()) {
                        contentWithoutRecipients.add(content);
                        reply(out, "554 5.5.1 no valid recipients");
                        from = null;
                        rcpts.clear();
                        continue;
                    }
                    String r = dataReply;
                    if (dataDelayMillis > 0) {
                        try {
                            Thread.sleep(dataDelayMillis);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    if (r.startsWith("2")) {
                        received.add(new Received(from, List.copyOf(rcpts), content));
                    }
                    reply(out, r);
                    from = null;
                    rcpts.clear();
                } else if (upper.equals("RSET")) {
                    from = null;
                    rcpts.clear();
                    reply(out, "250 2.0.0 ok");
                } else if (upper.equals("NOOP")) {
                    reply(out, "250 2.0.0 ok");
                } else if (upper.equals("QUIT")) {
                    reply(out, "221 2.0.0 bye");
                    return;
                } else {
                    reply(out, "502 5.5.2 not implemented");
                }
            }
        } catch (SocketException e) {
            // client went away
        } catch (IOException e) {
            // client went away
        } finally {
            active.decrementAndGet();
            sockets.remove(s);
        }
    }

    private InputStream recording(InputStream raw) {
        return new java.io.FilterInputStream(raw) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0 && reads.size() < 10_000) {
                    reads.add(new String(b, off, n, StandardCharsets.ISO_8859_1));
                }
                return n;
            }
        };
    }

    private static void reply(OutputStream out, String r) throws IOException {
        out.write((r + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                byte[] a = b.toByteArray();
                int n = a.length > 0 && a[a.length - 1] == '\r' ? a.length - 1 : a.length;
                return new String(a, 0, n, StandardCharsets.ISO_8859_1);
            }
            b.write(c);
        }
        return null;
    }

    /** Reads up to CRLF.CRLF, undoing dot-stuffing; null when the connection is to be cut (or was). */
    private static byte[] readContent(InputStream in, int cutAfter) throws IOException {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        int total = 0;
        while (true) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0) {
                line.write(c);
                total++;
                if (cutAfter >= 0 && total >= cutAfter) {
                    return null;
                }
                if (c == '\n') {
                    break;
                }
            }
            if (c < 0) {
                return null;
            }
            byte[] l = line.toByteArray();
            if (l.length == 3 && l[0] == '.' && l[1] == '\r') {
                return content.toByteArray();
            }
            int off = l.length > 0 && l[0] == '.' ? 1 : 0;
            content.write(l, off, l.length - off);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
