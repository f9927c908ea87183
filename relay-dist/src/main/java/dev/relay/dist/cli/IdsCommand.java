package dev.relay.dist.cli;

import dev.relay.queue.QueueId;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Parameters;

/** The shape of the commands that act on queue ids (hold, release, delete, bounce). */
abstract class IdsCommand implements Callable<Integer> {

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "ID", arity = "1..*", converter = Converters.QueueIdConverter.class, description = "Queue ids.")
    List<QueueId> ids;

    /** Prints {@code done}, or fails with {@code none} when nothing was changed. */
    int report(int count, String done, String none) {
        if (count == 0) {
            throw new CliException(none);
        }
        spec.commandLine().getOut().println(done);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }

    static String recipients(int n) {
        return n + (n == 1 ? " recipient" : " recipients");
    }
}
