package dev.relay.queue;

import dev.relay.mail.MailParameters;
import dev.relay.mail.Path;
import java.util.List;

/**
 * The envelope of a message as the receiver accepted it: paths as received (the forwarder, not
 * the receiver, applies the source-route mode), parameters, recipients and origin.
 */
public record Envelope(Path reversePath, MailParameters parameters, List<Recipient> recipients, Origin origin) {
    public Envelope {
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("an envelope needs at least one recipient");
        }
    }
}
