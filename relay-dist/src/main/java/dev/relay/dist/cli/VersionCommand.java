package dev.relay.dist.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code relayctl version}: the version of the relay that answers (over the admin socket) or of
 * relayctl itself when no relay runs, and which of the two it is. {@code relayctl --version}
 * prints relayctl's own version without asking anyone.
 */
@Command(name = "version", mixinStandardHelpOptions = true,
        description = {"Print the version of the running relay.",
                "When the relay is stopped, relayctl's own; then how relayctl reached the queue."})
final class VersionCommand implements Callable<Integer> {

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        out.println(new Version().getVersion()[0]);
        out.println(parent.context().where());
        out.flush();
        return ExitCodes.OK;
    }
}
