package dev.relay.server.pipeline;

import dev.relay.server.ServerSettings;
import dev.relay.server.codec.CommandDecoder;
import dev.relay.server.codec.LineDeadline;
import dev.relay.server.codec.ReplyEncoder;
import dev.relay.server.session.HandlerNames;
import dev.relay.server.session.ServerContext;
import dev.relay.server.session.SmtpSession;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * Builds the pipeline of one connection, in reading order (the one place that does):
 *
 * <pre>
 *   [tls]  the SslHandler for implicit TLS or after STARTTLS (added by the TLS code)
 *   idle     IdleStateHandler: no input for the idle timeout -> 421 4.4.2
 *   deadline LineDeadline: a started line not finished within the command timeout -> 421 4.4.2
 *   framer   LineFramer: command lines, with a maximum   (DATA: ContentDecoder "content")
 *   commands CommandDecoder: lines -> SmtpCommand
 *   replies  ReplyEncoder: SmtpReply -> bytes             (outbound)
 *   session  SmtpSession: the state machine
 * </pre>
 */
public final class SmtpChannelInitializer extends ChannelInitializer<Channel> {
    private static final ReplyEncoder REPLY_ENCODER = new ReplyEncoder();
    private final ServerContext context;

    public SmtpChannelInitializer(ServerContext context) {
        this.context = context;
    }

    @Override
    protected void initChannel(Channel ch) {
        ServerSettings s = context.settings();
        ChannelPipeline p = ch.pipeline();
        p.addLast(HandlerNames.IDLE, new IdleStateHandler(s.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
        p.addLast(HandlerNames.DEADLINE, new LineDeadline(s.commandTimeout()));
        p.addLast(HandlerNames.FRAMER, context.newFramer());
        p.addLast(HandlerNames.COMMANDS, new CommandDecoder(s.maxCommandLineLength()));
        p.addLast(HandlerNames.REPLIES, REPLY_ENCODER);
        p.addLast(HandlerNames.SESSION, new SmtpSession(context));
    }
}
