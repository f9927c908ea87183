package dev.relay.dist.cli;

import dev.relay.queue.MessageDetail;
import dev.relay.queue.QueueId;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code relayctl show ID}: one message in full. */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = {"Show one message in full.",
                "Envelope and parameters, client, recipients with their states, attempt history and headers."})
final class ShowCommand implements Callable<Integer> {

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "ID", converter = Converters.QueueIdConverter.class, description = "The queue id.")
    QueueId id;

    @Override
    public Integer call() {
        MessageDetail d = parent.context().queue().show(id)
                .orElseThrow(() -> new CliException("no message " + id + " in the queue (relayctl queue lists them)"));
        QueueText.printDetail(spec.commandLine().getOut(), d);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
