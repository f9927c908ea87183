package dev.relay.server.codec;

import dev.relay.server.BareLineEnds;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;

/**
 * The DATA content decoder: finds the end of data, removes dot-stuffing, counts, and passes the
 * content on as {@link DataChunk}s followed by one {@link DataEnd}.
 *
 * <p><b>Design.</b> A byte-level state machine that carries its state across reads, so a line,
 * a CRLF or the final {@code CRLF.CRLF} may be split anywhere between buffers. Nothing is
 * accumulated: each read produces at most one chunk holding that read's content.
 *
 * <ul>
 * <li><b>End of data</b> (RFC 5321 section 4.1.1.4) is only a line consisting of one dot that
 *     starts after a real CRLF (or at the start of the content) and ends with a real CRLF. So
 *     {@code <LF>.<LF>}, {@code <CR>.<CR>}, {@code <LF>.<CR><LF>}, {@code <CR><LF>.<LF>} and
 *     {@code <CR><LF>.<CR>} never end the content: nothing after them is read as a command
 *     (SMTP smuggling, CVE-2023-51764).</li>
 * <li><b>Transparency</b> (RFC 5321 section 4.5.2): a dot at the start of a line with more text
 *     after it is removed. A lone dot line that is not the end is kept as text.</li>
 * <li><b>Bare CR and bare LF</b>: in {@link BareLineEnds#NORMALIZE} mode each is a line end and
 *     is stored as CRLF, so the stored message has only CRLF line ends; in
 *     {@link BareLineEnds#REJECT} mode the message is refused at the end.</li>
 * <li><b>Limits</b>: the size after unstuffing with CRLF counted as two octets (RFC 1870 section
 *     5), each text line's length with its CRLF (RFC 5321 section 4.5.3.1.6), and the number of
 *     {@code Received:} fields in the header section (RFC 5321 section 6.3). Once a limit is
 *     broken the content is no longer passed on, but reading continues to the end of data, where
 *     {@link DataEnd} carries the verdict and the session refuses the message.</li>
 * </ul>
 *
 * <p>Bytes that arrive after the end of data (pipelined commands) are kept and handed to the
 * handler that replaces this one when the session swaps the line framer back in.
 */
public final class ContentDecoder extends ChannelInboundHandlerAdapter {
    private static final byte[] RECEIVED = "received:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private enum State { LINE_START, TEXT, CR, DOT, DOT_CR, ENDED }

    private final long maxSize;
    private final int maxLineLength;
    private final BareLineEnds bareLineEnds;
    private final int maxReceived;

    private State state = State.LINE_START;
    private boolean properStart = true;
    private int lineLength;
    private long size;
    private boolean inHeaders = true;
    private final byte[] prefix = new byte[RECEIVED.length];
    private int prefixLength;
    private int receivedCount;
    private DataEnd.Verdict verdict = DataEnd.Verdict.OK;
    private ByteBuf out;
    private ByteBuf leftover;

