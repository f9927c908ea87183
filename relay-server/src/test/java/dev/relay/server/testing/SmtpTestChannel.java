package dev.relay.server.testing;

import dev.relay.server.LocalRecipients;
import dev.relay.server.ServerMetrics;
import dev.relay.server.ServerSettings;
import dev.relay.server.command.CommandTable;
import dev.relay.server.pipeline.SmtpChannelInitializer;
import dev.relay.server.session.ServerContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * The receiver's whole pipeline on an {@link EmbeddedChannel}, for transcript tests without
 * sockets: {@code send("MAIL FROM:<a@b>\r\n")} returns every reply written in answer.
 */
public final class SmtpTestChannel extends EmbeddedChannel {
    /** The clock of every embedded test: 29 Nov 2026 03:38:24 UTC. */
    public static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-29T03:38:24Z"), ZoneOffset.UTC);

    private final InetSocketAddress remote;
    public final ServerContext context;
    public final SimpleMeterRegistry meters;

    private SmtpTestChannel(InetSocketAddress remote, ServerContext context, SimpleMeterRegistry meters) {
        super(false, false);
        this.remote = remote;
        this.context = context;
        this.meters = meters;
    }

    /** Opens a session from {@code clientIp} and returns the channel after the greeting was read. */
    public static SmtpTestChannel open(ServerSettings settings, InMemoryQueue queue, String clientIp) {
        return open(settings, queue, clientIp, LocalRecipients.ACCEPT_ALL, CommandTable.standard().build());
    }

    public static SmtpTestChannel open(ServerSettings settings, InMemoryQueue queue, String clientIp,
                                       LocalRecipients local, CommandTable table) {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ServerContext ctx = new ServerContext(settings, queue, local, new ServerMetrics(meters), CLOCK,
                new TestIds(), Runnable::run, table);
        return open(ctx, meters, clientIp);
    }

    public static SmtpTestChannel open(ServerContext ctx, SimpleMeterRegistry meters, String clientIp) {
        SmtpTestChannel ch = new SmtpTestChannel(new InetSocketAddress(clientIp, 40000), ctx, meters);
        ch.pipeline().addLast(new SmtpChannelInitializer(ctx));
        try {
            ch.register();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return ch;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    /** Writes {@code text} (ISO-8859-1 bytes) as one inbound buffer and returns the replies it caused. */
    public String send(String text) {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public String send(byte[] bytes) {
        ByteBuf b = Unpooled.wrappedBuffer(bytes);
        writeInbound(b);
        return output();
    }

    /** Everything written to the client since the last call (after running pending tasks). */
    public String output() {
        runPendingTasks();
        StringBuilder sb = new StringBuilder();
        for (Object o; (o = readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            sb.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return sb.toString();
    }
}
