package dev.relay.client.transport;

import dev.relay.client.routing.Target;
import dev.relay.mail.BodyType;
import dev.relay.mail.MailParameters;
import dev.relay.mail.SmtpReply;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import org.apache.commons.net.smtp.AuthenticatingSMTPClient;
import org.apache.commons.net.smtp.SMTPConnectionClosedException;

/**
 * The only user of Apache Commons Net: opens SMTP sessions to a next hop and runs transactions on
 * them, returning values, never booleans to ask about later.
 *
 * <p>Design. A {@link Connection} wraps one {@code AuthenticatingSMTPClient} (a subclass of
 * {@code SMTPClient} that adds EHLO, STARTTLS and AUTH for the security issue). Every phase sets
 * its own read timeout (RFC 5321 section 4.5.3.2); writes are bounded too: Java socket writes do
 * not time out, so a watchdog closes the socket when one write blocks longer than the phase's
 * timeout (a next hop that stops reading in the middle of DATA). The socket counts the bytes read
 * since our last write and fails the session when one reply exceeds
 * {@link TransportSettings#maxReplyBytes()}: Commons Net would otherwise buffer a hostile
 * endless reply. Commons Net's 421 exception is turned into a deferral with the 421's text.
 *
 * <p>The content is streamed from the queue through a dot-stuffing stream (RFC 5321 section
 * 4.5.2) straight onto the socket: the message is never held in the heap.
 *
 * <p>Errors: every {@link IOException} and timeout defers the recipients not yet decided (RFC 5321
 * section 3.8: "as if a 451 response had been received") and makes the connection unusable; 4xx
 * replies defer, 5xx fail. Before sending anything, a message larger than the next hop's SIZE
 * fails with 5.3.4 (RFC 1870 section 6.1), a BODY=8BITMIME message to a next hop without 8BITMIME
 * fails with 5.6.3, and an SMTPUTF8 message to a next hop without SMTPUTF8 fails with 5.6.7
 * (RFC 6531 section 3.4). We do not convert 8-bit content to quoted-printable (RFC 6152 allows
 * either): a relay must not modify the message data beyond trace headers (RFC 5321 section
 * 2.3.10), conversion breaks DKIM signatures, and 8BITMIME is offered by practically every
 * server today, so the rare refusal is better reported to the sender than silently rewritten.
 */
public final class SmtpTransport {

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "smtp-write-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final TransportSettings settings;
    private final String heloName;

    /**
     * @param settings timeouts and limits
     * @param heloName the name we give in EHLO/HELO (our host name)
     */
    public SmtpTransport(TransportSettings settings, String heloName) {
        this.settings = settings;
        this.heloName = heloName;
    }

    public TransportSettings settings() {
        return settings;
    }

    /**
     * Opens a session: TCP connect, the 220 greeting, EHLO (HELO when EHLO is refused with 5xx).
     *
     * @throws TransportException when no session could be opened; its reply says why
     */
    public Connection connect(Target target) throws TransportException {
        Client client = new Client();
        client.setConnectTimeout(millis(settings.connectTimeout()));
        client.setDefaultTimeout(millis(settings.greetingTimeout()));
        client.setSocketFactory(new BoundedSocketFactory(client));
        client.writeTimeout = settings.greetingTimeout().toMillis();
        try {
            client.connect(target.address(), target.port());
        } catch (SMTPConnectionClosedException e) {
            // 421 at the greeting (RFC 5321 section 3.1): the server is not taking mail now.
            SmtpReply reply = replyOf(client, SmtpReply.of(421, "4.4.2", target + " closed the connection at the greeting"));
            client.disconnectQuietly();
            throw new TransportException(reply, false, e);
        } catch (IOException e) {
            client.disconnectQuietly();
            boolean tcp = !client.socketConnected;
            String what = tcp ? "connect to " + target : "no greeting from " + target;
            throw new TransportException(SmtpReply.of(421, "4.4.1", what + ": " + describe(e)), tcp, e);
        }
        SmtpReply greeting = replyOf(client, null);
        if (!greeting.isPositive()) {
            client.disconnectQuietly();
            throw new TransportException(temporary(greeting, target + " refused to talk to me"), false, null);
        }
        Map<String, String> extensions;
        try {
            client.phase(settings.heloTimeout());
            client.ehlo(heloName);
            SmtpReply ehlo = replyOf(client, null);
            if (ehlo.isPositive()) {
                extensions = parseExtensions(ehlo);
            } else if (ehlo.isPermanent()) {
                // RFC 5321 section 3.2: a server that does not know EHLO answers 500/502; fall back to HELO.
                client.helo(heloName);
                SmtpReply helo = replyOf(client, null);
                if (!helo.isPositive()) {
                    client.disconnectQuietly();
                    throw new TransportException(temporary(helo, target + " refused HELO"), false, null);
                }
                extensions = Map.of();
            } else {
                client.disconnectQuietly();
                throw new TransportException(ehlo, false, null);
            }
        } catch (IOException e) {
            SmtpReply reply = e instanceof SMTPConnectionClosedException
                    ? replyOf(client, null)
                    : SmtpReply.of(421, "4.4.2", "lost connection with " + target + " during EHLO: " + describe(e));
            client.disconnectQuietly();
            throw new TransportException(reply, false, e);
        }
        return new Connection(client, target, extensions, greeting);
    }

