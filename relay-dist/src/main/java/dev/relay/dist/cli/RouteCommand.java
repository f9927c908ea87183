package dev.relay.dist.cli;

import dev.relay.client.routing.Decision;
import dev.relay.client.routing.Resolution;
import dev.relay.client.routing.RouteExplanation;
import dev.relay.dist.ops.Json;
import dev.relay.client.routing.TargetResolver;
import dev.relay.mail.AddressException;
import dev.relay.mail.Path;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code relayctl route ADDRESS}: where mail for an address goes next, and why (like {@code exim -bt}). */
@Command(name = "route", mixinStandardHelpOptions = true,
        description = {"Show where mail for an address goes next, and why.",
                "The rules in order: a source route (<@hostA,@hostB:user@hostC>), a local domain (Maildir),",
                "the route table (which line), else DNS MX. For a next hop the DNS answer follows (the",
                "addresses the forwarder would try, in order), unless --no-dns is given."})
final class RouteCommand implements Callable<Integer> {

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "ADDRESS",
            description = "A recipient as in RCPT TO, with or without <>: user@example.org, '<@a.example:u@b.example>'.")
    String address;

    @Option(names = "--no-dns", description = "Do not ask DNS: show only the decision.")
    boolean noDns;

    @Option(names = "--json", description = "One JSON object on one line, for scripts.")
    boolean json;

    @Override
    public Integer call() {
        Path path = parse(address);
        CliRouting routing = parent.context().routing();
        TargetResolver resolver = noDns || routing.resolver() == null ? null : routing.resolver().get();
        RouteExplanation explanation = routing.router().explain(path, resolver);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            String dns = resolver != null ? null : noDns ? "not asked (--no-dns)" : "not available";
            out.println(json(explanation, dns));
            out.flush();
            return ExitCodes.OK;
        }
        explanation.lines().forEach(out::println);
        if (resolver == null && explanation.resolution() == null
                && explanation.decision() instanceof Decision.Relay) {
            out.println("dns:      " + (noDns ? "not asked (--no-dns)" : "not available"));
        }
        out.flush();
        return ExitCodes.OK;
    }

    /**
     * {@code {"address", "delivery" ("local" or "relay"), "mailbox" (local), "next_hop", "rcpt_to",
     * "why", "targets": [...], "dns_error", "dns"}}; absent parts are null.
     */
    static String json(RouteExplanation e, String dnsNote) {
        StringBuilder b = new StringBuilder("{\"address\":").append(Json.string(e.address().toString()));
        String mailbox = null;
        String nextHop = null;
        String rcptTo = null;
        if (e.decision() instanceof Decision.Local l) {
            mailbox = l.mailbox().toString();
        } else if (e.decision() instanceof Decision.Relay r) {
            nextHop = r.nextHop().toString();
            rcptTo = r.forwardPath().toString();
        }
        b.append(",\"delivery\":").append(Json.string(e.decision() instanceof Decision.Local ? "local" : "relay"));
        b.append(",\"mailbox\":").append(Json.string(mailbox));
        b.append(",\"next_hop\":").append(Json.string(nextHop));
        b.append(",\"rcpt_to\":").append(Json.string(rcptTo));
        b.append(",\"why\":").append(Json.string(e.decision().reason()));
        b.append(",\"targets\":");
        if (e.resolution() instanceof Resolution.Targets t) {
            b.append('[').append(t.targets().stream().map(x -> Json.string(x.toString()))
                    .collect(Collectors.joining(","))).append(']');
        } else {
            b.append("null");
        }
        b.append(",\"dns_error\":").append(e.resolution() instanceof Resolution.Failure f
                ? Json.string(f.reply().toString()) : "null");
        b.append(",\"dns\":").append(Json.string(e.decision() instanceof Decision.Relay && e.resolution() == null
                ? dnsNote : null));
        return b.append('}').toString();
    }

    private Path parse(String text) {
        String t = text.strip();
        String bracketed = t.startsWith("<") ? t : "<" + t + ">";
        try {
            return Path.parseForwardPath(bracketed, true);
        } catch (AddressException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "'" + text + "' is not an address: " + e.reason() + " (write user@domain or <@relay:user@domain>)");
        }
    }
}
