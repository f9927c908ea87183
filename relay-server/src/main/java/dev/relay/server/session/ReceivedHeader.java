package dev.relay.server.session;

import dev.relay.mail.Path;
import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The trace field the receiver puts on top of every message (RFC 5321 section 4.4):
 *
 * <pre>
 * Received: from client.example ([192.0.2.7])
 *         by relay.example.org with ESMTP id 4F2A1B9C3D
 *         for &lt;u@example.org&gt;; Sun, 29 Nov 2026 03:38:24 +0000
 * </pre>
 *
 * The FROM clause has the EHLO name and an address literal from the TCP connection; "for" appears
 * only with exactly one recipient (it MUST hold exactly one path); the date has a numeric offset.
 * No reverse DNS look-up is made (it would block).
 */
public final class ReceivedHeader {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US);

    private ReceivedHeader() {
    }

    /**
     * @param helo         the EHLO/HELO argument as received (made printable here)
     * @param client       the client's address
     * @param hostName     our host name
     * @param protocol     ESMTP, ESMTPS, ... (RFC 3848) or UTF8SMTP... (RFC 6531 section 3.7.3)
     * @param id           the queue id
     * @param oneRecipient the single recipient, or null when there are several
     * @param date         the time of receipt
     */
    public static byte[] format(String helo, InetAddress client, String hostName, String protocol, String id,
                                Path oneRecipient, ZonedDateTime date) {
        StringBuilder b = new StringBuilder(200);
        b.append("Received: from ").append(printable(helo)).append(" (").append(addressLiteral(client)).append(")\r\n");
        b.append("\tby ").append(hostName).append(" with ").append(protocol).append(" id ").append(id);
        if (oneRecipient != null) {
            b.append("\r\n\tfor ").append(oneRecipient);
        }
        b.append("; ").append(DATE.format(date)).append("\r\n");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** {@code [192.0.2.7]} or {@code [IPv6:2001:db8::7]} (RFC 5321 section 4.1.3). */
    public static String addressLiteral(InetAddress a) {
        if (a instanceof Inet6Address) {
            return "[IPv6:" + NetUtil.toAddressString(a) + "]";
        }
        return "[" + a.getHostAddress() + "]";
    }

    private static String printable(String s) {
        if (s == null || s.isEmpty()) {
            return "unknown";
        }
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().limit(255).forEach(c -> b.appendCodePoint(c <= 0x20 || c == 0x7f || c == '(' || c == ')' ? '_' : c));
        return b.toString();
    }
}
