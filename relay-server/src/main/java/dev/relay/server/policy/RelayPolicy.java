package dev.relay.server.policy;

import dev.relay.mail.Mailbox;
import dev.relay.mail.Path;
import dev.relay.mail.SourceRouteMode;
import dev.relay.server.ServerSettings;
import java.util.Locale;
import java.util.Set;

/**
 * Who may relay where (RFC 5321 section 7.9; every host of a source route counts, section 3.6.1). Decides for one forward-path.
 *
 * <p>A client that may relay (trusted network, or authenticated) may send anywhere. For every
 * other client a recipient is accepted only when <em>every</em> host it names is ours to accept:
 *
 * <ul>
 * <li>each host of a source route (RFC 821 section 3.6: a route is a relay request) must be one of
 *     our names, a local domain or a relay domain, and so must the mailbox's domain. Checking only
 *     the first host let {@code <@relay.domain:victim@outside.example>} through: in {@code strip}
 *     mode it went straight to the outside, in {@code rfc821}/{@code honor} mode to the relay
 *     domain's next hop, which usually trusts us. The rule is the same in every mode (the client
 *     asked for those hosts, even when {@code strip} then ignores them);</li>
 * <li>a local part with a routing operator ({@code %}, {@code !}, or an {@code @} inside quotes:
 *     {@code u%outside@ours}, {@code outside!u@ours}, {@code "u@outside"@ours}) is a relay request
 *     too, as Postfix reads it with {@code allow_untrusted_routing = no}; it is refused whatever
 *     the domain (a relay domain's next hop may honour the percent hack);</li>
 * <li>an address literal as the destination is never ours to accept.</li>
 * </ul>
 *
 * <p>Every such refusal is {@link Decision#RELAY_DENIED}. In {@link SourceRouteMode#REJECT} mode
 * any route is refused for every client (RFC 5321 section 3.6.1 allows declining).
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
        if (forwardPath.hasRoute() && mode == SourceRouteMode.REJECT) {
            return Decision.ROUTE_REFUSED;
        }
        Mailbox mailbox = forwardPath.mailbox();
        if (!clientMayRelay && !everyHostOursToAccept(forwardPath)) {
            return Decision.RELAY_DENIED;
        }
        // In rfc821/honor mode a route host that is not us is where the message goes next: relaying,
        // whatever the mailbox's domain. In strip mode the route is ignored (the forwarder drops it).
        if (mode != SourceRouteMode.STRIP) {
            for (String host : forwardPath.route()) {
                if (!isUs(normalize(host))) {
                    return Decision.RELAY;
                }
            }
        }
        if (mailbox.domain() == null) {
            return Decision.LOCAL; // <postmaster> (RFC 5321 4.1.1.3)
        }
        if (mailbox.isAddressLiteral()) {
            return Decision.RELAY;
        }
        return localDomains.contains(mailbox.normalizedDomain()) ? Decision.LOCAL : Decision.RELAY;
    }

    /**
     * The rule for a client that may not relay: every host of the route, and the mailbox's domain,
     * is one of our names, a local domain or a relay domain; the mailbox is no address literal and
     * its local part has no routing operator.
     */
    private boolean everyHostOursToAccept(Path forwardPath) {
        for (String host : forwardPath.route()) {
            if (!isUs(normalize(host)) && !isRelayDomain(normalize(host))) {
                return false;
            }
        }
        Mailbox mailbox = forwardPath.mailbox();
        if (hasRoutingOperator(mailbox.localPart())) {
            return false;
        }
        if (mailbox.domain() == null) {
            return true; // <postmaster> (RFC 5321 4.1.1.3)
        }
        if (mailbox.isAddressLiteral()) {
            return false; // address literals as destinations need a client that may relay
        }
        String domain = mailbox.normalizedDomain();
        return localDomains.contains(domain) || isRelayDomain(domain);
    }

    /**
     * True when {@code localPart} holds a routing operator of the old mail networks: {@code %} (the
     * percent hack), {@code !} (UUCP bang paths) or {@code @} (possible only inside quotes). Such a
     * local part asks the receiving host to route the mail on; it never names a local mailbox.
     */
    public static boolean hasRoutingOperator(String localPart) {
        return localPart.indexOf('%') >= 0 || localPart.indexOf('!') >= 0 || localPart.indexOf('@') >= 0;
    }

    /** A local domain at the front of a route names this host as well (its mail is delivered here). */
    private boolean isUs(String host) {
        return ourNames.contains(host) || localDomains.contains(host);
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
