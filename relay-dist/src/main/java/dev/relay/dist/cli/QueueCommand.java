package dev.relay.dist.cli;

import dev.relay.queue.admin.MessageView;
import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.admin.QueueFilter;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code relayctl queue}: the queue like {@code mailq}, with filters, or as JSON Lines. */
@Command(name = "queue", aliases = "mailq", mixinStandardHelpOptions = true,
        description = {"List the queue like mailq.",
                "Oldest first: id, size, arrival and sender of each message, then each recipient with its",
                "state, next attempt and last reply. Filters combine (all must match)."})
final class QueueCommand implements Callable<Integer> {

    static final int PAGE = 500;

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    FilterOptions filters;

    @Option(names = "--json", description = "One JSON object per message and line (like postqueue -j), for scripts.")
    boolean json;

    @Option(names = "--limit", paramLabel = "N", description = "Show at most N messages (default: all).")
    Integer limit;

    @Override
    public Integer call() {
        if (limit != null && limit < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--limit must be at least 1");
        }
        QueueAdmin admin = parent.context().queue();
        PrintWriter out = spec.commandLine().getOut();
        QueueFilter filter = filters.filter();
        boolean filtered = filters.any();
        long messages = 0;
        long recipients = 0;
        long bytes = 0;
        MessageView last = null;
        int max = limit == null ? Integer.MAX_VALUE : limit;
        // Page by page (keyset: the last page costs what the first does), each page written and
        // flushed before the next is read; nothing holds the whole queue. A reader that went away
        // (relayctl queue | head) ends the listing at the next page.
        while (messages < max) {
            List<MessageView> page = admin.listAfter(filter, last, (int) Math.min(PAGE, max - messages));
            for (MessageView m : page) {
                if (json) {
                    out.println(QueueText.json(m));
                } else {
                    if (messages == 0) {
                        out.println(QueueText.HEADER);
                    }
                    QueueText.printMessage(out, m);
                }
                messages++;
                recipients += m.recipients().size();
                bytes += m.size();
            }
            if (out.checkError()) {
                return ExitCodes.FAILURE; // the output is closed: nobody to tell
            }
            if (page.size() < PAGE) {
                break;
            }
            last = page.get(page.size() - 1);
        }
        if (!json) {
            if (messages == 0) {
                out.println(filtered ? "No message matches." : "Mail queue is empty");
            } else {
                out.printf("-- %d %s, %d %s, %d KiB%s%n", messages, messages == 1 ? "message" : "messages", recipients,
                        recipients == 1 ? "recipient" : "recipients", (bytes + 1023) / 1024,
                        limit != null && messages == limit ? " (limit reached; there may be more)" : "");
            }
        }
        out.flush();
        return ExitCodes.OK;
    }
}
