package dev.relay.server.codec;

import dev.relay.mail.SmtpReply;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes an {@link SmtpReply} as RFC 5321 section 4.2 spells it: {@code NNN-text} for every line
 * but the last, {@code NNN text} for the last, the enhanced status code (when the reply has one)
 * in front of the text of every line (RFC 2034 section 3), CRLF after each.
 */
@ChannelHandler.Sharable
public final class ReplyEncoder extends MessageToByteEncoder<SmtpReply> {

    public ReplyEncoder() {
        super(SmtpReply.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, SmtpReply reply, ByteBuf out) {
        out.writeCharSequence(format(reply), StandardCharsets.UTF_8);
    }

    /** The reply as it goes on the wire. */
    public static String format(SmtpReply reply) {
        StringBuilder b = new StringBuilder(64);
        List<String> lines = reply.lines();
        for (int i = 0; i < lines.size(); i++) {
            b.append(reply.code()).append(i == lines.size() - 1 ? ' ' : '-');
            if (reply.status() != null) {
                b.append(reply.status());
                if (!lines.get(i).isEmpty()) {
                    b.append(' ');
                }
            }
            b.append(lines.get(i)).append("\r\n");
        }
        return b.toString();
    }
}
