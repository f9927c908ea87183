package dev.relay.server.codec;

import dev.relay.server.command.Replies;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns a command line from {@link LineFramer} into an {@link SmtpCommand}: verb (case-insensitive,
 * RFC 5321 section 2.4) and argument text. Lines that are not commands become rejected commands
 * carrying their reply, so the session answers every line in order (RFC 2920).
 *
 * <p>Line length (RFC 5321 section 4.5.3.1.4): {@code maxLength} octets with CRLF for every verb;
 * RFC 1870 section 4 (SIZE, 26) and RFC 3461 section 4 (RET/ENVID, 100) raise it for MAIL, and
 * RFC 3461 (NOTIFY/ORCPT, 500) for RCPT. The framer in front allows the largest of these.
 *
 * <p>Bytes are decoded as UTF-8 (RFC 6531); malformed UTF-8 and control characters other than
 * TAB are refused with 501 (RFC 5321 section 4.1.2). Other messages pass through unchanged.
 */
public final class CommandDecoder extends MessageToMessageDecoder<Object> {
    /** RFC 1870 section 4 plus RFC 3461 section 4: extra octets allowed on MAIL. */
    public static final int MAIL_EXTENSION_OCTETS = 26 + 100;
    /** RFC 3461 section 4: extra octets allowed on RCPT. */
    public static final int RCPT_EXTENSION_OCTETS = 500;

    private final int maxLength;

    /** @param maxLength the longest command line in octets including CRLF, before extensions */
    public CommandDecoder(int maxLength) {
        super(Object.class);
        this.maxLength = maxLength;
    }

    /** The line maximum the framer in front of this decoder must allow. */
    public static int framerMaximum(int maxLength) {
        return maxLength + Math.max(MAIL_EXTENSION_OCTETS, RCPT_EXTENSION_OCTETS);
    }

    @Override
    public boolean acceptInboundMessage(Object msg) {
        return msg instanceof ByteBuf || msg instanceof FramingError;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, Object msg, List<Object> out) {
        if (msg instanceof FramingError e) {
            out.add(SmtpCommand.rejected(e == FramingError.LINE_TOO_LONG ? Replies.LINE_TOO_LONG : Replies.BARE_LF_IN_COMMAND));
            return;
        }
        out.add(decode((ByteBuf) msg));
    }

    /** Decodes one line (without its line end). */
    public SmtpCommand decode(ByteBuf line) {
        int octets = line.readableBytes() + 2;
        String text;
        try {
            ByteBuffer nio = line.nioBufferCount() == 1 ? line.nioBuffer() : ByteBuffer.wrap(io.netty.buffer.ByteBufUtil.getBytes(line));
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(nio).toString();
        } catch (CharacterCodingException e) {
            return SmtpCommand.rejected(Replies.INVALID_CHARACTERS);
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return SmtpCommand.rejected(Replies.INVALID_CHARACTERS);
            }
        }
        int sp = text.indexOf(' ');
        String word = sp < 0 ? text : text.substring(0, sp);
        String argument = sp < 0 ? "" : text.substring(sp + 1).strip();
        Verb verb = Verb.of(word);
        int allowed = maxLength + switch (verb) {
            case MAIL -> MAIL_EXTENSION_OCTETS;
            case RCPT -> RCPT_EXTENSION_OCTETS;
            default -> 0;
        };
        if (octets > allowed) {
            return SmtpCommand.rejected(Replies.LINE_TOO_LONG);
        }
        return SmtpCommand.of(verb, word, argument);
    }
}
