package dev.relay.server.policy;

import dev.relay.mail.Mailbox;
import dev.relay.mail.Path;
import dev.relay.mail.SourceRouteMode;
import dev.relay.server.ServerSettings;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Who may relay where (issue 3 section 5; RFC 5321 section 7.9). Decides for one forward-path:
 *
 * <ul>
 * <li>A source route is a relay request (RFC 821 section 3.6): our own names at its front are
 *     skipped, and the first host left is checked like a final domain. When only our names are
 *     in the route, the mailbox decides. In {@link SourceRouteMode#REJECT} mode any route is
 *     refused (RFC 5321 section 3.6.1 allows declining).</li>
 * <li>A local domain is accepted from anyone, and so is a relay domain ({@code example.org}
 *     exactly, or {@code .example.org} for its subdomains).</li>
 * <li>Anything else, and every address literal, needs a client that may relay: one in the
 *     trusted networks (or, later, an authenticated one).</li>
 * <li>{@code %} and {@code !} in a local part are plain characters: they never route.</li>
 * </ul>
 */
public final class RelayPolicy {

    /** The outcome for one recipient. */
    public enum Decision {
        /** For local delivery: the mailbox's domain is a local domain (or {@code <postmaster>}). */
        LOCAL,
        /** Accepted for relaying. */
        RELAY,
        /** 554 5.7.1 Relay access denied. */
        RELAY_DENIED,
        /** 550 5.7.1: source routes are refused by configuration. */
        ROUTE_REFUSED
    }

    private final Set<String> ourNames;
    private final Set<String> localDomains;
    private final Set<String> relayDomains;
    private final SourceRouteMode mode;

    public RelayPolicy(ServerSettings settings) {
        this.ourNames = settings.ourNames();
        this.localDomains = settings.localDomains();
        this.relayDomains = settings.relayDomains();
        this.mode = settings.sourceRouteMode();
    }

    /**
     * Decides for {@code forwardPath}.
     *
     * @param clientMayRelay the client is in a trusted network or authenticated
     */
    public Decision decide(Path forwardPath, boolean clientMayRelay) {
        if (forwardPath.hasRoute()) {
            if (mode == SourceRouteMode.REJECT) {
                return Decision.ROUTE_REFUSED;
            }
            List<String> route = forwardPath.route();
            int first = 0;
            // A local domain at the front of a route names this host as well (its mail is delivered
            // here): <@ourdomain:u@outside.example> is a relay request to outside.example (issue 6 section 4).
            while (first < route.size() && isUs(normalize(route.get(first)))) {
                first++;
            }
            if (first < route.size()) {
                return mayGoTo(route.get(first), clientMayRelay) ? Decision.RELAY : Decision.RELAY_DENIED;
            }
        }
        Mailbox mailbox = forwardPath.mailbox();
        if (mailbox.domain() == null) {
            return Decision.LOCAL; // <postmaster> (RFC 5321 4.1.1.3)
        }
        if (mailbox.isAddressLiteral()) {
            return clientMayRelay ? Decision.RELAY : Decision.RELAY_DENIED;
        }
        String domain = mailbox.normalizedDomain();
        if (localDomains.contains(domain)) {
            return Decision.LOCAL;
        }
        return clientMayRelay || isRelayDomain(domain) ? Decision.RELAY : Decision.RELAY_DENIED;
    }

    private boolean isUs(String host) {
        return ourNames.contains(host) || localDomains.contains(host);
    }

    private boolean mayGoTo(String host, boolean clientMayRelay) {
        if (host.startsWith("[") || host.startsWith("#")) {
            return clientMayRelay; // address literals as destinations need a trusted client
        }
        String h = normalize(host);
        return clientMayRelay || localDomains.contains(h) || isRelayDomain(h);
    }

    private boolean isRelayDomain(String domain) {
        if (relayDomains.contains(domain)) {
            return true;
        }
        for (int dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
            if (relayDomains.contains(domain.substring(dot))) {
                return true;
            }
        }
        return false;
    }

    private static String normalize(String host) {
        String l = host.toLowerCase(Locale.ROOT);
        return l.endsWith(".") ? l.substring(0, l.length() - 1) : l;
    }
}