    /**
     * @param maxSize       the largest content in octets
     * @param maxLineLength the longest text line in octets including CRLF
     * @param bareLineEnds  what a bare CR or LF does
     * @param maxReceived   the most {@code Received:} header fields accepted
     */
    public ContentDecoder(long maxSize, int maxLineLength, BareLineEnds bareLineEnds, int maxReceived) {
        this.maxSize = maxSize;
        this.maxLineLength = maxLineLength;
        this.bareLineEnds = bareLineEnds;
        this.maxReceived = maxReceived;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (state == State.ENDED) {
            leftover = leftover == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), leftover, in);
            return;
        }
        try {
            decode(ctx, in);
        } finally {
            in.release();
        }
    }

    private void decode(ChannelHandlerContext ctx, ByteBuf in) {
        out = verdict == DataEnd.Verdict.OK ? ctx.alloc().heapBuffer(in.readableBytes() + 16) : null;
        int i = in.readerIndex();
        int end = in.writerIndex();
        while (i < end) {
            switch (state) {
                case TEXT -> {
                    int stop = in.forEachByte(i, end - i, ByteProcessor.FIND_CRLF);
                    if (stop < 0) {
                        emit(in, i, end - i);
                        i = end;
                    } else {
                        emit(in, i, stop - i);
                        i = stop + 1;
                        if (in.getByte(stop) == '\r') {
                            state = State.CR;
                        } else {
                            bareLineEnd();
                        }
                    }
                }
                case LINE_START -> {
                    byte c = in.getByte(i++);
                    if (c == '.') {
                        state = State.DOT;
                    } else if (c == '\r') {
                        state = State.CR;
                    } else if (c == '\n') {
                        bareLineEnd();
                    } else {
                        emitByte(c);
                        state = State.TEXT;
                    }
                }
                case CR -> {
                    if (in.getByte(i) == '\n') {
                        i++;
                        lineEnd(true);
                    } else {
                        bareLineEnd(); // the byte after the bare CR starts the next line
                    }
                }
                case DOT -> {
                    byte c = in.getByte(i);
                    if (c == '\r') {
                        i++;
                        state = State.DOT_CR;
                    } else if (c == '\n') {
                        i++;
                        emitByte((byte) '.'); // <CRLF>.<LF> is a line ".", never the end
                        bareLineEnd();
                    } else {
                        state = State.TEXT; // RFC 5321 4.5.2: the stuffed dot is dropped
                    }
                }
                case DOT_CR -> {
                    if (in.getByte(i) == '\n') {
                        i++;
                        if (properStart) {
                            finish(ctx, in, i);
                            return;
                        }
                        emitByte((byte) '.'); // <LF>.<CR><LF>: a line ".", not the end
                        lineEnd(true);
                    } else {
                        emitByte((byte) '.'); // <CRLF>.<CR>x: a bare CR, not the end
                        bareLineEnd();
                    }
                }
                case ENDED -> throw new IllegalStateException("content after the end");
            }
        }
        passOn(ctx);
    }

    private void finish(ChannelHandlerContext ctx, ByteBuf in, int index) {
        state = State.ENDED;
        if (index < in.writerIndex()) {
            leftover = in.retainedSlice(index, in.writerIndex() - index);
        }
        passOn(ctx);
        ctx.fireChannelRead(new DataEnd(verdict, size, receivedCount));
    }

    private void passOn(ChannelHandlerContext ctx) {
        ByteBuf o = out;
        out = null;
        if (o == null) {
            return;
        }
        if (o.isReadable() && verdict == DataEnd.Verdict.OK) {
            ctx.fireChannelRead(new DataChunk(o));
        } else {
            o.release();
        }
    }

    private void emit(ByteBuf in, int from, int length) {
        if (length == 0) {
            return;
        }
        if (inHeaders && prefixLength < prefix.length) {
            int n = Math.min(prefix.length - prefixLength, length);
            in.getBytes(from, prefix, prefixLength, n);
            prefixLength += n;
        }
        long lineBefore = lineLength;
        long sizeBefore = size;
        lineLength += length;
        size += length;
        boolean lineBroken = lineLength + 2 > maxLineLength;
        boolean sizeBroken = size > maxSize;
        if (lineBroken && sizeBroken && maxSize - sizeBefore < maxLineLength - 2 - lineBefore) {
            // Both limits fall inside this run of bytes: the verdict is the limit its bytes reached
            // first, as when the bytes come one by one, so it never depends on how reads are cut.
            fail(DataEnd.Verdict.TOO_BIG);
        }
        if (lineBroken) {
            fail(DataEnd.Verdict.LINE_TOO_LONG);
        }
        if (sizeBroken) {
            fail(DataEnd.Verdict.TOO_BIG);
        }
        if (out != null) {
            out.writeBytes(in, from, length);
        }
    }

    private void emitByte(byte c) {
        if (inHeaders && prefixLength < prefix.length) {
            prefix[prefixLength++] = c;
        }
        lineLength++;
        size++;
        if (lineLength + 2 > maxLineLength) {
            fail(DataEnd.Verdict.LINE_TOO_LONG);
        }
        if (size > maxSize) {
            fail(DataEnd.Verdict.TOO_BIG);
        }
        if (out != null) {
            out.writeByte(c);
        }
    }

    private void bareLineEnd() {
        if (bareLineEnds == BareLineEnds.REJECT) {
            fail(DataEnd.Verdict.BARE_LINE_END);
        }
        lineEnd(false);
    }

    /** Ends the current line: CRLF goes out, the header and loop bookkeeping is done. */
    private void lineEnd(boolean crlf) {
        size += 2;
        if (size > maxSize) {
            fail(DataEnd.Verdict.TOO_BIG);
        }
        if (out != null) {
            out.writeByte('\r').writeByte('\n');
        }
        if (inHeaders) {
            if (lineLength == 0) {
                inHeaders = false; // the empty line ends the header section (RFC 5322 2.1)
            } else if (prefixLength == RECEIVED.length && isReceived()) {
                receivedCount++;
                if (receivedCount > maxReceived) {
                    fail(DataEnd.Verdict.LOOP);
                }
            }
        }
        lineLength = 0;
        prefixLength = 0;
        properStart = crlf;
        state = State.LINE_START;
    }

    private boolean isReceived() {
        for (int k = 0; k < RECEIVED.length; k++) {
            int c = prefix[k];
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != RECEIVED[k]) {
                return false;
            }
        }
        return true;
    }

    private void fail(DataEnd.Verdict v) {
        if (verdict == DataEnd.Verdict.OK) {
            verdict = v;
        }
        if (out != null) {
            out.release();
            out = null;
        }
    }

    /** Octets of content seen so far (after unstuffing). */
    public long size() {
        return size;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (out != null) {
            out.release();
            out = null;
        }
        ByteBuf rest = leftover;
        leftover = null;
        if (rest == null) {
            return;
        }
        if (rest.isReadable() && ctx.channel().isActive()) {
            ctx.fireChannelRead(rest); // pipelined commands, to the line framer that replaced us
        } else {
            rest.release();
        }
    }
}
