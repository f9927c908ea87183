package dev.relay.server.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.server.BareLineEnds;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ContentDecoderTest {

    /** What the decoder passed on for one input. */
    record Result(String content, DataEnd end, String leftover) {
    }

    private static Result decode(BareLineEnds mode, long maxSize, int maxLine, int maxReceived, byte[]... pieces) {
        EmbeddedChannel ch = new EmbeddedChannel(new ContentDecoder(maxSize, maxLine, mode, maxReceived));
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        DataEnd end = null;
        for (byte[] p : pieces) {
            ch.writeInbound(Unpooled.wrappedBuffer(p));
            for (Object o; (o = ch.readInbound()) != null; ) {
                if (o instanceof DataChunk c) {
                    assertThat(end).as("content after the end").isNull();
                    byte[] b = new byte[c.content().readableBytes()];
                    c.content().readBytes(b);
                    content.writeBytes(b);
                    c.release();
                } else if (o instanceof DataEnd e) {
                    assertThat(end).as("second end").isNull();
                    end = e;
                } else {
                    throw new AssertionError("unexpected " + o);
                }
            }
        }
        // removing the decoder hands any bytes after the end to the next handler
        ch.pipeline().removeFirst();
        StringBuilder left = new StringBuilder();
        for (Object o; (o = ch.readInbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            left.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        ch.finishAndReleaseAll();
        return new Result(content.toString(StandardCharsets.ISO_8859_1), end, left.toString());
    }

    private static Result decode(String... pieces) {
        return decode(BareLineEnds.NORMALIZE, pieces);
    }

    private static Result decode(BareLineEnds mode, String... pieces) {
        byte[][] b = new byte[pieces.length][];
        for (int i = 0; i < pieces.length; i++) {
            b[i] = pieces[i].getBytes(StandardCharsets.ISO_8859_1);
        }
        return decode(mode, 1_000_000, 1000, 100, b);
    }

    @Test
    void endsAtCrlfDotCrlfAndKeepsLineEnds() {
        Result r = decode("Subject: x\r\n\r\nhello\r\n.\r\n");
        assertThat(r.content()).isEqualTo("Subject: x\r\n\r\nhello\r\n");
        assertThat(r.end().verdict()).isEqualTo(DataEnd.Verdict.OK);
        assertThat(r.end().size()).isEqualTo(r.content().length());
    }

    @Test
    void emptyMessageIsADotRightAfterData() {
        Result r = decode(".\r\n");
        assertThat(r.content()).isEmpty();
        assertThat(r.end().size()).isZero();
    }

    @Test
    void dotStuffingIsRemoved() {
        Result r = decode("..\r\n.x\r\n..x\r\n...\r\nmid.dle\r\n.\r\n");
        assertThat(r.content()).isEqualTo(".\r\nx\r\n.x\r\n..\r\nmid.dle\r\n");
        assertThat(r.end().size()).as("RFC 1870: size after unstuffing").isEqualTo(r.content().length());
    }

    @Test
    void bytesAfterTheEndAreHandedOnNotSwallowed() {
        Result r = decode("a\r\n.\r\nQUIT\r\n");
        assertThat(r.content()).isEqualTo("a\r\n");
        assertThat(r.leftover()).isEqualTo("QUIT\r\n");
    }

    @Test
    void bytesArrivingAfterTheEndInLaterReadsAreKeptToo() {
        Result r = decode("a\r\n.\r\nMAIL", " FROM:<a@b>\r\n");
        assertThat(r.leftover()).isEqualTo("MAIL FROM:<a@b>\r\n");
    }

    @Test
    void everySplitOfTheInputGivesTheSameResult() {
        String msg = "From: a\r\n\r\n..dot\r\n.\r\nx\n.\ny\r\n.\r\nQUIT\r\n";
        Result whole = decode(msg);
        assertThat(whole.end()).isNotNull();
        for (int i = 1; i < msg.length(); i++) {
            Result split = decode(msg.substring(0, i), msg.substring(i));
            assertThat(split).as("split at %d", i).isEqualTo(whole);
        }
        String[] bytes = msg.split("");
        assertThat(decode(bytes)).as("one byte per read").isEqualTo(whole);
    }

    @Test
    void crlfDotCrlfSplitAcrossThreeBuffers() {
        Result r = decode("hello\r", "\n.", "\r\n");
        assertThat(r.content()).isEqualTo("hello\r\n");
        assertThat(r.end()).isNotNull();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"\\n.\\n", "\\r.\\r", "\\n.\\r\\n", "\\r\\n.\\n", "\\r\\n.\\rX"})
    void smugglingSequencesNeverEndTheMessage(String escaped) {
        String seq = escaped.replace("\\r", "\r").replace("\\n", "\n");
        String smuggled = "MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n";
        Result r = decode("a" + seq + smuggled + "\r\n.\r\n");
        assertThat(r.end()).isNotNull();
        assertThat(r.leftover()).as("nothing is read as a command").isEmpty();
        assertThat(r.end().verdict()).isEqualTo(DataEnd.Verdict.OK);
        // stored with CRLF line ends only; the dot line is plain text
        assertThat(r.content()).doesNotContain("\n\n").matches("(?s)([^\r\n]*\r\n)*");
        assertThat(r.content()).contains("\r\n.\r\n", smuggled);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"\\n.\\n", "\\r.\\r", "\\n.\\r\\n", "\\r\\n.\\n", "\\r\\n.\\rX"})
    void smugglingSequencesAreRefusedInRejectMode(String escaped) {
        String seq = escaped.replace("\\r", "\r").replace("\\n", "\n");
        Result r = decode(BareLineEnds.REJECT, "a" + seq + "MAIL FROM:<x@y>\r\n.\r\nQUIT\r\n");
        assertThat(r.end().verdict()).isEqualTo(DataEnd.Verdict.BARE_LINE_END);
        assertThat(r.leftover()).isEqualTo("QUIT\r\n");
    }

    @Test
    void bareLineEndsBecomeCrlfInNormalizeMode() {
        Result r = decode("a\nb\rc\r\n\r\n.\r\n");
        assertThat(r.content()).isEqualTo("a\r\nb\r\nc\r\n\r\n");
        assertThat(r.end().verdict()).isEqualTo(DataEnd.Verdict.OK);
    }

    @Test
    void aLoneDotAfterABareLfIsTextAndTheNextRealEndEnds() {
        // <LF>.<CR><LF>: the "." line is not an end; the following CRLF.CRLF is
        Result r = decode("a\n.\r\n.\r\n");
        assertThat(r.content()).isEqualTo("a\r\n.\r\n");
        assertThat(r.end()).isNotNull();
    }

    @Test
    void textLineAtTheLimitIsAcceptedOneMoreOctetIsRefused() {
        String ok = "x".repeat(998) + "\r\n";
        assertThat(decode(ok + ".\r\n").end().verdict()).isEqualTo(DataEnd.Verdict.OK);
        String stuffed = "." + "." + "x".repeat(997) + "\r\n"; // the stuffed dot does not count
        assertThat(decode(stuffed + ".\r\n").end().verdict()).isEqualTo(DataEnd.Verdict.OK);
        Result r = decode("x".repeat(999) + "\r\nmore\r\n.\r\nQUIT\r\n");
        assertThat(r.end().verdict()).isEqualTo(DataEnd.Verdict.LINE_TOO_LONG);
        assertThat(r.content()).as("refused content is not passed on").isEmpty();
        assertThat(r.leftover()).isEqualTo("QUIT\r\n");
    }

    @Test
    void aMegabyteWithoutLineBreakIsCountedNotBuffered() {
        byte[] junk = "y".repeat(1024 * 1024).getBytes(StandardCharsets.US_ASCII);
        Result r = decode(BareLineEnds.NORMALIZE, 10_000_000, 1000, 100,
                junk, "\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(r.end().verdict()).isEqualTo(DataEnd.Verdict.LINE_TOO_LONG);
        assertThat(r.content()).isEmpty();
    }

    @Test
    void sizeLimitCountsCrlfAndNotStuffing() {
        String body = "..ab\r\n"; // stored ".ab\r\n" = 5 octets
        assertThat(decode(BareLineEnds.NORMALIZE, 5, 1000, 100, (body + ".\r\n").getBytes()).end().verdict())
                .isEqualTo(DataEnd.Verdict.OK);
        Result r = decode(BareLineEnds.NORMALIZE, 4, 1000, 100, (body + ".\r\n").getBytes());
        assertThat(r.end().verdict()).isEqualTo(DataEnd.Verdict.TOO_BIG);
        assertThat(r.content()).isEmpty();
    }

    @Test
    void receivedHeadersAreCountedInTheHeaderSectionOnly() {
        String h = "Received: from a\r\n\tby b; date\r\n";
        Result ok = decode(BareLineEnds.NORMALIZE, 1_000_000, 1000, 3,
                (h + h + "received: x\r\nSubject: s\r\n\r\n" + h + h + ".\r\n").getBytes());
        assertThat(ok.end().verdict()).isEqualTo(DataEnd.Verdict.OK);
        assertThat(ok.end().receivedCount()).isEqualTo(3);
        Result loop = decode(BareLineEnds.NORMALIZE, 1_000_000, 1000, 3, (h + h + h + h + "\r\nbody\r\n.\r\n").getBytes());
        assertThat(loop.end().verdict()).isEqualTo(DataEnd.Verdict.LOOP);
    }

    @Test
    void eightBitBytesPassUnchanged() {
        byte[] in = {(byte) 0xC3, (byte) 0xA9, (byte) 0xFF, 0, '\r', '\n', '.', '\r', '\n'};
        Result r = decode(BareLineEnds.NORMALIZE, 1000, 1000, 100, in);
        assertThat(r.content().getBytes(StandardCharsets.ISO_8859_1))
                .containsExactly((byte) 0xC3, (byte) 0xA9, (byte) 0xFF, 0, '\r', '\n');
    }
}
