package dev.relay.dist.cli;

import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientState;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code relayctl hold}: keep messages from being delivered until released (like {@code postsuper -h}). */
@Command(name = "hold", mixinStandardHelpOptions = true,
        description = {"Keep messages from delivery until released (like postsuper -h).",
                "Puts the waiting recipients of these messages on hold. A message already held is not an error."})
final class HoldCommand extends IdsCommand {
    @Override
    public Integer call() {
        List<QueueId> ids = resolve();
        if (ids.isEmpty()) {
            throw new CliException(noMatch());
        }
        QueueAdmin admin = parent.context().queue();
        long n = inBatches(ids, admin::hold);
        PrintWriter out = spec.commandLine().getOut();
        if (n == 0 && selection().filter() == null) {
            // Holding what is held already is what was asked (postsuper -h says nothing either).
            long held = ids.stream().filter(id -> admin.show(id).map(d -> d.view().recipients().stream()
                    .anyMatch(r -> r.state() == RecipientState.HELD)).orElse(false)).count();
            if (held > 0) {
                out.println("hold: " + count(held) + (held == 1 ? " was" : " were") + " already held");
                out.flush();
                return ExitCodes.OK;
            }
        } else if (n == 0) {
            out.println("hold: " + count(ids.size()) + " matched; none has a waiting recipient to hold"
                    + " (already held, or final)");
            out.flush();
            return ExitCodes.OK;
        }
        return report(n, "hold: " + recipients(n) + " held",
                "nothing held (no such message, or its recipients are final)");
    }
}
