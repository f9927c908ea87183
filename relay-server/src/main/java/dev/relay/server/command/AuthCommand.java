package dev.relay.server.command;

import dev.relay.mail.Printable;
import dev.relay.mail.SmtpReply;
import dev.relay.server.codec.SmtpCommand;
import dev.relay.server.auth.AuthSettings;
import dev.relay.server.auth.PasswordHash;
import dev.relay.server.auth.SaslMechanism;
import dev.relay.server.auth.SaslStep;
import dev.relay.server.auth.SmtpAuth;
import dev.relay.server.session.HandlerNames;
import dev.relay.server.session.SmtpSession;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * AUTH (RFC 4954) with PLAIN and LOGIN, for the receiver's command table.
 *
 * <p>Order of checks, with the RFC's replies: EHLO first (503 5.5.1); not twice (section 4: "a
 * server MUST reject any further AUTH commands with a 503 reply"); not inside a mail transaction
 * (503 5.5.1, section 4); only inside TLS (538 5.7.11 "Encryption required", section 6); a known
 * mechanism (504 5.5.4); then the SASL exchange of {@link SaslMechanism}, with 334 challenges and
 * continuation lines taken through {@link SmtpSession#interceptNextLine}.
 *
 * <p>The password check runs on {@link SmtpAuth}'s pool. Until its answer is written the channel
 * stops reading, and lines the client pipelined behind AUTH are held and then handed to the
 * session in order, so replies stay in order (RFC 2920) and a command after AUTH is judged with
 * the outcome of AUTH. Success: 235 2.7.0, and the session may relay (its Received header says
 * ESMTPSA, the queue records the user). Failure: 535 5.7.8 after {@link AuthSettings#failureDelay()};
 * the {@link AuthSettings#maxFailures()}-th failure is answered 421 4.7.0 and closes the connection.
 * A users file that cannot be read answers 454 4.7.0 (temporary, section 6). Passwords are never
 * logged; user names only escaped.
 */
public final class AuthCommand implements CommandHandler {

    private static final Logger LOG = LoggerFactory.getLogger(AuthCommand.class);

    /** The mechanisms, as advertised after {@code AUTH} in EHLO. */
    public static final String MECHANISMS = SaslMechanism.ADVERTISED;

    /** RFC 4954 section 6: 235 2.7.0 Authentication Succeeded. */
    public static final SmtpReply SUCCEEDED = SmtpReply.of(235, "2.7.0", "Authentication successful");
    /** RFC 4954 section 6: 535 5.7.8 Authentication credentials invalid. */
    public static final SmtpReply INVALID = SmtpReply.of(535, "5.7.8", "Error: authentication failed");
    /** Too many failures on one connection. */
    public static final SmtpReply TOO_MANY_FAILURES =
            SmtpReply.of(421, "4.7.0", "Error: too many failed authentication attempts, closing transmission channel");
    /** RFC 4954 section 6: 454 4.7.0 Temporary authentication failure. */
    public static final SmtpReply TEMPORARY_FAILURE = SmtpReply.of(454, "4.7.0", "Temporary authentication failure");
    /** RFC 4954 section 6: 538 5.7.11 Encryption required for requested authentication mechanism. */
    public static final SmtpReply ENCRYPTION_REQUIRED =
            SmtpReply.of(538, "5.7.11", "Encryption required for requested authentication mechanism");
    /** RFC 4954 section 4: 504 for an unknown mechanism. */
    public static final SmtpReply UNKNOWN_MECHANISM = SmtpReply.of(504, "5.5.4", "Unrecognized authentication type");
    public static final SmtpReply SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
    public static final SmtpReply NEED_EHLO = SmtpReply.of(503, "5.5.1", "Error: send EHLO first");
    public static final SmtpReply ALREADY = SmtpReply.of(503, "5.5.1", "Error: already authenticated");
    public static final SmtpReply IN_TRANSACTION = SmtpReply.of(503, "5.5.1", "Error: MAIL transaction in progress");
    /** RFC 4954 section 6: 500 5.5.6 Authentication Exchange line is too long. */
    public static final SmtpReply LINE_TOO_LONG = SmtpReply.of(500, "5.5.6", "Authentication Exchange line is too long");

    private final SmtpAuth auth;

    public AuthCommand(SmtpAuth auth) {
        this.auth = auth;
    }

    @Override
    public void handle(SmtpSession session, SmtpCommand command) {
        var conn = session.connection();
        if (!conn.esmtp()) {
            session.reply(NEED_EHLO);
            return;
        }
        if (conn.authenticatedUser() != null) {
            session.reply(ALREADY);
            return;
        }
        if (session.transaction() != null) {
            session.reply(IN_TRANSACTION);
            return;
        }
        if (!conn.tlsActive()) {
            session.reply(ENCRYPTION_REQUIRED);
            return;
        }
        String[] args = command.argument().strip().split("\\s+", 3);
        if (args[0].isEmpty() || args.length > 2) {
            session.reply(SYNTAX);
            return;
        }
        Optional<SaslMechanism> mech = SaslMechanism.forName(args[0]);
        if (mech.isEmpty()) {
            session.reply(UNKNOWN_MECHANISM);
            return;
        }
        new Exchange(session, mech.get()).step(mech.get().start(args.length == 2 ? args[1] : null));
    }

    /** Per-connection AUTH failure count, kept on the channel. */
    private static final io.netty.util.AttributeKey<int[]> FAILURES = io.netty.util.AttributeKey.valueOf("relay.auth.failures");

    /** One AUTH command from start to reply. */
    private final class Exchange {
        private final SmtpSession session;
        private final SaslMechanism mechanism;
        private final List<SmtpCommand> held = new ArrayList<>();
        private boolean holding;

        Exchange(SmtpSession session, SaslMechanism mechanism) {
            this.session = session;
            this.mechanism = mechanism;
        }

        void step(SaslStep step) {
            if (step instanceof SaslStep.Challenge c) {
                session.reply(new SmtpReply(334, null, List.of(c.base64())));
                session.interceptNextLine((s, line) -> continuation(line));
            } else if (step instanceof SaslStep.Failed f) {
                session.reply(f.reply());
            } else if (step instanceof SaslStep.Credentials c) {
                verify(c);
            }
        }

        private void continuation(SmtpCommand line) {
            if (line.rejection() != null) {
                session.reply(line.rejection().code() == 500 ? LINE_TOO_LONG : SaslMechanism.BAD_BASE64);
                return;
            }
            String text = line.argument().isEmpty() ? line.word() : line.word() + " " + line.argument();
            step(mechanism.next(text));
        }

        private void verify(SaslStep.Credentials c) {
            Channel ch = session.channelContext().channel();
            hold(ch);
            if (!c.authzid().isEmpty() && !c.authzid().equals(c.user())) {
                // RFC 4616 section 2: acting for another identity is not supported.
                PasswordHash.wipe(c.password());
                fail(ch, c.user(), "authorization identity " + Printable.escape(c.authzid()) + " refused");
                return;
            }
            auth.check(c.user(), c.password()).whenComplete((ok, error) -> ch.eventLoop().execute(() -> {
                if (error != null) {
                    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                    LOG.warn("{}: SASL {} authentication not possible: {}", client(), mechanism.name(),
                            cause instanceof RejectedExecutionException ? "too many checks waiting" : cause.getMessage());
                    finish(ch, TEMPORARY_FAILURE, false);
                } else if (ok) {
                    session.connection().authenticatedUser(c.user());
                    session.connection().countSuccess("AUTH"); // its reply came after the command was counted
                    LOG.info("{}: sasl_method={}, sasl_username={}", client(), mechanism.name(), Printable.escape(c.user()));
                    finish(ch, SUCCEEDED, false);
                } else {
                    fail(ch, c.user(), "authentication failure");
                }
            }));
        }

        private void fail(Channel ch, String user, String why) {
            int[] failures = ch.attr(FAILURES).setIfAbsent(new int[1]);
            if (failures == null) {
                failures = ch.attr(FAILURES).get();
            }
            int n = ++failures[0];
            LOG.warn("{}: SASL {} authentication failed: {}, sasl_username={}", client(), mechanism.name(), why,
                    Printable.escape(user));
            boolean last = n >= auth.settings().maxFailures();
            ch.eventLoop().schedule(() -> finish(ch, last ? TOO_MANY_FAILURES : INVALID, last),
                    auth.settings().failureDelay().toMillis(), TimeUnit.MILLISECONDS);
        }

        /** Stop reading; lines already framed are held until the reply is out. */
        private void hold(Channel ch) {
            holding = true;
            ch.config().setAutoRead(false);
            session.interceptNextLine(this::holdLine);
        }

        private void holdLine(SmtpSession s, SmtpCommand line) {
            held.add(line);
            if (holding) {
                session.interceptNextLine(this::holdLine);
            }
        }

        private void finish(Channel ch, SmtpReply reply, boolean close) {
            holding = false;
            if (!ch.isActive()) {
                return;
            }
            ChannelHandlerContext ctx = session.channelContext();
            if (close) {
                LOG.info("too many AUTH failures from {}", client());
                session.replyAndClose(reply);
                return;
            }
            session.interceptNextLine(null);
            session.reply(reply);
            ch.config().setAutoRead(true); // before the held lines: one of them may stop reading again
            ChannelHandlerContext commands = ctx.pipeline().context(HandlerNames.COMMANDS);
            for (SmtpCommand line : held) {
                if (commands == null || !ch.isActive()) {
                    break;
                }
                commands.fireChannelRead(line);
            }
            held.clear();
            ctx.flush();
        }

        private String client() {
            return session.connection().clientForLog();
        }
    }
}
