package dev.relay.server.session;

import dev.relay.mail.Path;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.Envelope;
import dev.relay.queue.Origin;
import dev.relay.queue.QueueException;
import dev.relay.server.ServerSettings;
import dev.relay.server.codec.DataChunk;
import dev.relay.server.codec.DataEnd;
import dev.relay.server.codec.LineDeadline;
import dev.relay.server.codec.LineFramer;
import dev.relay.server.codec.SmtpCommand;
import dev.relay.server.codec.Verb;
import dev.relay.server.command.CommandHandler;
import dev.relay.server.command.Replies;
import dev.relay.server.policy.ConnectionLimiter;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one stateful handler of a connection: connection state, the current transaction, and the
 * moves between the command phase and the DATA phase.
 *
 * <p><b>Design.</b> Every method runs on the channel's event loop. Commands arrive decoded and are
 * run through the command table; replies are written without flushing and flushed when the socket
 * has no more input for now ({@link #channelReadComplete}), which is what RFC 2920 section 3.1
 * asks of a pipelining server: a whole pipelined group is answered in order, in one write.
 *
 * <p>DATA swaps the line framer for the content decoder; content chunks go to a {@link BodySpool}.
 * At the end of data the channel stops reading ({@code autoRead=false}), the body and envelope go
 * to {@code MessageQueue.enqueue}, and only when its future completes is the reply (250 or
 * 451/452) written, on this event loop, and the framer swapped back in; bytes the client sent
 * after the final dot wait in the content decoder and are handed to the framer then. Reading is
 * also paused while the spool executor has a large backlog. Nothing here blocks.
 */
public final class SmtpSession extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);
    private static final int BLOCK_STORE = 1;
    private static final int BLOCK_SPOOL = 2;

    private final ServerContext context;
    private final ServerSettings settings;
    private ChannelHandlerContext ctx;
    private ConnectionState connection;
    private Transaction transaction;
    private boolean slotHeld;
    private boolean closing;
    private boolean receivingData;
    private boolean storing;
    private int readBlockers;
    private int lastReplyCode;
    private CommandHandler interceptor;

    public SmtpSession(ServerContext context) {
        this.context = context;
        this.settings = context.settings();
    }

    // --- what command handlers use ---------------------------------------------------------------

    public ServerContext context() {
        return context;
    }

    public ConnectionState connection() {
        return connection;
    }

    /** The current transaction, or null between transactions. */
    public Transaction transaction() {
        return transaction;
    }

    /** The channel context of this handler (for STARTTLS: add the SslHandler in front). */
    public ChannelHandlerContext channelContext() {
        return ctx;
    }

    /** Starts a transaction (after an accepted MAIL). */
    public void beginTransaction(Transaction tx) {
        endTransaction();
        transaction = tx;
        log.info("{}: client={}", tx.id(), connection.clientForLog());
    }

    /** Drops the current transaction, if any (RSET, EHLO/HELO, RFC 5321 4.1.4). */
    public void endTransaction() {
        Transaction tx = transaction;
        transaction = null;
        if (tx != null && tx.body() != null) {
            tx.body().discard();
        }
    }

    /**
     * Returns to the state right after the greeting: no transaction, no EHLO name, not
     * authenticated (RFC 3207 section 4.2, after STARTTLS).
     */
    public void resetToInitialState() {
        endTransaction();
        connection.reset();
    }

    /** Drops input received but not yet read as commands (RFC 3207: nothing pipelined past STARTTLS). */
    public void discardBufferedInput() {
        if (ctx.pipeline().get(HandlerNames.FRAMER) instanceof LineFramer f) {
            f.discardBufferedInput();
        }
    }

    /**
     * Routes the next input line to {@code handler} instead of the command table (for AUTH
     * continuation lines, RFC 4954 section 4). The line arrives as an {@link SmtpCommand} whose
     * word is the line's first token.
     */
    public void interceptNextLine(CommandHandler handler) {
        this.interceptor = handler;
    }

    /**
     * Writes a reply (flushed at the end of the current read). A permanent error counts against
     * the error limit; past it the client gets 421 4.7.0 instead and the connection closes.
     */
    public void reply(SmtpReply reply) {
        if (closing) {
            return;
        }
        lastReplyCode = reply.code();
        if (reply.isPermanent() && connection.countError() > settings.maxErrors()) {
            log.info("too many errors after {} from {}", connection.lastVerb(), connection.clientForLog());
            replyAndClose(Replies.TOO_MANY_ERRORS);
            return;
        }
        ctx.write(forClient(reply));
    }

    /** Writes a reply, flushes, and closes the connection once it is written (QUIT, 421). */
    public void replyAndClose(SmtpReply reply) {
        if (closing) {
            return;
        }
        closing = true;
        lastReplyCode = reply.code();
        ctx.writeAndFlush(forClient(reply)).addListener(ChannelFutureListener.CLOSE);
    }

    /** Logs and answers a refused RCPT, Postfix style. */
    public void rejectRecipient(SmtpReply reply, Path forwardPath) {
        Transaction tx = transaction;
        log.info("{}: reject: RCPT from {}: {}; from={} to={} proto={} helo=<{}>",
                tx == null ? "NOQUEUE" : tx.id(), connection.clientForLog(), reply,
                tx == null ? "" : tx.reversePath(), forwardPath, connection.protocol(false), connection.heloName());
        reply(reply);
    }

    /** 354, then the content decoder takes the framer's place. Called by DATA with a transaction that has recipients. */
    public void startData() {
        Transaction tx = transaction;
        tx.body(new BodySpool(settings.spoolDirectory(), settings.memoryThreshold(), context.spoolExecutor(),
                overloaded -> ctx.executor().execute(() -> block(BLOCK_SPOOL, overloaded))));
        reply(Replies.START_MAIL_INPUT);
        receivingData = true;
        // Last: the framer hands its buffered bytes to the content decoder right here.
        ctx.pipeline().replace(HandlerNames.FRAMER, HandlerNames.CONTENT, context.newContentDecoder());
    }

    // --- channel events ---------------------------------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        InetAddress address = addressOf(ctx.channel().remoteAddress());
        boolean trusted = settings.trustedNetworks().stream().anyMatch(n -> n.contains(address));
        connection = new ConnectionState(address, trusted);
        log.info("connect from {}", connection.clientForLog());
        if (context.stopping()) {
            replyAndClose(Replies.SHUTTING_DOWN);
            return;
        }
        ConnectionLimiter.Result r = context.connections().tryAcquire(address, trusted);
        if (r != ConnectionLimiter.Result.ACCEPTED) {
            boolean total = r == ConnectionLimiter.Result.TOO_MANY_TOTAL;
            context.metrics().connectionRefused(total ? "total" : "client");
            log.warn("connection limit exceeded: {} from {}", total ? "total" : "per client", connection.clientForLog());
            replyAndClose(total ? Replies.TOO_MANY_CONNECTIONS : Replies.TOO_MANY_CONNECTIONS_FROM_CLIENT);
            return;
        }
        slotHeld = true;
        context.metrics().connectionOpened();
        // RFC 5321 4.2 and 4.3.1: "220 <hostname> ESMTP"
        ctx.writeAndFlush(new SmtpReply(220, null, List.of(settings.hostName() + " ESMTP")));
    }

    private static InetAddress addressOf(SocketAddress a) {
        if (a instanceof InetSocketAddress i && i.getAddress() != null) {
            return i.getAddress();
        }
        throw new IllegalStateException("not an IP connection: " + a);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof SmtpCommand c) {
            command(c);
        } else if (msg instanceof DataChunk chunk) {
            try {
                Transaction tx = transaction;
                if (tx != null && tx.body() != null && !closing) {
                    tx.body().append(chunk.content());
                }
            } finally {
                chunk.release();
            }
        } else if (msg instanceof DataEnd end) {
            endOfData(end);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void command(SmtpCommand c) {
        if (closing) {
            return; // after QUIT or a 421 nothing more is read (RFC 5321 4.1.1.10)
        }
        String verb = c.rejection() != null ? "unknown" : c.verb() == Verb.UNKNOWN ? "unknown" : c.verb().name();
        lastReplyCode = 0;
        if (interceptor != null) {
            // A line of an exchange that a command began (AUTH's responses to 334, RFC 4954 section 4)
            // is not a command of its own: the disconnect line counts the AUTH, not "unknown".
            CommandHandler h = interceptor;
            interceptor = null;
            h.handle(this, c);
            return;
        } else if (context.stopping()) {
            replyAndClose(Replies.SHUTTING_DOWN); // a graceful stop: further commands get 421 4.3.2 (RFC 5321 section 3.8)
        } else if (c.rejection() != null) {
            reply(c.rejection());
        } else {
            context.commands().dispatch(this, c);
        }
        // 334 asks for more (AUTH): the command succeeds only if its exchange ends in 235 (countSuccess).
        connection.countCommand(verb, lastReplyCode > 0 && lastReplyCode < 400 && lastReplyCode != 334);
    }

    private void endOfData(DataEnd end) {
        receivingData = false;
        Transaction tx = transaction;
        transaction = null;
        if (tx == null || closing) {
            swapToCommands();
            return;
        }
        if (end.verdict() != DataEnd.Verdict.OK) {
            tx.body().discard();
            SmtpReply r = switch (end.verdict()) {
                case TOO_BIG -> Replies.SIZE_EXCEEDED;
                case LINE_TOO_LONG -> Replies.TEXT_LINE_TOO_LONG;
                case BARE_LINE_END -> Replies.BARE_LINE_END_IN_DATA;
                case LOOP -> Replies.LOOP_DETECTED;
                case OK -> throw new AssertionError();
            };
            String reason = switch (end.verdict()) {
                case TOO_BIG -> "size";
                case LINE_TOO_LONG -> "line-length";
                case BARE_LINE_END -> "bare-line-end";
                case LOOP -> "loop";
                case OK -> throw new AssertionError();
            };
            context.metrics().messageRefused(reason);
            log.info("{}: reject: END-OF-MESSAGE from {}: {}; from={} nrcpt={} size={}", tx.id(),
                    connection.clientForLog(), r, tx.reversePath(), tx.recipients().size(), end.size());
            reply(r);
            swapToCommands();
            return;
        }
        store(tx, end);
    }

    private void store(Transaction tx, DataEnd end) {
        storing = true;
        block(BLOCK_STORE, true);
        context.pendingEnqueues().incrementAndGet();
        Instant arrival = context.clock().instant();
        String protocol = connection.protocol(tx.smtputf8());
        Envelope envelope = new Envelope(tx.reversePath(), tx.parameters(), tx.recipients(),
                new Origin(connection.clientIp(), connection.heloName(), connection.authenticatedUser(), arrival, protocol));
        byte[] header = ReceivedHeader.format(connection.heloName(), connection.clientAddress(), settings.hostName(),
                protocol, tx.id().value(),
                tx.recipients().size() == 1 ? tx.recipients().get(0).forwardPath() : null,
                ZonedDateTime.ofInstant(arrival, context.clock().getZone()));
        EventLoop loop = ctx.channel().eventLoop();
        long size = end.size();
        tx.body().finish(header)
                .thenCompose(body -> context.queue().enqueue(tx.id(), envelope, body)
                        .whenComplete((v, e) -> {
                            if (body.file() != null) {
                                context.spoolExecutor().execute(body::delete);
                            }
                        }))
                .whenComplete((v, e) -> loop.execute(() -> stored(tx, size, e)));
    }

    private void stored(Transaction tx, long size, Throwable failure) {
        context.pendingEnqueues().decrementAndGet();
        storing = false;
        if (failure == null) {
            context.metrics().messageAccepted(size);
            if (connection != null && connection.tlsActive()) {
                context.metrics().messageAcceptedOverTls();
            }
            // the queue logs the Postfix-style "from=..., size=..., nrcpt=... (queue active)" line once
            log.debug("{}: acknowledged: from={}, size={}, nrcpt={}", tx.id(), tx.reversePath(), size, tx.recipients().size());
            reply(Replies.queued(tx.id()));
        } else {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            boolean full = cause instanceof QueueException q && q.kind() == QueueException.Kind.STORAGE_FULL;
            context.metrics().messageRefused("queue");
            log.warn("{}: queue write failed, message not accepted: {}", tx.id(), cause.getMessage() == null ? cause.toString() : cause.getMessage());
            reply(full ? Replies.QUEUE_FULL : Replies.QUEUE_FAILED);
        }
        if (!ctx.channel().isActive()) {
            return;
        }
        if (context.stopping()) {
            // a graceful stop: the transaction in DATA finished; nothing more is accepted, so
            // say so now instead of holding the connection until the stop's bound
            replyAndClose(Replies.SHUTTING_DOWN);
            return;
        }
        // Unblock first: swapping the framer back may run pipelined commands already buffered,
        // and a second end of data among them blocks reading again for its own store.
        block(BLOCK_STORE, false);
        swapToCommands();
        ctx.flush();
    }

    private void swapToCommands() {
        if (ctx.pipeline().get(HandlerNames.CONTENT) != null) {
            // The content decoder hands bytes sent after the final dot to the new framer here.
            ctx.pipeline().replace(HandlerNames.CONTENT, HandlerNames.FRAMER, context.newFramer());
        }
    }

    private void block(int reason, boolean on) {
        readBlockers = on ? readBlockers | reason : readBlockers & ~reason;
        if (ctx.channel().isActive()) {
            ctx.channel().config().setAutoRead(readBlockers == 0);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush(); // RFC 2920 3.1: flush when no more pipelined input is waiting
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent || evt == LineDeadline.EXPIRED) {
            if (!storing && !closing) {
                log.info("{} after {} from {}", evt == LineDeadline.EXPIRED ? "line deadline exceeded" : "timeout",
                        receivingData ? "DATA" : connection.lastVerb(), connection.clientForLog());
                discardReceiving();
                replyAndClose(Replies.TIMEOUT);
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** A graceful stop began: an idle session says 421 4.3.2 and closes; a busy one finishes its DATA first. */
    public void stopRequested() {
        if (!closing && !storing && !receivingData && transaction == null) {
            replyAndClose(Replies.SHUTTING_DOWN);
        }
    }

    /** The graceful stop's bound ran out: 421 4.3.2 and close, whatever the session was doing. */
    public void stopNow() {
        if (!closing && !storing) {
            discardReceiving();
            replyAndClose(Replies.SHUTTING_DOWN);
        }
    }

    private void discardReceiving() {
        if (receivingData) {
            receivingData = false;
            endTransaction();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (connection == null) {
            return;
        }
        if (!closing) {
            log.info("lost connection after {} from {}", receivingData ? "DATA" : connection.lastVerb(), connection.clientForLog());
        }
        closing = true;
        endTransaction();
        if (slotHeld) {
            slotHeld = false;
            context.connections().release(connection.clientAddress(), connection.trustedNetwork());
            context.metrics().connectionClosed();
            log.info("disconnect from {}{}", connection.clientForLog(), connection.countsForLog());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("connection error from {}: {}", connection == null ? "?" : connection.clientForLog(), cause.toString());
        } else {
            log.error("unexpected error in session with {}", connection == null ? "?" : connection.clientForLog(), cause);
        }
        ctx.close();
    }

    /**
     * Enhanced status codes only after EHLO (RFC 2034 section 3), except on 421: a reply that ends
     * the connection (at connect, at stop, after a timeout) carries its code always, as Postfix's
     * do, so that the client's log says why ("421 4.7.0" at connect).
     */
    private SmtpReply forClient(SmtpReply r) {
        return r.status() == null || r.code() == 421 || (connection != null && connection.esmtp())
                ? r : new SmtpReply(r.code(), null, r.lines());
    }
}
