package dev.relay.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.relay.server.BareLineEnds;
import dev.relay.server.codec.CommandDecoder;
import dev.relay.server.codec.LineFramer;
import dev.relay.server.codec.SmtpCommand;
import dev.relay.server.codec.Verb;
import dev.relay.server.command.Replies;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Fuzzes the command phase of the receiver: {@link LineFramer} in front of {@link CommandDecoder},
 * as the pipeline has them. Properties checked for every input:
 *
 * <ul>
 * <li>nothing is thrown (the channel records no exception), and every byte buffer written in is
 *     released by the end (no leak);</li>
 * <li>the framer never holds a line maximum's worth of bytes without a line end, however the
 *     input is cut into reads (RFC 5321 4.5.3.1.4: a megabyte without a line break costs
 *     nothing);</li>
 * <li>every line is answered, in order (RFC 2920): one {@link SmtpCommand} per LF received, and
 *     the same sequence whether the input comes in one read or cut into many;</li>
 * <li>a line that becomes a command is valid UTF-8 without controls (other than TAB), ended by
 *     CRLF unless bare LFs are taken, within its verb's length limit, and a known verb is an ASCII
 *     spelling of that verb (no {@code "MA\u0131L"} passing for MAIL through Unicode case
 *     mapping); any other line gets one of the decoder's three refusals.</li>
 * </ul>
 *
 * <p>Input layout (corpus files can be written by hand): byte 0 holds flags (bit 0: bare LFs are
 * refused; bits 1-2 pick the command line maximum: 512, 16, 100 or 1000 octets), byte 1 the size
 * of each read (0: one read of everything), the rest is the bytes a client sends.
 */
class CommandDecoderFuzzTest {
    private static final int[] MAX_LENGTHS = {512, 16, 100, 1000};

    @FuzzTest(maxDuration = "5s")
    void commands(byte[] input) {
        if (input.length < 2) {
            return;
        }
        BareLineEnds mode = (input[0] & 1) != 0 ? BareLineEnds.REJECT : BareLineEnds.NORMALIZE;
        int maxLength = MAX_LENGTHS[(input[0] >> 1) & 3];
        int stride = input[1] & 0xff;
        byte[] stream = Arrays.copyOfRange(input, 2, input.length);

        List<SmtpCommand> cut = run(mode, maxLength, stream, stride);
        List<SmtpCommand> whole = run(mode, maxLength, stream, 0);
        assertThat(cut).as("same commands however the input is cut").isEqualTo(whole);

        List<byte[]> lines = completeLines(stream);
        assertThat(cut).as("one answer per line").hasSize(lines.size());
        int framerMax = CommandDecoder.framerMaximum(maxLength);
        for (int i = 0; i < lines.size(); i++) {
            check(cut.get(i), lines.get(i), mode, maxLength, framerMax);
        }
    }

    private static List<SmtpCommand> run(BareLineEnds mode, int maxLength, byte[] stream, int stride) {
        int framerMax = CommandDecoder.framerMaximum(maxLength);
        LineFramer framer = new LineFramer(framerMax, mode);
        EmbeddedChannel ch = new EmbeddedChannel(framer, new CommandDecoder(maxLength));
        List<ByteBuf> written = new ArrayList<>();
        List<SmtpCommand> out = new ArrayList<>();
        int step = stride == 0 ? Math.max(1, stream.length) : stride;
        for (int i = 0; i < stream.length; i += step) {
            // a fresh copy per read: a handler owns what it is given and may move bytes in it
            ByteBuf b = Unpooled.copiedBuffer(stream, i, Math.min(step, stream.length - i));
            written.add(b);
            ch.writeInbound(b);
            ch.checkException();
            assertThat(framer.bufferedBytes()).as("bytes held without a line end").isLessThan(framerMax);
            for (Object o; (o = ch.readInbound()) != null; ) {
                assertThat(o).isInstanceOf(SmtpCommand.class);
                out.add((SmtpCommand) o);
            }
        }
        ch.finishAndReleaseAll();
        ch.checkException();
        for (ByteBuf b : written) {
            assertThat(b.refCnt()).as("input buffer released").isZero();
        }
        return out;
    }

    /** The lines of {@code stream} that end in LF, each with its line end. */
    private static List<byte[]> completeLines(byte[] stream) {
        List<byte[]> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < stream.length; i++) {
            if (stream[i] == '\n') {
                lines.add(Arrays.copyOfRange(stream, start, i + 1));
                start = i + 1;
            }
        }
        return lines;
    }

    private static boolean strictUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static void check(SmtpCommand c, byte[] line, BareLineEnds mode, int maxLength, int framerMax) {
        boolean crlf = line.length >= 2 && line[line.length - 2] == '\r';
        if (line.length > framerMax) {
            assertThat(c.rejection()).as("line of %d octets", line.length).isEqualTo(Replies.LINE_TOO_LONG);
            return;
        }
        if (!crlf && mode == BareLineEnds.REJECT) {
            assertThat(c.rejection()).isEqualTo(Replies.BARE_LF_IN_COMMAND);
            return;
        }
        if (c.rejection() != null) {
            assertThat(c.rejection()).isIn(Replies.LINE_TOO_LONG, Replies.INVALID_CHARACTERS);
            return;
        }
        String text = c.word() + (c.argument().isEmpty() ? "" : " " + c.argument());
        assertThat(text).doesNotContainPattern("[\\x00-\\x08\\x0a-\\x1f\\x7f]");
        assertThat(strictUtf8(Arrays.copyOf(line, line.length - (crlf ? 2 : 1)))).as("valid UTF-8").isTrue();
        assertThat(c.word()).doesNotContain(" ");
        assertThat(c.argument()).isEqualTo(c.argument().strip());
        int octets = line.length - (crlf ? 2 : 1) + 2;
        int allowed = maxLength + switch (c.verb()) {
            case MAIL -> CommandDecoder.MAIL_EXTENSION_OCTETS;
            case RCPT -> CommandDecoder.RCPT_EXTENSION_OCTETS;
            default -> 0;
        };
        assertThat(octets).as("octets of a %s line", c.verb()).isLessThanOrEqualTo(allowed);
        if (c.verb() != Verb.UNKNOWN) {
            assertThat(c.word()).matches("[A-Za-z]+");
            assertThat(c.word().toUpperCase(Locale.ROOT)).isEqualTo(c.verb().name());
        }
    }
}
