package dev.relay.client.routing;

import java.util.ArrayList;
import java.util.List;

/**
 * The answer to "where does this address go, and why" ({@code relayctl route ADDRESS}).
 *
 * @param address    the forward-path asked about
 * @param decision   the routing decision with its reason
 * @param resolution for a relay, what DNS (or the address literal) gave; null for local delivery
 */
public record RouteExplanation(dev.relay.mail.Path address, Decision decision, Resolution resolution) {

    /** Human-readable lines, e.g. {@code next hop: example.org:25} then {@code why: ...}. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("address:  " + address);
        if (decision instanceof Decision.Local local) {
            out.add("delivery: local Maildir of " + local.mailbox().localPart());
        } else if (decision instanceof Decision.Relay relay) {
            out.add("next hop: " + relay.nextHop());
            out.add("rcpt to:  " + relay.forwardPath());
        }
        out.add("why:      " + decision.reason());
        if (resolution instanceof Resolution.Targets t) {
            for (Target target : t.targets()) {
                out.add("target:   " + target);
            }
        } else if (resolution instanceof Resolution.Failure f) {
            out.add("dns:      " + f.reply());
        }
        return out;
    }

    @Override
    public String toString() {
        return String.join("\n", lines());
    }
}
