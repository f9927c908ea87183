package dev.relay.queue;

/** The outcome of one claimed recipient, by its row id ({@link ClaimedRecipient#id()}). */
public record RecipientOutcome(long recipientId, Outcome outcome) {
}
