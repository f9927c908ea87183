package dev.relay.dist.cli;

import picocli.CommandLine.Command;

/** {@code relayctl hold}: keep messages from being delivered until released (like {@code postsuper -h}). */
@Command(name = "hold", mixinStandardHelpOptions = true,
        description = {"Keep messages from delivery until released (like postsuper -h).",
                "Puts the waiting recipients of these messages on hold."})
final class HoldCommand extends IdsCommand {
    @Override
    public Integer call() {
        int n = parent.context().queue().hold(ids);
        return report(n, "hold: " + recipients(n) + " held",
                "nothing held (no such message, or its recipients are final or already held)");
    }
}
