package dev.relay.client.transport;

import dev.relay.mail.MailParameters;
import dev.relay.mail.Path;
import java.util.List;

/**
 * One outgoing mail transaction: MAIL, several RCPTs, DATA (RFC 5321 section 4.5.4.1: "MAIL, RCPT,
 * RCPT, ..., RCPT, DATA").
 *
 * @param reversePath the reverse-path to send (already rewritten for the source-route mode)
 * @param parameters  the MAIL parameters as received; only those the next hop offers are sent
 * @param recipients  the recipients, in order; the result lists them in the same order
 * @param size        the exact size of the content in octets (RFC 1870 section 5)
 * @param body        the content
 */
public record Transaction(Path reversePath, MailParameters parameters, List<OutboundRecipient> recipients,
                          long size, BodySource body) {
    public Transaction {
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a transaction needs a recipient");
        }
    }
}
