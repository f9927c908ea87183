package dev.relay.client.routing;

import dev.relay.mail.Mailbox;
import dev.relay.mail.Path;
import dev.relay.mail.SourceRouteMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Decides where each recipient goes next, in the order of DESIGN.md:
 *
 * <ol>
 * <li>A source route ({@code <@a,@b:u@c>}, modes {@code rfc821} and {@code honor}): our own names
 * (host name and aliases, compared case-insensitively without a trailing dot) are removed from
 * the front; if hosts are left, the first one is the next host, and the message MUST go to it,
 * never to a later one (RFC 5321 appendix F.2, no shortcut). In {@code strip} mode the route is
 * dropped and the mailbox's domain decides (RFC 5321 section 3.6.1).</li>
 * <li>A local domain (or one of our names): the local Maildir.</li>
 * <li>The route table: exact domain, {@code .parent}, then {@code *}.</li>
 * <li>DNS: MX of the domain (see {@link TargetResolver}).</li>
 * </ol>
 *
 * <p>The router is pure: it does no I/O; {@link #explain} adds the DNS answer for {@code relayctl route}.
 */
public final class Router {

    private final RoutingSettings settings;
    private final RouteTable table;
    private final Set<String> ourNames;

    public Router(RoutingSettings settings, RouteTable table) {
        this.settings = settings;
        this.table = table;
        this.ourNames = settings.ourNames();
    }

    public RoutingSettings settings() {
        return settings;
    }

    /** True when {@code name} is our host name or an alias. */
    public boolean isOurName(String name) {
        return ourNames.contains(Domains.normalize(name));
    }

    /** True when mail for {@code domain} is delivered locally. */
    public boolean isLocalDomain(String domain) {
        String d = Domains.normalize(domain);
        return ourNames.contains(d) || settings.localDomains().contains(d);
    }

    /** Where a forward-path, exactly as received, goes next. */
    public Decision route(Path forwardPath) {
        Mailbox mailbox = forwardPath.mailbox();
        List<String> removed = new ArrayList<>();
        Path path = forwardPath;
        if (settings.sourceRouteMode() == SourceRouteMode.RFC821 || settings.sourceRouteMode() == SourceRouteMode.HONOR) {
            // A local domain at the front of the route names this host too, as the receiver's relay
            // policy decides it (its mail is delivered here): <@ourdomain:u@x> goes on to x's next hop,
            // never back to ourdomain's MX (which may be us).
            while (path.firstHost().isPresent() && isLocalDomain(path.firstHost().get())) {
                removed.add(path.firstHost().get());
                path = path.withoutFirstHost();
            }
            Optional<String> next = path.firstHost();
            if (next.isPresent()) {
                String host = Domains.normalize(next.get());
                String why = "source route (" + settings.sourceRouteMode().name().toLowerCase(java.util.Locale.ROOT)
                        + " mode): next host " + host
                        + (removed.isEmpty() ? "" : " after removing our name(s) " + String.join(",", removed));
                return relayTo(host, path, why);
            }
        } else {
            path = forwardPath.withoutRoute();
            if (forwardPath.hasRoute()) {
                removed.add("route ignored (strip mode)");
            }
        }
        String prefix = removed.isEmpty() ? "" : (settings.sourceRouteMode() == SourceRouteMode.STRIP
                ? "source route ignored (strip mode); "
                : "source route ended at us (" + String.join(",", removed) + "); ");
        if (mailbox.domain() == null) {
            // <postmaster> without domain (RFC 5321 section 4.1.1.3): ours.
            return new Decision.Local(mailbox, prefix + "postmaster without domain is local");
        }
        String domain = Domains.normalize(mailbox.domain());
        if (isLocalDomain(domain)) {
            return new Decision.Local(mailbox, prefix + "local domain " + domain);
        }
        return relayTo(domain, path, prefix.isEmpty() ? "domain " + domain : prefix + "domain " + domain);
    }

    private Decision relayTo(String domainOrHost, Path forwardPath, String why) {
        if (domainOrHost.startsWith("[") && domainOrHost.endsWith("]")) {
            String literal = domainOrHost.substring(1, domainOrHost.length() - 1);
            if (literal.regionMatches(true, 0, "IPv6:", 0, 5)) {
                literal = literal.substring(5);
            }
            return new Decision.Relay(NextHop.direct(literal, NextHop.SMTP_PORT), forwardPath, null,
                    why + ": address literal, sent to that address");
        }
        Optional<RouteTable.Entry> e = table.lookup(domainOrHost);
        if (e.isPresent()) {
            RouteTable.Entry entry = e.get();
            return new Decision.Relay(entry.nextHop(), forwardPath, entry,
                    why + ": route table " + entry.location() + " (" + entry.pattern() + " -> " + entry.nextHop() + ")");
        }
        return new Decision.Relay(NextHop.mx(domainOrHost), forwardPath, null,
                why + ": no route-table entry, DNS MX lookup of " + domainOrHost);
    }

    /**
     * The reverse-path to send with a relayed recipient whose forward-path arrived as
     * {@code receivedForwardPath}:
     *
     * <ul>
     * <li>{@code rfc821}: our host name in front only when that forward-path carried a source route,
     * which we acted on (RFC 821 section 3.6: "the SMTP adds its own identifier to the
     * reverse-path" as it moves the route's elements). Mail without a route leaves with its
     * reverse-path exactly as received (RFC 5321 section 3.6.1: "When source routes are not used
     * ... the reverse-path at the time of delivery will simply be the address that appeared in the
     * MAIL command"). The null path stays null (RFC 5321 section 4.5.5).</li>
     * <li>{@code honor}: unchanged (RFC 5321 appendix C).</li>
     * <li>{@code strip}: without its route, as the forward-path (routes are ignored both ways, as
     * Postfix does: RFC 5321 section 3.6.1 lets a server ignore them).</li>
     * </ul>
     *
     * Recipients of one message may so need different reverse-paths: the delivery engine sends them
     * in separate transactions.
     */
    public Path outgoingReversePath(Path reversePath, Path receivedForwardPath) {
        if (reversePath.isNull()) {
            return reversePath;
        }
        if (settings.sourceRouteMode() == SourceRouteMode.RFC821) {
            return receivedForwardPath.hasRoute() ? reversePath.withHostPrepended(settings.hostName()) : reversePath;
        }
        if (settings.sourceRouteMode() == SourceRouteMode.STRIP) {
            return reversePath.withoutRoute();
        }
        return reversePath;
    }

    /** {@code relayctl route ADDRESS}: the decision, the reason, and for a relay what DNS says. */
    public RouteExplanation explain(Path forwardPath, TargetResolver resolver) {
        Decision d = route(forwardPath);
        Resolution r = d instanceof Decision.Relay relay && resolver != null ? resolver.resolve(relay.nextHop()) : null;
        return new RouteExplanation(forwardPath, d, r);
    }
}
