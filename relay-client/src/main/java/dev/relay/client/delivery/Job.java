package dev.relay.client.delivery;

import dev.relay.mail.Mailbox;
import dev.relay.mail.Path;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import java.util.ArrayList;
import java.util.List;

/** Recipients of one message for one destination: one SMTP transaction (or one local delivery run). */
record Job(ClaimedMessage message, Path reversePath, List<Item> items) {

    /** One recipient of a job: the forward-path to send ({@code sentAs}), or the local mailbox. */
    record Item(ClaimedRecipient recipient, Path sentAs, Mailbox mailbox) {
    }

    /** The queue's ids of the recipients. */
    List<Long> recipientIds() {
        List<Long> ids = new ArrayList<>(items.size());
        for (Item item : items) {
            ids.add(item.recipient().id());
        }
        return ids;
    }
}
