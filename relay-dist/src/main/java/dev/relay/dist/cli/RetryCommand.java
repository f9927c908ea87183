package dev.relay.dist.cli;

import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.QueueId;
import java.io.PrintWriter;
import java.util.List;
import java.util.function.LongConsumer;
import picocli.CommandLine.Command;

/** {@code relayctl retry}: make deferred recipients due now (like {@code postqueue -i} / {@code -f} / {@code -s}). */
@Command(name = "retry", mixinStandardHelpOptions = true,
        description = {"Deliver now: make waiting recipients due at once.",
                "Queued and deferred recipients (not held ones) of the given messages, of every message",
                "(--all), of the messages that match filters, or those last tried at a next hop (--next-hop",
                "alone: postqueue -s SITE) are tried again at once, like postqueue -i / -f. A long run",
                "reports its progress on standard error."})
final class RetryCommand extends IdsCommand {

    @Override
    public Integer call() {
        Selection s = selection();
        QueueAdmin admin = parent.context().queue();
        PrintWriter out = spec.commandLine().getOut();
        LongConsumer progress = progress();
        long n;
        boolean onlyHop = filters.onlyNextHop();
        if (s.filter() != null && onlyHop) {
            // Every waiting recipient, or those last tried at the next hop: by recipient, in batches.
            n = admin.retryAll(filters.nextHop, progress);
        } else {
            List<QueueId> ids = resolve();
            n = 0;
            for (int i = 0; i < ids.size(); i += BATCH) {
                n += admin.retry(ids.subList(i, Math.min(ids.size(), i + BATCH)));
                progress.accept(n);
            }
        }
        if (n == 0) {
            throw new CliException("nothing to retry (no such message, or no waiting recipient that is not held"
                    + (s.filter() != null ? "" : "; relayctl queue lists them") + ")");
        }
        out.println("retry: " + n + (n == 1 ? " recipient is" : " recipients are") + " due now");
        out.flush();
        return ExitCodes.OK;
    }

    /**
     * A line every progressEvery recipients, or sooner when a slow queue takes longer than
     * progressInterval (wall time: it only paces output, it decides nothing).
     */
    private LongConsumer progress() {
        PrintWriter err = spec.commandLine().getErr();
        long every = parent.context().progressEvery();
        long interval = parent.context().progressInterval().toNanos();
        long[] next = {every};
        long[] lastLine = {System.nanoTime()};
        return count -> {
            long now = System.nanoTime();
            if (count >= next[0] || now - lastLine[0] >= interval) {
                next[0] = (count / every + 1) * every;
                lastLine[0] = now;
                err.println("retry: " + count + " recipients so far...");
                err.flush();
            }
        };
    }
}
