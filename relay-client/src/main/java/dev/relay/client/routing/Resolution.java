package dev.relay.client.routing;

import dev.relay.mail.SmtpReply;
import java.util.List;

/** What resolving a next hop gave: addresses to try in order, or a failure as an SMTP reply (4xx: try later, 5xx: bounce). */
public sealed interface Resolution {

    /** Addresses in the order to try them. Never empty. */
    record Targets(List<Target> targets) implements Resolution {
        public Targets {
            targets = List.copyOf(targets);
            if (targets.isEmpty()) {
                throw new IllegalArgumentException("no targets");
            }
        }
    }

    /** No address: {@code reply} says why and whether it is temporary. */
    record Failure(SmtpReply reply) implements Resolution {
    }
}
