package dev.relay.dist;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on loopback in front of a real SMTP server (GreenMail in the tests) that records the
 * envelope the relay puts on the wire: each transaction's {@code MAIL FROM:} line and {@code RCPT TO:}
 * lines, byte for byte (read as UTF-8), and whether its content was sent. The server's replies are
 * passed through untouched; content lines are skipped, not parsed.
 */
final class RecordingProxy implements AutoCloseable {

    /** One transaction as the client sent it: the MAIL line, its RCPT lines, whether DATA followed. */
    record Transaction(String mail, List<String> rcpts, boolean data) {
    }

    private final ServerSocket server;
    private final int targetPort;
    private final List<Transaction> transactions = new CopyOnWriteArrayList<>();
    private final List<String> mailLines = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    RecordingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "recording-proxy");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** The transactions whose content was sent, in the order they ended. */
    List<Transaction> transactions() {
        return transactions.stream().filter(Transaction::data).toList();
    }

    /** Every MAIL FROM line sent, also of transactions that did not reach DATA. */
    List<String> mailLines() {
        return List.copyOf(mailLines);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket in = server.accept();
                Socket out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(in);
                sockets.add(out);
                start(() -> record(in, out));
                start(() -> pipe(out, in));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void start(Runnable r) {
        Thread t = new Thread(r, "recording-proxy-pipe");
        t.setDaemon(true);
        t.start();
    }

    /** Client to server: passes every byte on, and reads the command lines on the way. */
    private void record(Socket from, Socket to) {
        try (InputStream i = new BufferedInputStream(from.getInputStream());
             OutputStream o = new BufferedOutputStream(to.getOutputStream())) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            String mail = null;
            List<String> rcpts = new ArrayList<>();
            boolean inData = false;
            int b;
            while ((b = i.read()) >= 0) {
                o.write(b);
                if (i.available() == 0) {
                    o.flush();
                }
                if (b != '\n') {
                    line.write(b);
                    continue;
                }
                String l = line.toString(StandardCharsets.UTF_8);
                line.reset();
                if (l.endsWith("\r")) {
                    l = l.substring(0, l.length() - 1);
                }
                if (inData) {
                    if (l.equals(".")) {
                        inData = false;
                        transactions.add(new Transaction(mail, List.copyOf(rcpts), true));
                        mail = null;
                        rcpts.clear();
                    }
                } else if (l.regionMatches(true, 0, "MAIL FROM:", 0, 10)) {
                    mail = l;
                    mailLines.add(l);
                    rcpts.clear();
                } else if (l.regionMatches(true, 0, "RCPT TO:", 0, 8)) {
                    rcpts.add(l);
                } else if (l.equalsIgnoreCase("DATA")) {
                    inData = true;
                } else if (l.equalsIgnoreCase("RSET")) {
                    mail = null;
                    rcpts.clear();
                }
            }
        } catch (IOException e) {
            // connection closed
        } finally {
            closeQuietly(from, to);
        }
    }

    private static void pipe(Socket from, Socket to) {
        try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
            byte[] buf = new byte[8192];
            for (int n; (n = i.read(buf)) >= 0; ) {
                o.write(buf, 0, n);
                o.flush();
            }
        } catch (IOException e) {
            // connection closed
        } finally {
            closeQuietly(from, to);
        }
    }

    private static void closeQuietly(Socket a, Socket b) {
        try {
            a.close();
            b.close();
        } catch (IOException e) {
            // closing anyway
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
