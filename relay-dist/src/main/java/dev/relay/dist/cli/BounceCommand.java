package dev.relay.dist.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code relayctl bounce}: return messages to their senders now (like {@code postsuper -r} with a bounce). */
@Command(name = "bounce", mixinStandardHelpOptions = true,
        description = {"Return messages to their senders now.",
                "Fails the waiting recipients of these messages: the forwarder sends the sender a delivery",
                "status notification (unless NOTIFY=NEVER or the sender is <>)."})
final class BounceCommand extends IdsCommand {

    @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "returned to sender by the postmaster",
            description = "The reason put in the notification (default: ${DEFAULT-VALUE}).")
    String reason;

    @Override
    public Integer call() {
        if (reason.isBlank() || reason.contains("\n") || reason.contains("\r")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--reason must be one line of text");
        }
        int n = parent.context().queue().bounce(ids, reason);
        return report(n, "bounce: " + recipients(n) + " will be returned to the sender",
                "nothing to bounce (no such message, or all its recipients are final)");
    }
}
