package dev.relay.client.transport;

import static dev.relay.client.transport.SmtpTransport.describe;
import static dev.relay.client.transport.SmtpTransport.replyOf;

import dev.relay.client.routing.Target;
import dev.relay.client.tls.OutboundTls;
import dev.relay.mail.BodyType;
import dev.relay.mail.MailParameters;
import dev.relay.mail.SmtpReply;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.net.smtp.SMTPConnectionClosedException;

/**
 * An open session to one next-hop address, made by {@link SmtpTransport#connect}. Not thread-safe:
 * one thread uses it at a time (only {@link #abort()} may come from another).
 *
 * <p>A transaction ({@link #send}) goes one of two ways. With PIPELINING (RFC 2920) MAIL, every
 * RCPT and DATA go out as one group in one write, DATA last (section 3.1), and the replies are read
 * in order afterwards, each with its own timeout; without it, command by command. Then the content,
 * a lone dot, or an RSET, as the replies decide. The outcome is the same either way: a refused MAIL
 * gives every recipient MAIL's reply, a refused RCPT its own, a refused DATA the accepted recipients
 * DATA's reply, and the reply to the final dot the accepted recipients.
 */
public final class Connection implements AutoCloseable {
    private final SmtpTransport transport;
    private final TransportSettings settings;
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

