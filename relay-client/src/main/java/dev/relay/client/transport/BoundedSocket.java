package dev.relay.client.transport;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;

/**
 * A plain socket whose input fails when more than {@code maxReplyBytes} arrive between two of
 * our writes (one reply, however many lines; that many per command after a pipelined group), and whose writes are closed by a watchdog when
 * they block longer than the current phase's timeout. Under TLS it carries the encrypted
 * bytes, so both bounds still hold.
 */
final class BoundedSocket extends Socket {

    /** Closes sockets whose write blocks too long: Java socket writes do not time out. */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "smtp-write-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** Makes the one socket of a session: bounded replies, watched writes. */
    static final class Factory extends SocketFactory {
        private final Session session;
        private final int maxReplyBytes;

        Factory(Session session, int maxReplyBytes) {
            this.session = session;
            this.maxReplyBytes = maxReplyBytes;
        }

        @Override
        public Socket createSocket() {
            BoundedSocket s = new BoundedSocket(session, maxReplyBytes);
            session.socket = s;
            return s;
        }

        @Override
        public Socket createSocket(String host, int port) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Socket createSocket(String host, int port, java.net.InetAddress localHost, int localPort) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Socket createSocket(java.net.InetAddress host, int port) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Socket createSocket(java.net.InetAddress address, int port, java.net.InetAddress localAddress, int localPort) {
            throw new UnsupportedOperationException();
        }
    }

    private final Session session;
    private final int maxReplyBytes;
    private volatile long readSinceWrite;
    private InputStream in;
    private OutputStream out;

    BoundedSocket(Session session, int maxReplyBytes) {
        this.session = session;
        this.maxReplyBytes = maxReplyBytes;
    }

    @Override
    public void connect(java.net.SocketAddress endpoint, int timeout) throws IOException {
        super.connect(endpoint, timeout);
        session.socketConnected = true;
    }

    @Override
    public synchronized InputStream getInputStream() throws IOException {
        if (in == null) {
            in = new FilterInputStream(super.getInputStream()) {
                @Override
                public int read() throws IOException {
                    int c = super.read();
                    if (c >= 0) {
                        count(1);
                    }
                    return c;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int r = super.read(b, off, len);
                    if (r > 0) {
                        count(r);
                    }
                    return r;
                }
            };
        }
        return in;
    }

    private void count(int n) throws IOException {
        readSinceWrite += n;
        if (readSinceWrite > session.replyAllowance) {
            close();
            throw new IOException("reply longer than " + maxReplyBytes + " bytes");
        }
    }

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
        if (out == null) {
            OutputStream raw = super.getOutputStream();
            out = new FilterOutputStream(raw) {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    readSinceWrite = 0;
                    long timeout = session.writeTimeout;
                    ScheduledFuture<?> guard = WATCHDOG.schedule(BoundedSocket.this::closeQuietly,
                            timeout, TimeUnit.MILLISECONDS);
                    try {
                        raw.write(b, off, len);
                    } catch (IOException e) {
                        if (guard.isDone()) {
                            throw new SocketTimeoutException("write blocked longer than " + timeout + " ms");
                        }
                        throw e;
                    } finally {
                        guard.cancel(false);
                    }
                }
            };
        }
        return out;
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            // the blocked writer sees the error
        }
    }
}
