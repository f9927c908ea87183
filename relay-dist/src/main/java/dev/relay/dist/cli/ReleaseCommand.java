package dev.relay.dist.cli;

import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.QueueId;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code relayctl release}: undo hold (like {@code postsuper -H}). */
@Command(name = "release", mixinStandardHelpOptions = true,
        description = {"Release held messages (like postsuper -H).", "Their held recipients are due at once."})
final class ReleaseCommand extends IdsCommand {
    @Override
    public Integer call() {
        List<QueueId> ids = resolve();
        if (ids.isEmpty()) {
            throw new CliException(noMatch());
        }
        QueueAdmin admin = parent.context().queue();
        long n = inBatches(ids, admin::release);
        return report(n, "release: " + recipients(n) + " released and due now",
                "nothing released (no such message, or none of its recipients is held)");
    }
}
