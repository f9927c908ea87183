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
        description = {"Print the version of the running relay and how relayctl reached it.",
                "When no relay answers: relayctl's own version, where it looked (admin socket, data folder,"
                        + " configuration), and exit code 1."})
final class VersionCommand implements Callable<Integer> {

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        CliContext context = parent.context();
        out.println(new Version().getVersion()[0]);
        out.flush();
        if (!context.relayRunning()) {
            // asked about the relay, and there is none: a failure of what was asked, never exit 0
            throw new CliException(context.where());
        }
        out.println(context.where());
        out.flush();
        return ExitCodes.OK;
    }
}
