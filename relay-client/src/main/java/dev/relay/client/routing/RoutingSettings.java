package dev.relay.client.routing;

import dev.relay.mail.SourceRouteMode;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * The routing settings.
 *
 * @param hostName        our host name: put in front of the reverse-path in {@code rfc821} mode, in the
 *                        EHLO we send and in bounces ({@code relay.hostname})
 * @param aliases         other names of ours: removed from the front of a source route like the host
 *                        name ({@code relay.aliases}, default none)
 * @param localDomains    domains delivered to the local Maildirs ({@code local.domains}, default none);
 *                        our host name and aliases are always local
 * @param sourceRouteMode what a source-routed forward-path means ({@code relay.source-routes}, default rfc821)
 */
public record RoutingSettings(String hostName, Set<String> aliases, Set<String> localDomains,
                              SourceRouteMode sourceRouteMode) {

    public RoutingSettings {
        Objects.requireNonNull(hostName, "hostName");
        Objects.requireNonNull(sourceRouteMode, "sourceRouteMode");
        hostName = Domains.normalize(hostName);
        aliases = normalized(aliases);
        localDomains = normalized(localDomains);
    }

    /** Defaults for a host name: no aliases, no local domains but our names, rfc821 source routes. */
    public static RoutingSettings defaults(String hostName) {
        return new RoutingSettings(hostName, Set.of(), Set.of(), SourceRouteMode.RFC821);
    }

    /** Our host name and aliases, normalised. */
    public Set<String> ourNames() {
        Set<String> s = new LinkedHashSet<>();
        s.add(hostName);
        s.addAll(aliases);
        return Set.copyOf(s);
    }

    private static Set<String> normalized(Set<String> names) {
        Set<String> s = new LinkedHashSet<>();
        for (String n : names) {
            s.add(Domains.normalize(n));
        }
        return Set.copyOf(s);
    }
}
