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

    Duration rsetAfterIdle() {
        return rsetAfterIdle;
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
        Session session = newSession(target, policy);
        SmtpReply greeting = greet(session, target);
        Phase phase = new Phase();
        try {
            Map<String, String> extensions = hello(session, target);
            extensions = startTlsAsThePolicyAsks(session, target, policy, extensions, phase);
            if (hop.auth() != null) {
                phase.name = "AUTH";
                authenticate(session, target, hop, extensions);
            }
            return new Connection(this, session, target, extensions, greeting);
        } catch (SMTPConnectionClosedException e) {
            SmtpReply reply = replyOf(session.client, SmtpReply.of(421, "4.4.2", target + " closed the connection"));
            session.disconnectQuietly();
            throw new TransportException(reply, false, phase.name.contains("STARTTLS"), e);
        } catch (IOException e) {
            session.disconnectQuietly();
            String status = e instanceof SSLException ? "4.7.5" : "4.4.2";
            throw new TransportException(SmtpReply.of(421, status,
                    "lost connection with " + target + " during " + phase.name + ": " + describe(e)), false,
                    phase.name.contains("STARTTLS"), e);
        }
    }

    /** The step of the session set-up under way, for the error text when the connection is lost. */
    private static final class Phase {
        String name = "EHLO";
    }

    /** A client for the TLS policy, with the connect and greeting timeouts and the bounded, watched socket. */
    private Session newSession(Target target, TlsPolicy policy) {
        OutboundTls.Client client = tls.newClient(policy, target.hostName());
        Session session = new Session(client, live);
        session.replyAllowance = settings.maxReplyBytes();
        live.add(session);
        client.setConnectTimeout(millis(settings.connectTimeout()));
        client.setDefaultTimeout(millis(settings.greetingTimeout()));
        session.writeTimeout = settings.greetingTimeout().toMillis();
        client.setSocketFactory(new BoundedSocket.Factory(session, settings.maxReplyBytes()));
        return session;
    }

    /** TCP connect and the greeting, which must be 2xx; a 5xx greeting becomes 4xx (try another host or later). */
    private SmtpReply greet(Session session, Target target) throws TransportException {
        OutboundTls.Client client = session.client;
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
        return greeting;
    }

    /**
     * STARTTLS when the policy asks for it (required; opportunistic when offered), then EHLO again
     * (RFC 3207 section 4.2: forget what the server said before TLS); returns the extensions that
     * hold from now on. Required TLS that is not offered or refused ends the session (451/4xx).
     */
    private Map<String, String> startTlsAsThePolicyAsks(Session session, Target target, TlsPolicy policy,
                                                        Map<String, String> extensions, Phase phase)
            throws IOException, TransportException {
        boolean offered = extensions.containsKey("STARTTLS");
        if (policy != TlsPolicy.REQUIRED && !(policy == TlsPolicy.OPPORTUNISTIC && offered)) {
            return extensions;
        }
        phase.name = "STARTTLS";
        if (!offered) {
            session.disconnectQuietly();
            throw new TransportException(SmtpReply.of(451, "4.7.4",
                    "TLS is required, but " + target + " does not offer STARTTLS"), false, null);
        }
        session.phase(settings.heloTimeout());
        if (!session.client.execTLS()) {
            SmtpReply refused = replyOf(session.client, null);
            if (policy == TlsPolicy.REQUIRED) {
                session.disconnectQuietly();
                throw new TransportException(temporary(refused, "TLS is required, but " + target
                        + " refused STARTTLS"), false, null);
            }
            return extensions;
        }
        phase.name = "EHLO after STARTTLS";
        return hello(session, target);
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
    static SmtpReply replyOf(AuthenticatingSMTPClient client, SmtpReply fallback) {
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

    static String describe(IOException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    static int millis(Duration d) {
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
}
