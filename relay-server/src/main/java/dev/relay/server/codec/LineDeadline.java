package dev.relay.server.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A deadline per line (command or DATA text line): once input holds the start of a line that is
 * not finished, the rest of it must arrive within the command timeout, or {@link #EXPIRED} is
 * fired as a user event (the session answers 421 4.4.2 and closes). The idle timeout alone never
 * ends a client that sends one byte a second ("slowloris"); this does, as Postfix's
 * {@code smtpd_per_record_deadline} does.
 *
 * <p>A read whose last byte is LF leaves no partial line (everything before it is complete
 * lines), so it stops the clock; any other read starts it if it is not running. Bytes are passed
 * on untouched.
 */
public final class LineDeadline extends ChannelInboundHandlerAdapter {
    /** The event fired when a line did not arrive in time. */
    public static final Object EXPIRED = new Object() {
        @Override
        public String toString() {
            return "LineDeadline.EXPIRED";
        }
    };

    private final long timeoutNanos;
    private ScheduledFuture<?> timer;

    public LineDeadline(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b && b.isReadable()) {
            if (b.getByte(b.writerIndex() - 1) == '\n') {
                cancel();
            } else if (timer == null) {
                arm(ctx);
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void arm(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> {
            timer = null;
            if (ctx.channel().isActive()) {
                ctx.fireUserEventTriggered(EXPIRED);
                arm(ctx); // fires again while the line stays unfinished and the connection open
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** True while a started line is being timed (for tests). */
    public boolean running() {
        return timer != null;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }
}