    /** A failure reply kept as is when it is 4xx; a 5xx at the greeting or HELO becomes 4xx (try another host or later). */
    private static SmtpReply temporary(SmtpReply reply, String what) {
        if (reply.isTransient()) {
            return reply;
        }
        return SmtpReply.of(421, "4.3.0", what + ": " + reply);
    }

    /** An open session to one next-hop address. Not thread-safe: one thread uses it at a time. */
    public final class Connection implements AutoCloseable {
        private final Client client;
        private final Target target;
        private final Map<String, String> extensions;
        private final SmtpReply greeting;
        private boolean usable = true;
        private int transactions;

        private Connection(Client client, Target target, Map<String, String> extensions, SmtpReply greeting) {
            this.client = client;
            this.target = target;
            this.extensions = Collections.unmodifiableMap(extensions);
            this.greeting = greeting;
        }

        public Target target() {
            return target;
        }

        public SmtpReply greeting() {
            return greeting;
        }

        /** The EHLO keywords (upper case) with their parameters (may be empty); empty after HELO. */
        public Map<String, String> extensions() {
            return extensions;
        }

        public boolean supports(String keyword) {
            return extensions.containsKey(keyword.toUpperCase(Locale.ROOT));
        }

        /** The advertised SIZE limit (RFC 1870), 0 when there is none. */
        public long sizeLimit() {
            String v = extensions.get("SIZE");
            if (v == null || v.isBlank()) {
                return 0;
            }
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                return 0;
            }
        }

        /** Transactions run on this session so far. */
        public int transactions() {
            return transactions;
        }

        /** False once the session failed (I/O error, timeout, 421): close it, do not reuse it. */
        public boolean isUsable() {
            return usable && client.isConnected();
        }

