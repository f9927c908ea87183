package dev.relay.dist.cli;

import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.QueueId;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code relayctl bounce}: return messages to their senders now (like {@code postsuper -r} with a bounce). */
@Command(name = "bounce", mixinStandardHelpOptions = true,
        description = {"Return messages to their senders now.",
                "Fails the waiting recipients of these messages: the forwarder sends the sender a delivery",
                "status notification (unless NOTIFY=NEVER or the sender is <>). With --all or filters it asks",
                "first on a terminal (without one it refuses) unless --yes is given."})
final class BounceCommand extends IdsCommand {

    @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "returned to sender by the postmaster",
            description = "The reason put in the notification (default: ${DEFAULT-VALUE}).")
    String reason;

    @Option(names = {"-y", "--yes"}, description = "Do not ask (for --all, filters and ids on standard input).")
    boolean yes;

    @Override
    public Integer call() {
        if (reason.isBlank() || reason.contains("\n") || reason.contains("\r")) {
            throw usage("--reason must be one line of text");
        }
        List<QueueId> ids = resolve();
        if (ids.isEmpty()) {
            throw new CliException(noMatch());
        }
        if (selection().bulk()) {
            confirm(ids, "Return", "to their senders", "nothing bounced", yes);
        }
        QueueAdmin admin = parent.context().queue();
        long n = inBatches(ids, batch -> admin.bounce(batch, reason));
        return report(n, "bounce: " + recipients(n) + " will be returned to the sender",
                "nothing to bounce (no such message, or all its recipients are final)");
    }
}
