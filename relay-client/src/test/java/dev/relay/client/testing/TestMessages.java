package dev.relay.client.testing;

import dev.relay.mail.Mailbox;
import dev.relay.mail.Path;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Message content for tests: CRLF lines, lines starting with dots, optionally large. */
public final class TestMessages {
    private TestMessages() {
    }

    public static Path path(String address) {
        int at = address.lastIndexOf('@');
        return new Path(List.of(), new Mailbox(address.substring(0, at), address.substring(at + 1)));
    }

    /** A small message whose body has a line that is a lone dot and lines starting with dots. */
    public static byte[] small(String subject) {
        return ("From: <s@src.test>\r\nTo: <u@dst.test>\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject
                + "@src.test>\r\n\r\nHello.\r\n.\r\n..two dots\r\n.one dot\r\nend\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** About {@code size} bytes of 7-bit text in 78-char lines, many starting with a dot. */
    public static byte[] large(int size, long seed) {
        Random r = new Random(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 200);
        out.writeBytes("From: <s@src.test>\r\nTo: <u@dst.test>\r\nSubject: large\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] line = new byte[78];
        while (out.size() < size) {
            for (int i = 0; i < line.length - 2; i++) {
                line[i] = (byte) ('!' + r.nextInt(90));
            }
            if (r.nextInt(10) == 0) {
                line[0] = '.';
            }
            line[76] = '\r';
            line[77] = '\n';
            out.writeBytes(line);
        }
        return out.toByteArray();
    }

    /** The body of a message: the bytes after the first empty line. */
    public static byte[] bodyOf(byte[] message) {
        for (int i = 0; i + 3 < message.length; i++) {
            if (message[i] == '\r' && message[i + 1] == '\n' && message[i + 2] == '\r' && message[i + 3] == '\n') {
                return Arrays.copyOfRange(message, i + 4, message.length);
            }
        }
        return new byte[0];
    }
}
