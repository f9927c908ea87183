package dev.relay.queue;

import java.time.Instant;

/**
 * A recipient handed to the forwarder under a lease.
 *
 * @param id                 its row id, to report its outcome
 * @param recipient          forward-path (as received) and parameters
 * @param attempts           attempts made so far
 * @param firstAttempt       time of its first attempt, or null
 * @param lastNextHop        the next hop it was last tried at, or null
 * @param adminBounceReason  non-null when an administrator asked to bounce it ({@code relayctl bounce}):
 *                           the forwarder fails it with this reason instead of delivering
 * @param delayNoticeSent    a DELAY DSN was already sent for it
 */
public record ClaimedRecipient(long id, Recipient recipient, int attempts, Instant firstAttempt,
                               String lastNextHop, String adminBounceReason, boolean delayNoticeSent) {
}
