package dev.relay.client.routing;

import dev.relay.mail.SmtpReply;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Turns a {@link NextHop} into addresses, following RFC 5321 section 5.1:
 *
 * <ul>
 * <li>{@code [host]:port}: the host itself (an IP address needs no DNS).</li>
 * <li>{@code host:port}: the MX records of {@code host} by preference, equal preferences shuffled;
 * each exchange's A then AAAA addresses. No MX record: the host itself is the implicit MX. A
 * "null MX" ({@code 0 .}, RFC 7505) means the domain takes no mail: 5.1.10. If our own name is in
 * the list, it and every MX of equal or higher preference are dropped (section 5.1), and if
 * nothing is left the mail would loop: 5.4.6.</li>
 * <li>NXDOMAIN of the domain is permanent (5.1.2); a temporary DNS failure defers (4.4.3).</li>
 * </ul>
 */
public final class TargetResolver {

    private final Dns dns;
    private final Set<String> ourNames;
    private final Random random;
    private final int maxMxHosts;

    /**
     * @param dns        the DNS lookups; may be null when every route is {@code [address]:port}
     * @param ourNames   our host name and aliases (normalised), to detect MX loops
     * @param random     shuffles equal preferences
     * @param maxMxHosts how many MX hosts are tried per delivery attempt (Postfix smtp_mx_address_limit-like)
     */
    public TargetResolver(Dns dns, Set<String> ourNames, Random random, int maxMxHosts) {
        this.dns = dns;
        this.ourNames = Set.copyOf(ourNames);
        this.random = random;
        this.maxMxHosts = maxMxHosts;
    }

    /** Resolves a next hop; never throws. */
    public Resolution resolve(NextHop hop) {
        InetAddress literal = NetUtil.createInetAddressFromIpAddressString(hop.host());
        if (literal != null) {
            return new Resolution.Targets(List.of(new Target(hop.host(), literal, hop.port())));
        }
        if (dns == null) {
            return new Resolution.Failure(SmtpReply.of(451, "4.4.3", "no DNS configured to resolve " + hop.host()));
        }
        try {
            if (!hop.mxLookup()) {
                return targetsOf(hop.host(), hop.port());
            }
            List<MxRecord> mx = dns.mx(hop.host());
            if (mx.isEmpty()) {
                // RFC 5321 section 5.1: no MX, the domain is its own implicit MX.
                return targetsOf(hop.host(), hop.port());
            }
            if (mx.size() == 1 && (mx.get(0).exchange().isEmpty() || mx.get(0).exchange().equals("."))) {
                return new Resolution.Failure(SmtpReply.of(556, "5.1.10",
                        "Domain " + hop.host() + " does not accept mail (null MX, RFC 7505)"));
            }
            List<MxRecord> ordered = order(mx);
            int ours = -1;
            for (MxRecord r : ordered) {
                if (ourNames.contains(Domains.normalize(r.exchange()))) {
                    ours = r.preference();
                    break;
                }
            }
            if (ours >= 0) {
                int limit = ours;
                ordered.removeIf(r -> r.preference() >= limit);
                if (ordered.isEmpty()) {
                    return new Resolution.Failure(SmtpReply.of(554, "5.4.6",
                            "mail for " + hop.host() + " loops back to myself"));
                }
            }
            List<Target> targets = new ArrayList<>();
            String temporary = null;
            int hosts = 0;
            for (MxRecord r : ordered) {
                if (hosts++ >= maxMxHosts) {
                    break;
                }
                try {
                    for (InetAddress a : dns.addresses(r.exchange())) {
                        targets.add(new Target(r.exchange(), a, hop.port()));
                    }
                } catch (DnsException e) {
                    if (e.kind() == DnsException.Kind.TEMPORARY) {
                        temporary = e.getMessage();
                    }
                }
            }
            if (!targets.isEmpty()) {
                return new Resolution.Targets(targets);
            }
            return temporary != null
                    ? new Resolution.Failure(SmtpReply.of(451, "4.4.3", temporary))
                    : new Resolution.Failure(SmtpReply.of(554, "5.4.4",
                            "no address for any MX host of " + hop.host()));
        } catch (DnsException e) {
            return failure(e);
        }
    }

    private Resolution targetsOf(String host, int port) throws DnsException {
        List<InetAddress> addresses = dns.addresses(host);
        if (addresses.isEmpty()) {
            return new Resolution.Failure(SmtpReply.of(550, "5.1.2", "no A or AAAA record for " + host));
        }
        List<Target> t = new ArrayList<>();
        for (InetAddress a : addresses) {
            t.add(new Target(host, a, port));
        }
        return new Resolution.Targets(t);
    }

    private static Resolution failure(DnsException e) {
        return e.kind() == DnsException.Kind.NOT_FOUND
                ? new Resolution.Failure(SmtpReply.of(550, "5.1.2", e.getMessage()))
                : new Resolution.Failure(SmtpReply.of(451, "4.4.3", e.getMessage()));
    }

    /** By preference; records of equal preference in random order (RFC 5321 section 5.1). */
    private List<MxRecord> order(List<MxRecord> mx) {
        List<MxRecord> shuffled = new ArrayList<>(mx);
        Collections.shuffle(shuffled, random);
        shuffled.sort(java.util.Comparator.comparingInt(MxRecord::preference));
        return shuffled;
    }
}
