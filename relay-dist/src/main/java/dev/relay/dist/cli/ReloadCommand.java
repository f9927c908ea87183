package dev.relay.dist.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code relayctl reload}: like {@code postfix reload} or SIGHUP: re-read the route table and relay domains. */
@Command(name = "reload", mixinStandardHelpOptions = true,
        description = {"Re-read the route table and relay_domains (the same as SIGHUP).",
                "Connections and deliveries in progress are not interrupted. Other keys need a restart."})
final class ReloadCommand implements Callable<Integer> {

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        String what = parent.context().reload();
        spec.commandLine().getOut().println("reload: " + what);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
