package dev.relay.dist.cli;

import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.QueueId;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code relayctl delete}: remove messages without telling anyone (like {@code postsuper -d}); asks first. */
@Command(name = "delete", mixinStandardHelpOptions = true,
        description = {"Delete messages from the queue without notifying anyone (like postsuper -d).",
                "Use bounce to tell the senders. Asks for confirmation unless --yes is given: on standard input",
                "for queue ids, on a terminal only for --all and filters (without one it refuses)."})
final class DeleteCommand extends IdsCommand {

    @Option(names = {"-y", "--yes"}, description = "Do not ask.")
    boolean yes;

    @Override
    public Integer call() {
        List<QueueId> ids = resolve();
        if (ids.isEmpty()) {
            throw new CliException(noMatch());
        }
        confirm(ids, "Delete", "without notifying anyone", "nothing deleted", yes);
        QueueAdmin admin = parent.context().queue();
        long n = inBatches(ids, admin::delete);
        return report(n, "delete: " + count(n) + " deleted", "nothing deleted (no such message in the queue)");
    }
}
