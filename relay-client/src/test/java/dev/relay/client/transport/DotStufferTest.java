package dev.relay.client.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The byte-level DATA encoding (RFC 5321 section 4.5.2) against a one-byte-at-a-time reference. */
class DotStufferTest {

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The rules spelt out byte by byte: the reference the block-wise writer must match. */
    private static byte[] reference(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean lineStart = true;
        byte prev = 0;
        for (byte c : content) {
            if (c == '\n' && prev != '\r') {
                out.write('\r');
            }
            if (c == '.' && lineStart) {
                out.write('.');
            }
            out.write(c);
            lineStart = c == '\n';
            prev = c;
        }
        if (content.length > 0 && prev == '\r') {
            out.write('\n');
        } else if (content.length > 0 && prev != '\n') {
            out.writeBytes(ascii("\r\n"));
        }
        out.writeBytes(ascii(".\r\n"));
        return out.toByteArray();
    }

    /** Feeds {@code content} in chunks of {@code chunk} bytes through a buffer of {@code buffer} bytes. */
    private static byte[] stuff(byte[] content, int chunk, int buffer) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DotStuffer d = new DotStuffer(out, buffer);
        for (int i = 0; i < content.length; i += chunk) {
            d.write(content, i, Math.min(chunk, content.length - i));
        }
        d.finish();
        return out.toByteArray();
    }

    @Test
    void dotsAtLineStartsAreDoubled() throws IOException {
        byte[] in = ascii(".\r\n..\r\n.x\r\nmid.dle\r\n.");
        assertThat(new String(stuff(in, in.length, 1024), StandardCharsets.ISO_8859_1))
                .isEqualTo("..\r\n...\r\n..x\r\nmid.dle\r\n..\r\n.\r\n");
    }

    @Test
    void contentWithoutFinalCrlfIsEndedBeforeTheDot() throws IOException {
        assertThat(stuff(ascii("abc"), 3, 64)).isEqualTo(ascii("abc\r\n.\r\n"));
        assertThat(stuff(ascii("abc\r"), 4, 64)).isEqualTo(ascii("abc\r\n.\r\n"));
        assertThat(stuff(ascii("abc\r\n"), 5, 64)).isEqualTo(ascii("abc\r\n.\r\n"));
        assertThat(stuff(new byte[0], 1, 64)).isEqualTo(ascii(".\r\n"));
    }

    @Test
    void bareLineFeedBecomesCrlfAndADotAfterItIsStuffed() throws IOException {
        assertThat(stuff(ascii("a\n.\nb\r\n"), 8, 64)).isEqualTo(ascii("a\r\n..\r\nb\r\n.\r\n"));
        assertThat(stuff(ascii("a\rb\r\n"), 8, 64)).as("a bare CR passes").isEqualTo(ascii("a\rb\r\n.\r\n"));
    }

    @Test
    void eightBitBytesPassUnchanged() throws IOException {
        byte[] in = new byte[256 + 2];
        for (int i = 0; i < 256; i++) {
            in[i] = (byte) (i == '\r' || i == '\n' || i == '.' ? 'x' : i);
        }
        in[256] = '\r';
        in[257] = '\n';
        byte[] out = stuff(in, in.length, 1024);
        assertThat(out).startsWith(in).endsWith(ascii("\r\n.\r\n")).hasSize(in.length + 3);
    }

    @Test
    void anySplitIntoBlocksGivesTheSameBytes() throws IOException {
        Random r = new Random(5);
        byte[] alphabet = ascii(".\r\n.ab\u00e9\u00ff");
        for (int round = 0; round < 200; round++) {
            byte[] in = new byte[r.nextInt(300)];
            for (int i = 0; i < in.length; i++) {
                in[i] = alphabet[r.nextInt(alphabet.length)];
            }
            byte[] expected = reference(in);
            int chunk = 1 + r.nextInt(40);
            int buffer = 16 + r.nextInt(40);
            assertThat(stuff(in, chunk, buffer)).as("round %d chunk %d buffer %d", round, chunk, buffer).isEqualTo(expected);
        }
    }

    @Test
    void aSmallMessageLeavesInOneWriteALargeOneInBlocks() throws IOException {
        List<Integer> writes = new ArrayList<>();
        OutputStream counting = new OutputStream() {
            @Override
            public void write(int b) {
                writes.add(1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writes.add(len);
            }
        };
        byte[] small = ascii("Subject: x\r\n\r\n.hello\r\n");
        DotStuffer.send(new ByteArrayInputStream(small), counting, small.length);
        assertThat(writes).containsExactly(small.length + 1 + 3);

        writes.clear();
        byte[] large = new byte[3 * DotStuffer.BLOCK + 100];
        java.util.Arrays.fill(large, (byte) 'a');
        DotStuffer.send(new ByteArrayInputStream(large), counting, large.length);
        assertThat(writes).allMatch(n -> n <= DotStuffer.BLOCK).hasSizeGreaterThanOrEqualTo(4);
        assertThat(writes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(large.length + 2 + 3);
    }
}
