package dev.relay.server.codec;

import dev.relay.server.BareLineEnds;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * Splits the inbound bytes of the command phase into lines, each passed on as a {@link ByteBuf}
 * without its line end; the receiver of a line releases it.
 *
 * <p>A line longer than the maximum (counting its line end) is discarded as it arrives and
 * passed on as {@link FramingError#LINE_TOO_LONG}: the buffer never holds more than the maximum
 * plus one socket read, however many bytes come without a line break. A line ended by a bare LF
 * is taken as a line (the bare LF is harmless in commands) unless bare line ends are refused, in
 * which case it becomes {@link FramingError#BARE_LF}.
 *
 * <p>When the session swaps this framer for the DATA content decoder (or the reverse), the bytes
 * still buffered are handed to the handler that replaced it: {@link #handlerRemoved} passes them
 * to the next context, which after {@code pipeline.replace} is the new handler. After STARTTLS
 * the session calls {@link #discardBufferedInput()}, so that nothing sent before the TLS
 * handshake is taken as a command after it (RFC 3207 section 4.2, the STARTTLS injection class).
 */
public final class LineFramer extends ChannelInboundHandlerAdapter {
    private final int maxLength;
    private final BareLineEnds bareLineEnds;
    private ByteBuf buffer;
    private boolean discarding;

    /**
     * @param maxLength    the longest line in octets, line end included
     * @param bareLineEnds whether a line ended by a bare LF is a line or an error
     */
    public LineFramer(int maxLength, BareLineEnds bareLineEnds) {
        if (maxLength < 3) {
            throw new IllegalArgumentException("maxLength too small: " + maxLength);
        }
        this.maxLength = maxLength;
        this.bareLineEnds = bareLineEnds;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        buffer = buffer == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), buffer, in);
        decode(ctx);
    }

    private void decode(ChannelHandlerContext ctx) {
        while (buffer != null && buffer.isReadable() && !ctx.isRemoved()) {
            ByteBuf b = buffer;
            int start = b.readerIndex();
            int lf = b.indexOf(start, b.writerIndex(), (byte) '\n');
            if (lf < 0) {
                if (discarding || b.readableBytes() >= maxLength) {
                    discarding = true; // RFC 5321 4.5.3.1.4: never buffer past the maximum
                    b.skipBytes(b.readableBytes());
                }
                break;
            }
            int length = lf - start + 1;
            b.readerIndex(lf + 1);
            if (discarding || length > maxLength) {
                discarding = false;
                ctx.fireChannelRead(FramingError.LINE_TOO_LONG);
                continue;
            }
            boolean crlf = length >= 2 && b.getByte(lf - 1) == '\r';
            if (!crlf && bareLineEnds == BareLineEnds.REJECT) {
                ctx.fireChannelRead(FramingError.BARE_LF);
                continue;
            }
            ctx.fireChannelRead(b.retainedSlice(start, length - (crlf ? 2 : 1)));
        }
        if (buffer != null && !buffer.isReadable()) {
            buffer.release();
            buffer = null;
        } else if (buffer != null && buffer.refCnt() == 1) {
            buffer.discardSomeReadBytes(); // only when no line slice still shares its memory
        }
    }

    /** Drops every byte received but not yet framed (used after STARTTLS). */
    public void discardBufferedInput() {
        if (buffer != null) {
            buffer.release();
            buffer = null;
        }
        discarding = false;
    }

    /** Octets held that are not yet a complete line (for tests of the bound). */
    public int bufferedBytes() {
        return buffer == null ? 0 : buffer.readableBytes();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        ByteBuf rest = buffer;
        buffer = null;
        if (rest == null) {
            return;
        }
        if (rest.isReadable() && ctx.channel().isActive()) {
            ctx.fireChannelRead(rest); // to the handler that replaced this one
        } else {
            rest.release();
        }
    }
}
