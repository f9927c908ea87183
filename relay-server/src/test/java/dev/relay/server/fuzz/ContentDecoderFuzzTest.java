package dev.relay.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.relay.server.BareLineEnds;
import dev.relay.server.codec.ContentDecoder;
import dev.relay.server.codec.DataChunk;
import dev.relay.server.codec.DataEnd;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Fuzzes the DATA content decoder against a reference written from the RFC text, not from the
 * decoder. Properties checked for every input and every way of cutting it
 * into reads:
 *
 * <ul>
 * <li>the end of data is recognised exactly where the reference finds it: a line "." that starts
 *     the content or follows a real CRLF and is ended by a real CRLF (RFC 5321 4.1.1.4); never at
 *     {@code <LF>.<LF>}, {@code <CR>.<CR>}, {@code <LF>.<CR><LF>}, {@code <CR><LF>.<LF>} or
 *     {@code <CR><LF>.<CR>}, so nothing after a fake end is read as a command (SMTP smuggling);</li>
 * <li>the bytes after the end are handed on whole to the handler that replaces the decoder;</li>
 * <li>the content passed on equals the reference: bare CR and bare LF become CRLF, and the first
 *     dot of a line with more text after it is removed (RFC 5321 4.5.2); before the end, what was
 *     passed on is a prefix of it;</li>
 * <li>size, {@code Received:} count and verdict agree with the reference: a verdict other than OK
 *     only when a limit is really broken (size, line length, bare line end refused, loop count),
 *     and OK whenever none is;</li>
 * <li>nothing is thrown, nothing comes after {@link DataEnd}, and every buffer is released.</li>
 * </ul>
 *
 * <p>Input layout: byte 0 flags (bit 0: bare line ends refused; bits 1-2: maximum size unlimited,
 * 0, 16 or 200; bits 3-4: maximum line length 1000, 3, 10 or 78), byte 1 the most {@code
 * Received:} fields (0-7 from its low bits), byte 2 the size of each read (0: one read), the rest
 * is what the client sends after its DATA command was answered 354.
 */
class ContentDecoderFuzzTest {
    private static final long[] MAX_SIZES = {Long.MAX_VALUE, 0, 16, 200};
    private static final int[] MAX_LINES = {1000, 3, 10, 78};

    @FuzzTest(maxDuration = "5s")
    void content(byte[] input) {
        if (input.length < 3) {
            return;
        }
        BareLineEnds mode = (input[0] & 1) != 0 ? BareLineEnds.REJECT : BareLineEnds.NORMALIZE;
        long maxSize = MAX_SIZES[(input[0] >> 1) & 3];
        int maxLine = MAX_LINES[(input[0] >> 3) & 3];
        int maxReceived = input[1] & 7;
        int stride = input[2] & 0xff;
        byte[] stream = Arrays.copyOfRange(input, 3, input.length);

        Result cut = run(mode, maxSize, maxLine, maxReceived, stream, stride);
        Result whole = run(mode, maxSize, maxLine, maxReceived, stream, 0);
        // the end, the verdict and what follows the end never depend on how the input is cut;
        // the content passed on before a limit broke may (it is refused at the end either way)
        assertThat(cut.end()).as("end of data however the input is cut").isEqualTo(whole.end());
        assertThat(cut.leftover()).as("bytes after the end however the input is cut").isEqualTo(whole.leftover());
        check(cut, stream, mode, maxSize, maxLine, maxReceived);
        check(whole, stream, mode, maxSize, maxLine, maxReceived);
    }

    private static void check(Result r, byte[] stream, BareLineEnds mode, long maxSize, int maxLine, int maxReceived) {
        int end = referenceEnd(stream);
        if (end < 0) {
            assertThat(r.end()).as("no end of data in the input").isNull();
            // a byte that ends no line and no data settles what the decoder still holds back
            byte[] expected = reference(appendByte(stream, 'x')).content();
            assertThat(startsWith(expected, r.content())).as("content so far is a prefix of the reference").isTrue();
            return;
        }
        assertThat(r.end()).as("end of data at %d", end).isNotNull();
        assertThat(r.leftover()).as("bytes after the end").isEqualTo(Arrays.copyOfRange(stream, end, stream.length));

        // the content is everything before ".CRLF", including the CRLF in front of the dot
        Reference ref = reference(Arrays.copyOfRange(stream, 0, end - 3));
        DataEnd e = r.end();
        assertThat(e.size()).as("size").isEqualTo(ref.content().length);
        assertThat(e.receivedCount()).as("Received: fields").isEqualTo(ref.receivedCount());
        Set<DataEnd.Verdict> broken = EnumSet.noneOf(DataEnd.Verdict.class);
        if (ref.content().length > maxSize) {
            broken.add(DataEnd.Verdict.TOO_BIG);
        }
        if (ref.longestLine() + 2 > maxLine) {
            broken.add(DataEnd.Verdict.LINE_TOO_LONG);
        }
        if (ref.bareLineEnds() && mode == BareLineEnds.REJECT) {
            broken.add(DataEnd.Verdict.BARE_LINE_END);
        }
        if (ref.receivedCount() > maxReceived) {
            broken.add(DataEnd.Verdict.LOOP);
        }
        if (broken.isEmpty()) {
            assertThat(e.verdict()).isEqualTo(DataEnd.Verdict.OK);
            assertThat(r.content()).as("content").isEqualTo(ref.content());
        } else {
            assertThat(e.verdict()).isIn(broken);
            assertThat(startsWith(ref.content(), r.content())).as("partial content is a prefix").isTrue();
        }
    }

