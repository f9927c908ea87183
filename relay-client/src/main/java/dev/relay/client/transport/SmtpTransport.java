package dev.relay.client.transport;

import dev.relay.client.routing.NextHop;
import dev.relay.client.routing.Target;
import dev.relay.client.tls.CredentialsFile;
import dev.relay.client.tls.OutboundTls;
import dev.relay.client.tls.SmtpCredentials;
import dev.relay.client.tls.TlsPolicy;
import dev.relay.mail.BodyType;
import dev.relay.mail.MailParameters;
import dev.relay.mail.SmtpReply;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.nio.charset.StandardCharsets;
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
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import org.apache.commons.net.smtp.AuthenticatingSMTPClient;
import javax.net.ssl.SSLException;
import org.apache.commons.net.smtp.AuthenticatingSMTPClient.AUTH_METHOD;
import org.apache.commons.net.smtp.SMTPConnectionClosedException;

/**
 * The only user of Apache Commons Net: opens SMTP sessions to a next hop and runs transactions on
 * them, returning values, never booleans to ask about later.
 *
 * <p>Design. A {@link Connection} wraps one {@code AuthenticatingSMTPClient} (a subclass of
 * {@code SMTPClient} that adds EHLO, STARTTLS and AUTH), made by {@link OutboundTls} for the
 * route's TLS policy: STARTTLS when offered (required: defer when not offered or failed), EHLO
 * again after it (RFC 3207 section 4.2), then AUTH when the route names credentials. Every phase sets
 * its own read timeout (RFC 5321 section 4.5.3.2); writes are bounded too: Java socket writes do
 * not time out, so a watchdog closes the socket when one write blocks longer than the phase's
 * timeout (a next hop that stops reading in the middle of DATA). The socket counts the bytes read
 * since our last write and fails the session when one reply exceeds
 * {@link TransportSettings#maxReplyBytes()}: Commons Net would otherwise buffer a hostile
 * endless reply. Commons Net's 421 exception is turned into a deferral with the 421's text.
 *
 * <p>Transactions. When the next hop offers PIPELINING (RFC 2920) MAIL, the RCPTs and DATA go
 * out in one write (DATA last, section 3.1) through {@code OutboundTls.Client#pipeline}, and the
 * replies are read afterwards with Commons Net's {@code getReply()}, each under its own phase
 * timeout; without PIPELINING the commands go one by one. Either way every reply is checked
 * (a DATA answered 354 after no recipient was accepted gets a lone "."), and the per-recipient
 * outcome is the same. No RSET follows a transaction that ended with the reply to the final dot
 * (the server has reset itself, RFC 5321 section 4.1.1.4); a failed one is reset at once, and
 * {@link Connection#reset()} sends RSET only to check a session that sat idle.
 *
 * <p>The content is streamed from the queue as bytes, block by block (the message is never held
 * in the heap), dot-stuffed by {@link DotStuffer} (RFC 5321 section 4.5.2) and written, with the
 * final ".\r\n", to the session's current output stream (the TLS one after STARTTLS) through one
 * buffer: a small message leaves in one write, and every write is under the watchdog. 8-bit
 * content is sent as is. Commands use the client's ISO-8859-1 encoding, so SMTPUTF8 addresses
 * are put on the wire as their UTF-8 bytes.
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
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SmtpTransport.class);

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "smtp-write-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final TransportSettings settings;
    private final String heloName;
    private final OutboundTls tls;
    private final CredentialsFile credentials;
    private final java.util.Set<Session> live = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** A session idle this long gets an RSET before its next transaction: see {@link Connection#reset()}. */
    private volatile Duration rsetAfterIdle = Duration.ofSeconds(1);

    /**
     * @param settings    timeouts and limits
     * @param heloName    the name we give in EHLO/HELO (our host name)
     * @param tls         makes the Commons Net clients with the TLS policy of a route
     * @param credentials the smarthost credentials for routes with {@code auth=}, or null for none
     */
    public SmtpTransport(TransportSettings settings, String heloName, OutboundTls tls, CredentialsFile credentials) {
        this.settings = settings;
        this.heloName = heloName;
        this.tls = tls;
        this.credentials = credentials;
    }

    public TransportSettings settings() {
        return settings;
    }

    /** For tests: how long a session may sit idle before {@link Connection#reset()} checks it with RSET. */
    void rsetAfterIdle(Duration idle) {
        this.rsetAfterIdle = idle;
    }

    /**
     * Opens a session: TCP connect, the 220 greeting, EHLO (HELO when EHLO is refused with 5xx),
     * STARTTLS and AUTH as the route asks.
     *
     * @param target the address to connect to
     * @param hop    the next hop it belongs to: TLS policy and credentials
     * @throws TransportException when no session could be opened; its reply says why
     */
    public Connection connect(Target target, NextHop hop) throws TransportException {
        TlsPolicy policy = tls.effective(hop.tls());
        try {
            return open(target, hop, policy);
        } catch (TransportException e) {
            // Opportunistic TLS that fails after STARTTLS (a handshake neither side can finish)
            // is tried again in clear at once, as Postfix does at its "may" level; never with
            // credentials to send (they go only over TLS), never under tls=required.
            if (policy != TlsPolicy.OPPORTUNISTIC || !e.tlsSetupFailed() || hop.auth() != null) {
                throw e;
            }
            LOG.info("{}; trying again without TLS (opportunistic TLS)", e.reply().text());
            return open(target, hop, TlsPolicy.NONE);
        }
    }

    private Connection open(Target target, NextHop hop, TlsPolicy policy) throws TransportException {
        OutboundTls.Client client = tls.newClient(policy, target.hostName());
        Session session = new Session(client, live);
        session.replyAllowance = settings.maxReplyBytes();
        live.add(session);
        client.setConnectTimeout(millis(settings.connectTimeout()));
        client.setDefaultTimeout(millis(settings.greetingTimeout()));
        session.writeTimeout = settings.greetingTimeout().toMillis();
        client.setSocketFactory(new BoundedSocketFactory(session, settings.maxReplyBytes()));
        try {
            client.connect(target.address(), target.port());
        } catch (SMTPConnectionClosedException e) {
            // 421 at the greeting (RFC 5321 section 3.1): the server is not taking mail now.
            SmtpReply reply = replyOf(client, SmtpReply.of(421, "4.4.2", target + " closed the connection at the greeting"));
            session.disconnectQuietly();
            throw new TransportException(reply, false, e);
        } catch (IOException e) {
            session.disconnectQuietly();
            boolean tcp = !session.socketConnected;
            String what = tcp ? "connect to " + target : (e instanceof SSLException
                    ? "TLS handshake with " + target + " failed" : "no greeting from " + target);
            throw new TransportException(SmtpReply.of(421, tcp ? "4.4.1" : "4.4.2", what + ": " + describe(e)), tcp, e);
        }
        SmtpReply greeting = replyOf(client, null);
        if (!greeting.isPositive()) {
            session.disconnectQuietly();
            throw new TransportException(temporary(greeting, target + " refused to talk to me"), false, null);
        }
        String phase = "EHLO";
        try {
            Map<String, String> extensions = hello(session, target);
            if (policy == TlsPolicy.REQUIRED || (policy == TlsPolicy.OPPORTUNISTIC && extensions.containsKey("STARTTLS"))) {
                phase = "STARTTLS";
                if (!extensions.containsKey("STARTTLS")) {
                    session.disconnectQuietly();
                    throw new TransportException(SmtpReply.of(451, "4.7.4",
                            "TLS is required, but " + target + " does not offer STARTTLS"), false, null);
                }
                session.phase(settings.heloTimeout());
                if (!client.execTLS()) {
                    SmtpReply refused = replyOf(client, null);
                    if (policy == TlsPolicy.REQUIRED) {
                        session.disconnectQuietly();
                        throw new TransportException(temporary(refused, "TLS is required, but " + target
                                + " refused STARTTLS"), false, null);
                    }
                } else {
                    // RFC 3207 section 4.2: forget what the server said before TLS, say EHLO again.
                    phase = "EHLO after STARTTLS";
                    extensions = hello(session, target);
                }
            }
            if (hop.auth() != null) {
                phase = "AUTH";
                authenticate(session, target, hop, extensions);
            }
            return new Connection(session, target, extensions, greeting);
        } catch (SMTPConnectionClosedException e) {
            SmtpReply reply = replyOf(client, SmtpReply.of(421, "4.4.2", target + " closed the connection"));
            session.disconnectQuietly();
            throw new TransportException(reply, false, phase.contains("STARTTLS"), e);
        } catch (IOException e) {
            session.disconnectQuietly();
            String status = e instanceof SSLException ? "4.7.5" : "4.4.2";
            throw new TransportException(SmtpReply.of(421, status,
                    "lost connection with " + target + " during " + phase + ": " + describe(e)), false,
                    phase.contains("STARTTLS"), e);
        }
    }

    /** EHLO, or HELO when EHLO is refused with 5xx; the extensions offered. */
    private Map<String, String> hello(Session session, Target target) throws IOException, TransportException {
        AuthenticatingSMTPClient client = session.client;
        session.phase(settings.heloTimeout());
        client.ehlo(heloName);
        SmtpReply ehlo = replyOf(client, null);
        if (ehlo.isPositive()) {
            return parseExtensions(ehlo);
        }
        if (ehlo.isPermanent()) {
            // RFC 5321 section 3.2: a server that does not know EHLO answers 500/502; fall back to HELO.
            client.helo(heloName);
            SmtpReply helo = replyOf(client, null);
            if (helo.isPositive()) {
                return Map.of();
            }
            session.disconnectQuietly();
            throw new TransportException(temporary(helo, target + " refused HELO"), false, null);
        }
        session.disconnectQuietly();
        throw new TransportException(ehlo, false, null);
    }

    /** RFC 4954 AUTH with the credentials the route names: PLAIN, else LOGIN; only over TLS unless the policy is none. */
    private void authenticate(Session session, Target target, NextHop hop, Map<String, String> extensions)
            throws IOException, TransportException {
        Optional<SmtpCredentials> creds = credentials == null ? Optional.empty()
                : credentials.forKey(hop.auth()).or(() -> credentials.forKey(hop.destination()));
        if (creds.isEmpty()) {
            session.disconnectQuietly();
            throw new TransportException(SmtpReply.of(451, "4.7.0", "no credentials \"" + hop.auth()
                    + "\" in the credentials file for " + target), false, null);
        }
        String mechanisms = extensions.getOrDefault("AUTH", "").toUpperCase(Locale.ROOT);
        AUTH_METHOD method = mechanisms.contains("PLAIN") ? AUTH_METHOD.PLAIN
                : mechanisms.contains("LOGIN") ? AUTH_METHOD.LOGIN : null;
        if (method == null) {
            session.disconnectQuietly();
            throw new TransportException(SmtpReply.of(451, "4.7.0", target + " offers no AUTH PLAIN or LOGIN"), false, null);
        }
        if (!session.client.isTls() && session.client.policy() != TlsPolicy.NONE) {
            session.disconnectQuietly();
            throw new TransportException(SmtpReply.of(451, "4.7.0", "will not send credentials to " + target
                    + " without TLS"), false, null);
        }
        boolean ok;
        try {
            ok = session.client.auth(method, creds.get().user(), creds.get().password());
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("AUTH " + method + ": " + e.getMessage(), e);
        }
        if (!ok) {
            SmtpReply refused = replyOf(session.client, null);
            session.disconnectQuietly();
            // A 535 is a configuration error at our end; keep the mail and let the admin fix it.
            throw new TransportException(temporary(refused, target + " refused AUTH"), false, null);
        }
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
        private final Session session;
        private final OutboundTls.Client client;
        private final Target target;
        private final Map<String, String> extensions;
        private final SmtpReply greeting;
        private boolean usable = true;
        private int transactions;
        /** No transaction open at the server: the last one ended with the reply to the final dot or to RSET. */
        private boolean clean = true;
        /** System.nanoTime() of the last reply read. */
        private long lastUsed = System.nanoTime();

        private Connection(Session session, Target target, Map<String, String> extensions, SmtpReply greeting) {
            this.session = session;
            this.client = session.client;
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

        /** True when the session is encrypted. */
        public boolean isTls() {
            return client.isTls();
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

        /**
         * Runs one transaction; never throws. With PIPELINING (RFC 2920) MAIL, every RCPT and
         * DATA go out as one group in one write, DATA last (section 3.1), and the replies are read
         * in order afterwards, each with its own timeout; without it, command by command. The
         * outcome is the same either way: a refused MAIL gives every recipient MAIL's reply, a
         * refused RCPT its own, a refused DATA the accepted recipients DATA's reply, and the reply
         * to the final dot the accepted recipients.
         */
        public TransactionResult send(Transaction tx) {
            transactions++;
            int n = tx.recipients().size();
            RecipientResult[] results = new RecipientResult[n];
            boolean dsn = supports("DSN");
            SmtpReply refusal = precheck(tx);
            if (refusal != null) {
                Arrays.fill(results, new RecipientResult.Failed(refusal));
                lastUsed = System.nanoTime();
                return new TransactionResult(Arrays.asList(results), dsn);
            }
            // Until the transaction ends with a reply after which the server holds none (the reply
            // to the final dot, or to RSET): then the next one needs no RSET first.
            clean = false;
            String phase = "MAIL FROM";
            try {
                String mailCommand = "MAIL FROM:" + wire(tx.reversePath() + params(mailParameters(tx)));
                List<String> rcptCommands = new ArrayList<>(n);
                for (OutboundRecipient r : tx.recipients()) {
                    rcptCommands.add("RCPT TO:" + wire(r.forwardPath()
                            + params(dsn ? r.parameters().toParameterList() : List.of())));
                }
                // Each reply decides its recipients as soon as it is read, so that a 421 later in
                // the group defers only the recipients still open.
                SmtpReply mail;
                List<Integer> accepted = new ArrayList<>(n);
                SmtpReply data = null; // null: DATA not sent
                if (supports("PIPELINING")) {
                    List<String> group = new ArrayList<>(n + 2);
                    group.add(mailCommand);
                    group.addAll(rcptCommands);
                    group.add("DATA");
                    session.phase(settings.mailTimeout());
                    // One reply per command may be read before our next write: each may be as
                    // long as one reply may be.
                    session.replyAllowance = (long) settings.maxReplyBytes() * group.size();
                    try {
                        client.pipeline(group);
                        // RFC 2920 section 3.1: the client MUST check all statuses of a group,
                        // so every reply is read, also after a refused MAIL.
                        mail = read(settings.mailTimeout());
                        if (!mail.isPositive()) {
                            Arrays.fill(results, RecipientResult.of(mail));
                        }
                        phase = "RCPT TO";
                        for (int i = 0; i < n; i++) {
                            rcpt(i, read(settings.rcptTimeout()), mail, results, accepted);
                        }
                        phase = "DATA";
                        data = read(settings.dataInitTimeout());
                    } finally {
                        session.replyAllowance = settings.maxReplyBytes();
                    }
                } else {
                    session.phase(settings.mailTimeout());
                    client.sendCommand(mailCommand);
                    mail = replyOf(client, null);
                    if (!mail.isPositive()) {
                        Arrays.fill(results, RecipientResult.of(mail));
                    } else {
                        phase = "RCPT TO";
                        for (int i = 0; i < n; i++) {
                            session.phase(settings.rcptTimeout());
                            client.sendCommand(rcptCommands.get(i));
                            rcpt(i, replyOf(client, null), mail, results, accepted);
                        }
                        if (!accepted.isEmpty()) {
                            phase = "DATA";
                            session.phase(settings.dataInitTimeout());
                            client.sendCommand("DATA");
                            data = replyOf(client, null);
                        }
                    }
                }
                boolean go = data != null && data.isIntermediate();
                if (go && !accepted.isEmpty()) {
                    phase = "message content";
                    session.phase(settings.dataBlockTimeout());
                    try (InputStream in = tx.body().open()) {
                        DotStuffer.send(in, client.output(), tx.size());
                    }
                    phase = "end of data";
                    fill(results, accepted, read(settings.dataTerminationTimeout()));
                    clean = true;
                } else if (go) {
                    // A pipelined DATA accepted although MAIL or every RCPT was refused. RFC 2920
                    // section 3.1: "if the DATA command was accepted the SMTP client should send a
                    // single dot" (so does Postfix): an empty message to no recipient, which the
                    // server refuses or drops; nothing is delivered and no recipient of ours is
                    // decided by its reply. Closing the connection instead would lose a good
                    // session for a server quirk. Its reply ends the transaction (RFC 5321
                    // section 4.1.1.4), so no RSET is needed.
                    phase = "end of data";
                    session.phase(settings.dataTerminationTimeout());
                    DotStuffer.send(InputStream.nullInputStream(), client.output(), 0);
                    read(settings.dataTerminationTimeout());
                    clean = true;
                } else {
                    if (data != null && !accepted.isEmpty()) {
                        fill(results, accepted, data.isPositive()
                                ? SmtpReply.of(451, "4.5.0", "unexpected reply to DATA from " + target + ": " + data)
                                : data);
                    }
                    resetAfterFailure();
                }
                lastUsed = System.nanoTime();
                return new TransactionResult(Arrays.asList(results), dsn);
            } catch (SMTPConnectionClosedException e) {
                // 421 at any point (RFC 5321 section 3.8): the server is closing; defer what is left.
                usable = false;
                fillOpen(results, replyOf(client, SmtpReply.of(421, "4.4.2", target + " closed the connection")));
                session.disconnectQuietly();
                return new TransactionResult(Arrays.asList(results), dsn);
            } catch (IOException e) {
                usable = false;
                String what = e instanceof SocketTimeoutException
                        ? "conversation with " + target + " timed out while sending " + phase
                        : "lost connection with " + target + " while sending " + phase + ": " + describe(e);
                fillOpen(results, SmtpReply.of(451, "4.4.2", what));
                session.disconnectQuietly();
                return new TransactionResult(Arrays.asList(results), dsn);
            }
        }

        /** A RCPT reply: the recipient accepted, or decided by the reply (by MAIL's when MAIL was refused). */
        private static void rcpt(int i, SmtpReply reply, SmtpReply mail, RecipientResult[] results, List<Integer> accepted) {
            if (!mail.isPositive()) {
                return;
            }
            if (reply.isPositive()) {
                accepted.add(i);
            } else {
                results[i] = RecipientResult.of(reply);
            }
        }

        /** Reads the next reply of a pipelined group (or after content) within {@code timeout}. */
        private SmtpReply read(Duration timeout) throws IOException {
            session.phase(timeout);
            client.getReply();
            return replyOf(client, null);
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
            session.phase(settings.rsetTimeout());
            client.rset();
            if (replyOf(client, null).isPositive()) {
                clean = true;
            } else {
                usable = false;
            }
            lastUsed = System.nanoTime();
        }

        /**
         * Makes the session ready for the next transaction; false (and the session closed) when
         * it is not. Sends RSET only when it is needed: the reply to the final dot already reset
         * the server's state (RFC 5321 section 4.1.1.4), and a failed transaction was reset when
         * it failed, so after a recent transaction this costs no round trip. A session idle
         * longer than one second gets an RSET to check it is still
         * alive, as Postfix does with a cached connection (smtp_rset_timeout): a next hop that
         * dropped it meanwhile is found out here, and the caller opens a new session, instead of
         * in the middle of the next transaction, which would defer its recipients.
         */
        public boolean reset() {
            if (!isUsable()) {
                return false;
            }
            if (clean && System.nanoTime() - lastUsed < rsetAfterIdle.toNanos()) {
                return true;
            }
            try {
                resetAfterFailure();
            } catch (IOException e) {
                usable = false;
            }
            if (!usable) {
                session.disconnectQuietly();
            }
            return usable;
        }

        /**
         * Closes the socket at once, without QUIT, from any thread: a transaction blocked in it
         * fails with an I/O error and its open recipients are deferred. For a bounded shutdown.
         */
        public void abort() {
            usable = false;
            session.disconnectQuietly();
        }

        /** QUIT (best effort, bounded by the RSET timeout) and close. */
        @Override
        public void close() {
            if (client.isConnected() && usable) {
                try {
                    session.phase(settings.rsetTimeout());
                    client.quit();
                } catch (IOException e) {
                    // closing anyway
                }
            }
            usable = false;
            session.disconnectQuietly();
        }
    }

    /** UTF-8 text as the ISO-8859-1 chars of its bytes: the client's encoding then writes the UTF-8 bytes. */
    private static String wire(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0x7f) {
                return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
            }
        }
        return text;
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
     * {@code NNN-text} or {@code NNN text}; the code and separator are taken off, and the
     * ISO-8859-1 chars are read back as the UTF-8 bytes they were.
     */
    private static SmtpReply replyOf(AuthenticatingSMTPClient client, SmtpReply fallback) {
        String[] raw = client.getReplyStrings();
        int code = client.getReplyCode();
        if (raw == null || raw.length == 0 || code < 200 || code > 599) {
            return fallback != null ? fallback : SmtpReply.of(451, "4.4.2", "no valid reply");
        }
        List<String> lines = new ArrayList<>(raw.length);
        for (String l : raw) {
            String text = l.length() > 4 ? l.substring(4) : "";
            lines.add(new String(text.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
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

    /**
     * Closes the socket of every session of this transport at once, from any thread, also of
     * sessions still connecting or waiting for a greeting: their callers see an I/O error (open
     * recipients deferred). For a bounded shutdown of the delivery engine.
     */
    public void abortAll() {
        for (Session s : live) {
            s.abort();
        }
    }

    /** A client with the state our socket wrapper shares with it. */
    private static final class Session {
        final OutboundTls.Client client;
        final java.util.Set<Session> live;
        volatile long writeTimeout;
        /** The most bytes that may be read between two of our writes: one reply's worth, more for a pipelined group. */
        volatile long replyAllowance;
        volatile boolean socketConnected;
        volatile Socket socket;

        Session(OutboundTls.Client client, java.util.Set<Session> live) {
            this.client = client;
            this.live = live;
        }

        void abort() {
            Socket s = socket;
            if (s != null) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        }

        /** Sets the read timeout and the write watchdog for the next phase. */
        void phase(Duration timeout) throws IOException {
            writeTimeout = timeout.toMillis();
            client.setSoTimeout(millis(timeout));
        }

        void disconnectQuietly() {
            live.remove(this);
            try {
                if (client.isConnected()) {
                    client.disconnect();
                }
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }

    /** Makes the one socket of a session: bounded replies, watched writes. */
    private static final class BoundedSocketFactory extends SocketFactory {
        private final Session session;
        private final int maxReplyBytes;

        BoundedSocketFactory(Session session, int maxReplyBytes) {
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

    /**
     * A plain socket whose input fails when more than {@code maxReplyBytes} arrive between two of
     * our writes (one reply, however many lines; that many per command after a pipelined group), and whose writes are closed by a watchdog when
     * they block longer than the current phase's timeout. Under TLS it carries the encrypted
     * bytes, so both bounds still hold.
     */
    private static final class BoundedSocket extends Socket {
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
}
