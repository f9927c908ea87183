package dev.relay.client.transport;

import java.util.List;

/**
 * The result of one transaction: one {@link RecipientResult} per recipient, in the order given.
 *
 * @param recipients      per recipient
 * @param dsnOffered      the next hop offered DSN (RFC 3461), so DSN parameters were passed on; when it
 *                        did not, a NOTIFY=SUCCESS recipient that was delivered gets a "relayed" DSN
 */
public record TransactionResult(List<RecipientResult> recipients, boolean dsnOffered) {
    public TransactionResult {
        recipients = List.copyOf(recipients);
    }
}
