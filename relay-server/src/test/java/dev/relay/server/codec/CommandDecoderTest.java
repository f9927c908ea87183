package dev.relay.server.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.server.command.Replies;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class CommandDecoderTest {
    private final CommandDecoder decoder = new CommandDecoder(512);

    private SmtpCommand decode(String line) {
        return decode(line.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private SmtpCommand decode(byte[] line) {
        var b = Unpooled.wrappedBuffer(line);
        try {
            return decoder.decode(b);
        } finally {
            b.release();
        }
    }

    @Test
    void verbsAreCaseInsensitiveAndArgumentsKept() {
        SmtpCommand c = decode("mAiL FROM:<a@b> SIZE=10");
        assertThat(c.verb()).isEqualTo(Verb.MAIL);
        assertThat(c.word()).isEqualTo("mAiL");
        assertThat(c.argument()).isEqualTo("FROM:<a@b> SIZE=10");
        assertThat(decode("quit").verb()).isEqualTo(Verb.QUIT);
        assertThat(decode("NOOP   ").argument()).isEmpty();
    }

    @Test
    void unknownAndEmptyVerbs() {
        assertThat(decode("FOO bar").verb()).isEqualTo(Verb.UNKNOWN);
        assertThat(decode("").verb()).isEqualTo(Verb.UNKNOWN);
        assertThat(decode("UNKNOWN").verb()).isEqualTo(Verb.UNKNOWN);
        assertThat(decode("MAILX").verb()).isEqualTo(Verb.UNKNOWN);
    }

    @Test
    void invalidUtf8AndControlCharactersAreRefused() {
        assertThat(decode(new byte[] {'N', 'O', 'O', 'P', ' ', (byte) 0xC3}).rejection()).isEqualTo(Replies.INVALID_CHARACTERS);
        assertThat(decode("NOOP a\u0000b").rejection()).isEqualTo(Replies.INVALID_CHARACTERS);
        assertThat(decode("NOOP a\rb").rejection()).isEqualTo(Replies.INVALID_CHARACTERS);
        assertThat(decode("RCPT TO:<j\u00f6rg@example.org>").rejection()).as("UTF-8 is the parser's business").isNull();
    }

    @Test
    void lineLimitIsRaisedForMailAndRcptParameters() {
        assertThat(decode("NOOP " + "x".repeat(505)).rejection()).isNull(); // 510 + CRLF = 512
        assertThat(decode("NOOP " + "x".repeat(506)).rejection()).isEqualTo(Replies.LINE_TOO_LONG);
        assertThat(decode("MAIL FROM:<a@b> ENVID=" + "x".repeat(560)).rejection()).isNull();
        assertThat(decode("RCPT TO:<a@b> ORCPT=rfc822;" + "x".repeat(900)).rejection()).isNull();
        assertThat(decode("RCPT TO:<a@b> ORCPT=rfc822;" + "x".repeat(1000)).rejection()).isEqualTo(Replies.LINE_TOO_LONG);
    }
}
