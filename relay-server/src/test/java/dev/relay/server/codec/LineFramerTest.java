package dev.relay.server.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.server.BareLineEnds;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LineFramerTest {
    private LineFramer framer;
    private EmbeddedChannel ch;

    private List<Object> feed(BareLineEnds mode, int max, String... pieces) {
        framer = new LineFramer(max, mode);
        ch = new EmbeddedChannel(framer);
        List<Object> out = new ArrayList<>();
        for (String p : pieces) {
            ch.writeInbound(Unpooled.copiedBuffer(p, StandardCharsets.ISO_8859_1));
            for (Object o; (o = ch.readInbound()) != null; ) {
                if (o instanceof ByteBuf b) {
                    out.add(b.toString(StandardCharsets.ISO_8859_1));
                    b.release();
                } else {
                    out.add(o);
                }
            }
        }
        return out;
    }

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    @Test
    void splitsLinesAndStripsCrlf() {
        assertThat(feed(BareLineEnds.NORMALIZE, 512, "EHLO a\r\nMAIL FROM:<>\r\nRC", "PT TO:<b@c>\r", "\n"))
                .containsExactly("EHLO a", "MAIL FROM:<>", "RCPT TO:<b@c>");
    }

    @Test
    void bareLfEndsALineUnlessRefused() {
        assertThat(feed(BareLineEnds.NORMALIZE, 512, "NOOP\nQUIT\r\n")).containsExactly("NOOP", "QUIT");
        assertThat(feed(BareLineEnds.REJECT, 512, "NOOP\nQUIT\r\n")).containsExactly(FramingError.BARE_LF, "QUIT");
    }

    @Test
    void overlongLineIsReportedAndTheNextLineIsFine() {
        String longLine = "NOOP " + "x".repeat(600) + "\r\n";
        assertThat(feed(BareLineEnds.NORMALIZE, 512, longLine + "QUIT\r\n"))
                .containsExactly(FramingError.LINE_TOO_LONG, "QUIT");
    }

    @Test
    void lineOfExactlyTheMaximumIsALine() {
        String line = "x".repeat(510);
        assertThat(feed(BareLineEnds.NORMALIZE, 512, line + "\r\n")).containsExactly(line);
        assertThat(feed(BareLineEnds.NORMALIZE, 512, line + "x\r\n")).containsExactly(FramingError.LINE_TOO_LONG);
    }

    @Test
    void aMegabyteWithoutLineBreakNeverGrowsTheBufferPastTheMaximum() {
        framer = new LineFramer(512, BareLineEnds.NORMALIZE);
        ch = new EmbeddedChannel(framer);
        String chunk = "z".repeat(8192);
        for (int i = 0; i < 128; i++) {
            ch.writeInbound(Unpooled.copiedBuffer(chunk, StandardCharsets.US_ASCII));
            assertThat(framer.bufferedBytes()).isLessThanOrEqualTo(512);
            assertThat((Object) ch.readInbound()).isNull();
        }
        ch.writeInbound(Unpooled.copiedBuffer("zz\r\nQUIT\r\n", StandardCharsets.US_ASCII));
        assertThat((Object) ch.readInbound()).isEqualTo(FramingError.LINE_TOO_LONG);
        ByteBuf quit = ch.readInbound();
        assertThat(quit.toString(StandardCharsets.US_ASCII)).isEqualTo("QUIT");
        quit.release();
    }

    @Test
    void discardBufferedInputDropsWhatWasNotYetFramed() {
        assertThat(feed(BareLineEnds.NORMALIZE, 512, "NOOP")).isEmpty();
        framer.discardBufferedInput();
        ch.writeInbound(Unpooled.copiedBuffer("QUIT\r\n", StandardCharsets.US_ASCII));
        ByteBuf b = ch.readInbound();
        assertThat(b.toString(StandardCharsets.US_ASCII)).isEqualTo("QUIT");
        b.release();
    }
}
