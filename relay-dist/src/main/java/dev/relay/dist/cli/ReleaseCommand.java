package dev.relay.dist.cli;

import picocli.CommandLine.Command;

/** {@code relayctl release}: undo hold (like {@code postsuper -H}). */
@Command(name = "release", mixinStandardHelpOptions = true,
        description = {"Release held messages (like postsuper -H).", "Their held recipients are due at once."})
final class ReleaseCommand extends IdsCommand {
    @Override
    public Integer call() {
        int n = parent.context().queue().release(ids);
        return report(n, "release: " + recipients(n) + " released and due now",
                "nothing released (no such message, or none of its recipients is held)");
    }
}
