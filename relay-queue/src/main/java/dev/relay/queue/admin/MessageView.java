package dev.relay.queue.admin;

import dev.relay.queue.QueueId;
import dev.relay.mail.Path;
import java.time.Instant;
import java.util.List;

/** One line of {@code relayctl queue}: a message and its recipients. */
public record MessageView(QueueId id, long size, Instant arrival, Path reversePath, List<RecipientView> recipients) {
    public MessageView {
        recipients = List.copyOf(recipients);
    }
}
