package dev.relay.client.routing;

import dev.relay.mail.Mailbox;
import dev.relay.mail.Path;

/** Where one recipient goes next, and why ({@link #reason()} is what {@code relayctl route} prints). */
public sealed interface Decision {

    /** Why, in words: the rule and, for the route table, its file and line. */
    String reason();

    /** Deliver to the local Maildir of {@code mailbox}. */
    record Local(Mailbox mailbox, String reason) implements Decision {
    }

    /**
     * Send to {@code nextHop} with RCPT TO {@code forwardPath} (our names removed from its route).
     *
     * @param rule the route-table entry that chose the next hop, or null for DNS
     */
    record Relay(NextHop nextHop, Path forwardPath, RouteTable.Entry rule, String reason) implements Decision {
    }
}