        /** Runs one transaction; never throws. */
        public TransactionResult send(Transaction tx) {
            transactions++;
            int n = tx.recipients().size();
            RecipientResult[] results = new RecipientResult[n];
            boolean dsn = supports("DSN");
            SmtpReply refusal = precheck(tx);
            if (refusal != null) {
                Arrays.fill(results, new RecipientResult.Failed(refusal));
                return new TransactionResult(Arrays.asList(results), dsn);
            }
            String phase = "MAIL FROM";
            try {
                client.phase(settings.mailTimeout());
                client.mail(tx.reversePath() + params(mailParameters(tx)));
                SmtpReply mail = replyOf(client, null);
                if (!mail.isPositive()) {
                    Arrays.fill(results, RecipientResult.of(mail));
                    resetAfterFailure();
                    return new TransactionResult(Arrays.asList(results), dsn);
                }
                phase = "RCPT TO";
                List<Integer> accepted = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    OutboundRecipient r = tx.recipients().get(i);
                    client.phase(settings.rcptTimeout());
                    client.rcpt(r.forwardPath() + params(dsn ? r.parameters().toParameterList() : List.of()));
                    SmtpReply rcpt = replyOf(client, null);
                    if (rcpt.isPositive()) {
                        accepted.add(i);
                    } else {
                        results[i] = RecipientResult.of(rcpt);
                    }
                }
                if (accepted.isEmpty()) {
                    resetAfterFailure();
                    return new TransactionResult(Arrays.asList(results), dsn);
                }
                phase = "DATA";
                client.phase(settings.dataInitTimeout());
                client.data();
                SmtpReply data = replyOf(client, null);
                if (!data.isIntermediate()) {
                    fill(results, accepted, data);
                    resetAfterFailure();
                    return new TransactionResult(Arrays.asList(results), dsn);
                }
                phase = "message content";
                client.phase(settings.dataBlockTimeout());
                DotStuffingOutputStream out = new DotStuffingOutputStream(client.rawOutput());
                try (InputStream in = tx.body().open()) {
                    in.transferTo(out);
                }
                phase = "end of data";
                out.finish();
                client.phase(settings.dataTerminationTimeout());
                client.getReply();
                fill(results, accepted, replyOf(client, null));
                return new TransactionResult(Arrays.asList(results), dsn);
            } catch (SMTPConnectionClosedException e) {
                // 421 at any point (RFC 5321 section 3.8): the server is closing; defer what is left.
                usable = false;
                fillOpen(results, replyOf(client, SmtpReply.of(421, "4.4.2", target + " closed the connection")));
                client.disconnectQuietly();
                return new TransactionResult(Arrays.asList(results), dsn);
            } catch (IOException e) {
                usable = false;
                String what = e instanceof SocketTimeoutException ? "conversation with " + target + " timed out while sending " + phase
                        : "lost connection with " + target + " while sending " + phase + ": " + describe(e);
                fillOpen(results, SmtpReply.of(451, "4.4.2", what));
                client.disconnectQuietly();
                return new TransactionResult(Arrays.asList(results), dsn);
            }
        }

        /** RFC 1870, RFC 6152, RFC 6531 checks before anything is sent; null when the message may go. */
        private SmtpReply precheck(Transaction tx) {
            long limit = sizeLimit();
            if (limit > 0 && tx.size() > limit) {
                return SmtpReply.of(552, "5.3.4", "message size " + tx.size() + " exceeds size limit " + limit
                        + " of " + target);
            }
            if (tx.parameters().body() == BodyType.EIGHT_BIT_MIME && !supports("8BITMIME")) {
                return SmtpReply.of(554, "5.6.3", "8-bit message cannot be relayed: " + target
                        + " does not offer 8BITMIME and the relay does not convert content");
            }
            if (tx.parameters().smtputf8() && !supports("SMTPUTF8")) {
                return SmtpReply.of(553, "5.6.7", "internationalized (SMTPUTF8) message cannot be relayed: "
                        + target + " does not offer SMTPUTF8");
            }
            return null;
        }

        /** RFC 5321 section 4.1.1.11: only parameters of extensions the next hop offered. */
        private List<String> mailParameters(Transaction tx) {
            MailParameters p = tx.parameters();
            boolean dsn = supports("DSN");
            MailParameters out = new MailParameters(
                    supports("SIZE") ? Long.valueOf(tx.size()) : null,
                    supports("8BITMIME") ? p.body() : null,
                    p.smtputf8(),
                    dsn ? p.ret() : null,
                    dsn ? p.envid() : null);
            return out.toParameterList();
        }

        private void resetAfterFailure() throws IOException {
            client.phase(settings.rsetTimeout());
            client.rset();
            if (!replyOf(client, null).isPositive()) {
                usable = false;
            }
        }

        /**
         * RSET before the next transaction on this session; false (and the session closed) when
         * the server does not take it.
         */
        public boolean reset() {
            if (!isUsable()) {
                return false;
            }
            try {
                resetAfterFailure();
            } catch (IOException e) {
                usable = false;
            }
            if (!usable) {
                client.disconnectQuietly();
            }
            return usable;
        }

        /** QUIT (best effort, bounded by the RSET timeout) and close. */
        @Override
        public void close() {
            if (client.isConnected() && usable) {
                try {
                    client.phase(settings.rsetTimeout());
                    client.quit();
                } catch (IOException e) {
                    // closing anyway
                }
            }
            usable = false;
            client.disconnectQuietly();
        }
    }

    private static void fill(RecipientResult[] results, List<Integer> indexes, SmtpReply reply) {
        RecipientResult r = RecipientResult.of(reply);
        for (int i : indexes) {
            results[i] = r;
        }
    }

    private static void fillOpen(RecipientResult[] results, SmtpReply reply) {
        SmtpReply deferral = reply.isTransient() ? reply : SmtpReply.of(451, "4.4.2", reply.toString());
        for (int i = 0; i < results.length; i++) {
            if (results[i] == null) {
                results[i] = new RecipientResult.Deferred(deferral);
            }
        }
    }

    private static String params(List<String> params) {
        return params.isEmpty() ? "" : " " + String.join(" ", params);
    }

    /** EHLO keywords and parameters from the lines after the first (RFC 5321 section 4.1.1.1). */
    static Map<String, String> parseExtensions(SmtpReply ehlo) {
        Map<String, String> ext = new HashMap<>();
        List<String> lines = ehlo.lines();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            int sp = line.indexOf(' ');
            String kw = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
            ext.put(kw, sp < 0 ? "" : line.substring(sp + 1).strip());
        }
        return ext;
    }

    /**
     * The client's last reply as a value; {@code fallback} when it has none. A line is
     * {@code NNN-text} or {@code NNN text}; the code and separator are taken off.
     */
    private static SmtpReply replyOf(Client client, SmtpReply fallback) {
        String[] raw = client.getReplyStrings();
        int code = client.getReplyCode();
        if (raw == null || raw.length == 0 || code < 200 || code > 599) {
            return fallback != null ? fallback : SmtpReply.of(451, "4.4.2", "no valid reply");
        }
        List<String> lines = new ArrayList<>(raw.length);
        for (String l : raw) {
            lines.add(l.length() > 4 ? l.substring(4) : "");
        }
        return SmtpReply.fromServer(code, lines);
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    private static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, d.toMillis());
    }

    /** Commons Net's client with access to the socket's raw output for DATA and our socket wrapper. */
    private static final class Client extends AuthenticatingSMTPClient {
        volatile long writeTimeout;
        volatile boolean socketConnected;
        private BoundedSocket socket;

        Client() {
            super("TLS", false, "UTF-8");
        }

        /** Sets the read timeout and the write watchdog for the next phase. */
        void phase(Duration timeout) throws IOException {
            writeTimeout = timeout.toMillis();
            setSoTimeout(millis(timeout));
        }

        OutputStream rawOutput() {
            return _output_;
        }

        void disconnectQuietly() {
            try {
                if (isConnected()) {
                    disconnect();
                }
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }

    /** Makes sockets that bound replies and time out blocked writes. */
    private final class BoundedSocketFactory extends SocketFactory {
        private final Client client;

        BoundedSocketFactory(Client client) {
            this.client = client;
        }

        @Override
        public Socket createSocket() {
            BoundedSocket s = new BoundedSocket(client, settings.maxReplyBytes());
            client.socket = s;
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

    /**
     * A plain socket whose input fails when more than {@code maxReplyBytes} arrive between two of
     * our writes (one reply, however many lines), and whose writes are closed by a watchdog when
     * they block longer than the current phase's timeout.
     */
    private static final class BoundedSocket extends Socket {
        private final Client client;
        private final int maxReplyBytes;
        private volatile long readSinceWrite;
        private InputStream in;
        private OutputStream out;

        BoundedSocket(Client client, int maxReplyBytes) {
            this.client = client;
            this.maxReplyBytes = maxReplyBytes;
        }

        @Override
        public void connect(java.net.SocketAddress endpoint, int timeout) throws IOException {
            super.connect(endpoint, timeout);
            client.socketConnected = true;
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
            if (readSinceWrite > maxReplyBytes) {
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
                        ScheduledFuture<?> guard = WATCHDOG.schedule(BoundedSocket.this::closeQuietly,
                                client.writeTimeout, TimeUnit.MILLISECONDS);
                        try {
                            raw.write(b, off, len);
                        } catch (IOException e) {
                            if (guard.isDone()) {
                                throw new SocketTimeoutException("write blocked longer than " + client.writeTimeout + " ms");
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
}