    Connection(SmtpTransport transport, Session session, Target target, Map<String, String> extensions,
               SmtpReply greeting) {
        this.transport = transport;
        this.settings = transport.settings();
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

    // ---------------------------------------------------------------- one transaction

    /**
     * What one transaction has decided so far. Each reply decides its recipients as soon as it is
     * read, so that a 421 later in a pipelined group defers only the recipients still open;
     * {@code phase} names the step for the error text when the connection is lost.
     */
    private static final class Exchange {
        final RecipientResult[] results;
        final List<Integer> accepted;
        final boolean dsn;
        String phase = "MAIL FROM";
        /** MAIL's reply, once read. */
        SmtpReply mail;
        /** DATA's reply; null when DATA was not sent. */
        SmtpReply data;

        Exchange(int recipients, boolean dsn) {
            this.results = new RecipientResult[recipients];
            this.accepted = new ArrayList<>(recipients);
            this.dsn = dsn;
        }

        TransactionResult result() {
            return new TransactionResult(Arrays.asList(results), dsn);
        }

        /** MAIL's reply: when refused, it decides every recipient. */
        void mail(SmtpReply reply) {
            mail = reply;
            if (!reply.isPositive()) {
                Arrays.fill(results, RecipientResult.of(reply));
            }
        }

        /** A RCPT reply: the recipient accepted, or decided by the reply (by MAIL's when MAIL was refused). */
        void rcpt(int i, SmtpReply reply) {
            if (!mail.isPositive()) {
                return;
            }
            if (reply.isPositive()) {
                accepted.add(i);
            } else {
                results[i] = RecipientResult.of(reply);
            }
        }

        /** Every accepted recipient gets {@code reply}. */
        void acceptedGet(SmtpReply reply) {
            RecipientResult r = RecipientResult.of(reply);
            for (int i : accepted) {
                results[i] = r;
            }
        }

        /** Every recipient not decided yet is deferred with {@code reply} (a 5xx becomes 451). */
        void deferOpen(SmtpReply reply) {
            SmtpReply deferral = reply.isTransient() ? reply : SmtpReply.of(451, "4.4.2", reply.toString());
            for (int i = 0; i < results.length; i++) {
                if (results[i] == null) {
                    results[i] = new RecipientResult.Deferred(deferral);
                }
            }
        }
    }

    /**
     * Runs one transaction; never throws. See the class comment for the two ways it goes; every
     * {@link IOException} and timeout defers the recipients not decided yet and makes the
     * connection unusable (RFC 5321 section 3.8).
     */
    public TransactionResult send(Transaction tx) {
        transactions++;
        Exchange x = new Exchange(tx.recipients().size(), supports("DSN"));
        SmtpReply refusal = precheck(tx);
        if (refusal != null) {
            Arrays.fill(x.results, new RecipientResult.Failed(refusal));
            lastUsed = System.nanoTime();
            return x.result();
        }
        // Until the transaction ends with a reply after which the server holds none (the reply
        // to the final dot, or to RSET): then the next one needs no RSET first.
        clean = false;
        try {
            String mailCommand = "MAIL FROM:" + wire(tx.reversePath() + params(mailParameters(tx)));
            List<String> rcptCommands = rcptCommands(tx, x.dsn);
            if (supports("PIPELINING")) {
                sendPipelined(mailCommand, rcptCommands, x);
            } else {
                sendOneAtATime(mailCommand, rcptCommands, x);
            }
            sendContentOrReset(tx, x);
            lastUsed = System.nanoTime();
            return x.result();
        } catch (SMTPConnectionClosedException e) {
            // 421 at any point (RFC 5321 section 3.8): the server is closing; defer what is left.
            usable = false;
            x.deferOpen(replyOf(client, SmtpReply.of(421, "4.4.2", target + " closed the connection")));
            session.disconnectQuietly();
            return x.result();
        } catch (IOException e) {
            usable = false;
            String what = e instanceof SocketTimeoutException
                    ? "conversation with " + target + " timed out while sending " + x.phase
                    : "lost connection with " + target + " while sending " + x.phase + ": " + describe(e);
            x.deferOpen(SmtpReply.of(451, "4.4.2", what));
            session.disconnectQuietly();
            return x.result();
        }
    }

    private static List<String> rcptCommands(Transaction tx, boolean dsn) {
        List<String> commands = new ArrayList<>(tx.recipients().size());
        for (OutboundRecipient r : tx.recipients()) {
            commands.add("RCPT TO:" + wire(r.forwardPath() + params(dsn ? r.parameters().toParameterList() : List.of())));
        }
        return commands;
    }

    /**
     * MAIL, the RCPTs and DATA in one write (RFC 2920), then every reply in order, each under its
     * own phase timeout. RFC 2920 section 3.1: the client MUST check all statuses of a group, so
     * every reply is read, also after a refused MAIL.
     */
    private void sendPipelined(String mailCommand, List<String> rcptCommands, Exchange x) throws IOException {
        List<String> group = new ArrayList<>(rcptCommands.size() + 2);
        group.add(mailCommand);
        group.addAll(rcptCommands);
        group.add("DATA");
        session.phase(settings.mailTimeout());
        // One reply per command may be read before our next write: each may be as long as one reply may be.
        session.replyAllowance = (long) settings.maxReplyBytes() * group.size();
        try {
            client.pipeline(group);
            x.mail(read(settings.mailTimeout()));
            x.phase = "RCPT TO";
            for (int i = 0; i < rcptCommands.size(); i++) {
                x.rcpt(i, read(settings.rcptTimeout()));
            }
            x.phase = "DATA";
            x.data = read(settings.dataInitTimeout());
        } finally {
            session.replyAllowance = settings.maxReplyBytes();
        }
    }

    /** MAIL, each RCPT, and DATA (only when a recipient was accepted), one command and its reply at a time. */
    private void sendOneAtATime(String mailCommand, List<String> rcptCommands, Exchange x) throws IOException {
        session.phase(settings.mailTimeout());
        client.sendCommand(mailCommand);
        x.mail(replyOf(client, null));
        if (!x.mail.isPositive()) {
            return;
        }
        x.phase = "RCPT TO";
        for (int i = 0; i < rcptCommands.size(); i++) {
            session.phase(settings.rcptTimeout());
            client.sendCommand(rcptCommands.get(i));
            x.rcpt(i, replyOf(client, null));
        }
        if (!x.accepted.isEmpty()) {
            x.phase = "DATA";
            session.phase(settings.dataInitTimeout());
            client.sendCommand("DATA");
            x.data = replyOf(client, null);
        }
    }

    /** After DATA's reply: the content, a lone dot, or (DATA refused or not sent) the refusal and an RSET. */
    private void sendContentOrReset(Transaction tx, Exchange x) throws IOException {
        boolean go = x.data != null && x.data.isIntermediate();
        if (go && !x.accepted.isEmpty()) {
            sendContent(tx, x);
        } else if (go) {
            sendLoneDot(x);
        } else {
            if (x.data != null && !x.accepted.isEmpty()) {
                x.acceptedGet(x.data.isPositive()
                        ? SmtpReply.of(451, "4.5.0", "unexpected reply to DATA from " + target + ": " + x.data)
                        : x.data);
            }
            resetAfterFailure();
        }
    }

    /**
     * The message, streamed from the queue and dot-stuffed (RFC 5321 section 4.5.2), then the final
     * dot; its reply decides the accepted recipients and resets the server (section 4.1.1.4).
     */
    private void sendContent(Transaction tx, Exchange x) throws IOException {
        x.phase = "message content";
        session.phase(settings.dataBlockTimeout());
        try (InputStream in = tx.body().open()) {
            DotStuffer.send(in, client.output(), tx.size());
        }
        x.phase = "end of data";
        x.acceptedGet(read(settings.dataTerminationTimeout()));
        clean = true;
    }

    /**
     * A pipelined DATA accepted although MAIL or every RCPT was refused. RFC 2920 section 3.1: "if
     * the DATA command was accepted the SMTP client should send a single dot" (so does Postfix): an
     * empty message to no recipient, which the server refuses or drops; nothing is delivered and no
     * recipient of ours is decided by its reply. Closing the connection instead would lose a good
     * session for a server quirk. Its reply ends the transaction (RFC 5321 section 4.1.1.4), so no
     * RSET is needed.
     */
    private void sendLoneDot(Exchange x) throws IOException {
        x.phase = "end of data";
        session.phase(settings.dataTerminationTimeout());
        DotStuffer.send(InputStream.nullInputStream(), client.output(), 0);
        read(settings.dataTerminationTimeout());
        clean = true;
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

    /** UTF-8 text as the ISO-8859-1 chars of its bytes: the client's encoding then writes the UTF-8 bytes. */
    private static String wire(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0x7f) {
                return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
            }
        }
        return text;
    }

    private static String params(List<String> params) {
        return params.isEmpty() ? "" : " " + String.join(" ", params);
    }

    // ---------------------------------------------------------------- between transactions

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
        if (clean && System.nanoTime() - lastUsed < transport.rsetAfterIdle().toNanos()) {
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
