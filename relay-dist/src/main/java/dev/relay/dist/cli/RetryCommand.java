package dev.relay.dist.cli;

import dev.relay.queue.QueueAdmin;
import dev.relay.queue.QueueId;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code relayctl retry}: make deferred recipients due now (like {@code postqueue -i} / {@code -f}). */
@Command(name = "retry", mixinStandardHelpOptions = true,
        description = {"Deliver now: make waiting recipients due at once.",
                "Queued and deferred recipients (not held ones) of the given messages, of every message",
                "(--all) or of those last tried at a next hop (--next-hop) are tried again at once, like",
                "postqueue -i / -f. A long run reports its progress on standard error."})
final class RetryCommand implements Callable<Integer> {

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "ID", arity = "0..*", converter = Converters.QueueIdConverter.class,
            description = "Queue ids.")
    List<QueueId> ids;

    @Option(names = "--all", description = "Every waiting recipient in the queue.")
    boolean all;

    @Option(names = "--next-hop", paramLabel = "HOST",
            description = "Every waiting recipient last tried at a next hop containing HOST.")
    String nextHop;

    @Override
    public Integer call() {
        int targets = (ids == null || ids.isEmpty() ? 0 : 1) + (all ? 1 : 0) + (nextHop != null ? 1 : 0);
        if (targets != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), targets == 0
                    ? "say what to retry: queue ids, --all or --next-hop HOST"
                    : "give only one of: queue ids, --all, --next-hop HOST");
        }
        if (nextHop != null && nextHop.isBlank()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--next-hop needs a host name");
        }
        QueueAdmin admin = parent.context().queue();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int n;
        if (ids != null && !ids.isEmpty()) {
            n = admin.retry(ids);
        } else {
            // A line every progressEvery recipients, or sooner when a slow queue takes longer than
            // progressInterval (wall time: it only paces output, it decides nothing).
            long every = parent.context().progressEvery();
            long interval = parent.context().progressInterval().toNanos();
            long[] next = {every};
            long[] lastLine = {System.nanoTime()};
            n = admin.retryAll(all ? null : nextHop, count -> {
                long now = System.nanoTime();
                if (count >= next[0] || now - lastLine[0] >= interval) {
                    next[0] = (count / every + 1) * every;
                    lastLine[0] = now;
                    err.println("retry: " + count + " recipients so far...");
                    err.flush();
                }
            });
        }
        if (n == 0) {
            throw new CliException("nothing to retry (no such message, or no waiting recipient that is not held"
                    + (all || nextHop != null ? "" : "; relayctl queue lists them") + ")");
        }
        out.println("retry: " + n + (n == 1 ? " recipient is" : " recipients are") + " due now");
        out.flush();
        return ExitCodes.OK;
    }
}
