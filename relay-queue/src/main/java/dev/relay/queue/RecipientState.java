package dev.relay.queue;

/** The state of one recipient of a queued message. */
public enum RecipientState {
    /** Waiting for its first attempt. */
    QUEUED,
    /** Tried, failed temporarily; waits until its next attempt time. */
    DEFERRED,
    /** Final: accepted by the next hop or delivered locally. */
    DELIVERED,
    /** Final: failed permanently (or expired, or bounced by the administrator); a DSN was sent if due. */
    FAILED,
    /** Put on hold by the administrator: never claimed until released. */
    HELD;

    /** Delivered or failed: nothing more will happen to it. */
    public boolean isFinal() {
        return this == DELIVERED || this == FAILED;
    }
}
