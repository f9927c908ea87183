package dev.relay.dist.cli;

import dev.relay.queue.jdbc.QueueSalvage;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code relayctl recover}: when the relay cannot open its queue file (it says so at start and
 * names this command), rebuilds the queue from it message by message and keeps the old file beside
 * it ({@link QueueSalvage}). Only with the relay stopped.
 */
@Command(name = "recover", mixinStandardHelpOptions = true,
        description = {"Rebuild the queue from a queue file the relay cannot open (the relay must be stopped).",
                "Every message that can be read is copied, with its recipients, states and history, into a new",
                "queue file; the old one is kept as queue.mv.db.damaged-TIME. Messages that cannot be read are",
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
        out.printf("recovered %d messages (%d recipients); the old queue file is kept as %s%n", report.messages(),
                report.recipients(), report.damagedFile());
        for (String lost : report.lost()) {
            out.println("not recovered: " + lost);
        }
        out.flush();
        return report.lost().isEmpty() ? ExitCodes.OK : ExitCodes.FAILURE;
    }
}
