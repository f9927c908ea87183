package dev.relay.queue.admin;

import dev.relay.queue.Envelope;
import java.util.List;

/** {@code relayctl show ID}: the envelope, the header section of the body (as text), recipients and history. */
public record MessageDetail(MessageView view, Envelope envelope, String headers, List<Attempt> history) {
    public MessageDetail {
        history = List.copyOf(history);
    }
}
