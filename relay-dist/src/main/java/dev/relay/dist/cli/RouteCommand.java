package dev.relay.dist.cli;

import dev.relay.client.routing.RouteExplanation;
import dev.relay.client.routing.TargetResolver;
import dev.relay.mail.AddressException;
import dev.relay.mail.Path;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
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

    @Override
    public Integer call() {
        Path path = parse(address);
        CliRouting routing = parent.context().routing();
        TargetResolver resolver = noDns || routing.resolver() == null ? null : routing.resolver().get();
        RouteExplanation explanation = routing.router().explain(path, resolver);
        PrintWriter out = spec.commandLine().getOut();
        explanation.lines().forEach(out::println);
        if (resolver == null && explanation.resolution() == null
                && explanation.decision() instanceof dev.relay.client.routing.Decision.Relay) {
            out.println("dns:      " + (noDns ? "not asked (--no-dns)" : "not available"));
        }
        out.flush();
        return ExitCodes.OK;
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
