package dev.relay.dist.cli;

import dev.relay.client.routing.RouteTable;
import dev.relay.client.routing.RoutingSettings;
import dev.relay.dist.ops.Json;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code relayctl routes}: the effective route table and the rules around it. */
@Command(name = "routes", mixinStandardHelpOptions = true,
        description = {"Show the effective route table.",
                "In a running relay: the table it uses now (after the last reload). The lines are tried for",
                "a domain in this order: exact domain, .parent domains (nearest first), then *. Source routes",
                "and local domains come before the table; domains without a line go by DNS MX."})
final class RoutesCommand implements Callable<Integer> {

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "One JSON object, for scripts.")
    boolean json;

    @Override
    public Integer call() {
        CliRouting routing = parent.context().routing();
        RoutingSettings s = routing.router().settings();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(json(routing));
            out.flush();
            return ExitCodes.OK;
        }
        out.println("source routes: " + s.sourceRouteMode().name().toLowerCase(Locale.ROOT)
                + "    our names: " + String.join(", ", ourNames(s)));
        out.println("local domains: " + (s.localDomains().isEmpty() ? "(only our names)"
                : String.join(", ", new java.util.TreeSet<>(s.localDomains()))) + " -> local Maildir");
        out.println("route table:   " + routing.tableSource().orElse("(none: routes_file = none)")
                + " (" + routing.table().entries().size() + (routing.table().entries().size() == 1 ? " line)" : " lines)"));
        if (!routing.table().entries().isEmpty()) {
            int w = Math.max(8, routing.table().entries().stream().mapToInt(e -> e.pattern().length()).max().orElse(0));
            int h = Math.max(8, routing.table().entries().stream().mapToInt(e -> e.nextHop().toString().length()).max().orElse(0));
            out.printf("  %-" + w + "s  %-" + h + "s  %s%n", "PATTERN", "NEXT HOP", "LINE");
            for (RouteTable.Entry e : routing.table().entries()) {
                out.printf("  %-" + w + "s  %-" + h + "s  %s%n", e.pattern(), e.nextHop(), e.location());
            }
        }
        if (routing.table().entries().stream().noneMatch(e -> e.pattern().equals("*"))) {
            out.println("anything else: DNS MX of the domain (no * line)");
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The host name first, then the aliases in order. */
    static java.util.List<String> ourNames(RoutingSettings s) {
        java.util.List<String> names = new java.util.ArrayList<>();
        names.add(s.hostName());
        new java.util.TreeSet<>(s.aliases()).forEach(names::add);
        return names;
    }

    private static String json(CliRouting routing) {
        RoutingSettings s = routing.router().settings();
        StringBuilder b = new StringBuilder("{");
        b.append("\"source_routes\":").append(Json.string(s.sourceRouteMode().name().toLowerCase(Locale.ROOT)));
        b.append(",\"our_names\":[").append(ourNames(s).stream().map(Json::string).collect(Collectors.joining(","))).append(']');
        b.append(",\"local_domains\":[").append(new java.util.TreeSet<>(s.localDomains()).stream().map(Json::string).collect(Collectors.joining(",")))
                .append(']');
        b.append(",\"route_table\":").append(routing.tableSource().map(Json::string).orElse("null"));
        b.append(",\"routes\":[");
        b.append(routing.table().entries().stream().map(e -> "{\"pattern\":" + Json.string(e.pattern())
                + ",\"next_hop\":" + Json.string(e.nextHop().destination())
                + ",\"mx_lookup\":" + e.nextHop().mxLookup()
                + ",\"tls\":" + (e.nextHop().tls() == null ? "null" : Json.string(e.nextHop().tls().configName()))
                + ",\"auth\":" + Json.string(e.nextHop().auth())
                + ",\"concurrency\":" + e.nextHop().concurrency()
                + ",\"line\":" + e.line() + "}").collect(Collectors.joining(",")));
        return b.append("]}").toString();
    }
}