    record Result(byte[] content, DataEnd end, byte[] leftover) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Result r && Arrays.equals(content, r.content) && java.util.Objects.equals(end, r.end)
                    && Arrays.equals(leftover, r.leftover);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(content);
        }

        @Override
        public String toString() {
            return "Result[content=" + Arrays.toString(content) + ", end=" + end + ", leftover=" + Arrays.toString(leftover) + "]";
        }
    }

    private static Result run(BareLineEnds mode, long maxSize, int maxLine, int maxReceived, byte[] stream, int stride) {
        EmbeddedChannel ch = new EmbeddedChannel(new ContentDecoder(maxSize, maxLine, mode, maxReceived));
        List<ByteBuf> written = new ArrayList<>();
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        DataEnd end = null;
        int step = stride == 0 ? Math.max(1, stream.length) : stride;
        for (int i = 0; i < stream.length; i += step) {
            // a fresh copy per read: a handler owns what it is given and may move bytes in it
            ByteBuf b = Unpooled.copiedBuffer(stream, i, Math.min(step, stream.length - i));
            written.add(b);
            ch.writeInbound(b);
            ch.checkException();
            for (Object o; (o = ch.readInbound()) != null; ) {
                if (o instanceof DataChunk c) {
                    assertThat(end).as("content after the end of data").isNull();
                    assertThat(c.content().isReadable()).as("empty chunk").isTrue();
                    byte[] bytes = new byte[c.content().readableBytes()];
                    c.content().readBytes(bytes);
                    content.writeBytes(bytes);
                    c.release();
                } else if (o instanceof DataEnd d) {
                    assertThat(end).as("a second end of data").isNull();
                    end = d;
                } else {
                    throw new AssertionError("unexpected message " + o);
                }
            }
        }
        // as the session does after the end: the line framer takes over the bytes that follow
        ByteArrayOutputStream leftover = new ByteArrayOutputStream();
        if (end != null) {
            ch.pipeline().removeFirst();
            for (Object o; (o = ch.readInbound()) != null; ) {
                ByteBuf b = (ByteBuf) o;
                byte[] bytes = new byte[b.readableBytes()];
                b.readBytes(bytes);
                leftover.writeBytes(bytes);
                b.release();
            }
        }
        ch.finishAndReleaseAll();
        ch.checkException();
        for (ByteBuf b : written) {
            assertThat(b.refCnt()).as("input buffer released").isZero();
        }
        return new Result(content.toByteArray(), end, end == null ? null : leftover.toByteArray());
    }

    /**
     * RFC 5321 4.1.1.4: the index just after the CRLF that ends the line "." which is at the start
     * of the content or follows a CRLF, or -1.
     */
    static int referenceEnd(byte[] s) {
        if (s.length >= 3 && s[0] == '.' && s[1] == '\r' && s[2] == '\n') {
            return 3;
        }
        for (int i = 0; i + 5 <= s.length; i++) {
            if (s[i] == '\r' && s[i + 1] == '\n' && s[i + 2] == '.' && s[i + 3] == '\r' && s[i + 4] == '\n') {
                return i + 5;
            }
        }
        return -1;
    }

    record Reference(byte[] content, int longestLine, int receivedCount, boolean bareLineEnds) {
    }

    /**
     * The content as it should be stored: lines split at CRLF, bare CR or bare LF (CRLF taken
     * first), each line unstuffed (RFC 5321 4.5.2: a leading dot is removed when more text
     * follows it on the line) and ended with CRLF; an unterminated last line is kept unended.
     * {@code Received:} fields are counted in the header section, before the first empty line.
     */
    static Reference reference(byte[] s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int longest = 0;
        int received = 0;
        boolean headers = true;
        boolean bare = false;
        int start = 0;
        int i = 0;
        while (i <= s.length) {
            int lineEnd = -1;
            int next = -1;
            if (i == s.length) {
                lineEnd = i;
            } else if (s[i] == '\r' && i + 1 < s.length && s[i + 1] == '\n') {
                lineEnd = i;
                next = i + 2;
            } else if (s[i] == '\r' || s[i] == '\n') {
                lineEnd = i;
                next = i + 1;
                bare = true;
            }
            if (lineEnd < 0) {
                i++;
                continue;
            }
            byte[] line = Arrays.copyOfRange(s, start, lineEnd);
            if (line.length > 1 && line[0] == '.') {
                line = Arrays.copyOfRange(line, 1, line.length);
            }
            out.writeBytes(line);
            longest = Math.max(longest, line.length);
            if (next < 0) {
                break; // the unterminated rest
            }
            out.write('\r');
            out.write('\n');
            if (headers) {
                if (line.length == 0) {
                    headers = false;
                } else if (startsWithIgnoreCase(line, "received:")) {
                    received++;
                }
            }
            start = next;
            i = next;
        }
        return new Reference(out.toByteArray(), longest, received, bare);
    }

    private static boolean startsWithIgnoreCase(byte[] line, String prefix) {
        if (line.length < prefix.length()) {
            return false;
        }
        for (int k = 0; k < prefix.length(); k++) {
            int c = line[k];
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != prefix.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private static boolean startsWith(byte[] whole, byte[] prefix) {
        return prefix.length <= whole.length && Arrays.equals(whole, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] appendByte(byte[] s, char c) {
        byte[] r = Arrays.copyOf(s, s.length + 1);
        r[s.length] = (byte) c;
        return r;
    }
}
