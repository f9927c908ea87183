package dev.relay.dist.cli;

import dev.relay.queue.QueueAdmin;
import dev.relay.queue.QueueId;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code relayctl retry}: make deferred recipients due now (like {@code postqueue -i} / {@code -f}). */
@Command(name = "retry", mixinStandardHelpOptions = true,
        description = {"Deliver now: make the waiting (queued or deferred, not held) recipients due at once.",
                "A long run (--all on a big queue) reports its progress on standard error."})
final class RetryCommand implements Callable<Integer> {

    /** How often a long retry reports, in recipients. */
    static final long PROGRESS_EVERY = 10_000;

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Parameters(paramLabel = "ID", arity = "1..*", converter = Converters.QueueIdConverter.class, description = "Queue ids.")
        List<QueueId> ids;

        @Option(names = "--all", required = true, description = "Every waiting recipient in the queue.")
        boolean all;

        @Option(names = "--next-hop", required = true, paramLabel = "HOST", description = "Every waiting recipient last tried at HOST.")
        String nextHop;
    }

    @Override
    public Integer call() {
        QueueAdmin admin = parent.context().queue();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int n;
        if (target.ids != null) {
            n = admin.retry(target.ids);
        } else {
            AtomicLong lastReported = new AtomicLong();
            n = admin.retryAll(target.all ? null : target.nextHop, count -> {
                if (count - lastReported.get() >= PROGRESS_EVERY) {
                    lastReported.set(count);
                    err.println("retry: " + count + " recipients so far...");
                    err.flush();
                }
            });
        }
        if (n == 0) {
            throw new CliException("nothing to retry (no such message, or no waiting recipient that is not held)");
        }
        out.println("retry: " + n + (n == 1 ? " recipient is" : " recipients are") + " due now");
        out.flush();
        return ExitCodes.OK;
    }
}
