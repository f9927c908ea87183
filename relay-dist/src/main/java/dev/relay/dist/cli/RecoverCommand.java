package dev.relay.dist.cli;

import dev.relay.queue.jdbc.QueueSalvage;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code relayctl recover}: rebuilds the queue's database from its journal, keeping the old file
 * beside it; for a queue of a version before the journal, from the old file message by message
 * ({@link QueueSalvage}). Only with the relay stopped.
 */
@Command(name = "recover", mixinStandardHelpOptions = true,
        description = {"Rebuild the queue database from the queue's journal (the relay must be stopped), as a",
                "start after a crash does; the old file is kept as queue.mv.db.damaged-TIME.",
                "A queue of a version before the journal: every message that can be read from the old file is",
                "copied, with its recipients, states and history, into a new one; those that cannot be read are",
                "listed, and the exit status is then 1."})
final class RecoverCommand implements Callable<Integer> {

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        CliContext context = parent.context();
        QueueSalvage.Report report = QueueSalvage.recover(context.queueToRecover(), context.clock());
        out.printf("recovered %d messages (%d recipients)%s%n", report.messages(), report.recipients(),
                report.damagedFile() == null ? "" : "; the old queue file is kept as " + report.damagedFile());
        for (String lost : report.lost()) {
            out.println("not recovered: " + lost);
        }
        out.flush();
        return report.lost().isEmpty() ? ExitCodes.OK : ExitCodes.FAILURE;
    }
}
