package dev.relay.dist.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code relayctl delete}: remove messages without telling anyone (like {@code postsuper -d}); asks first. */
@Command(name = "delete", mixinStandardHelpOptions = true,
        description = {"Delete messages from the queue without notifying anyone.",
                "Use bounce to tell the senders.",
                "Asks for confirmation on standard input unless --yes is given."})
final class DeleteCommand extends IdsCommand {

    @Option(names = {"-y", "--yes"}, description = "Do not ask.")
    boolean yes;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (!yes) {
            out.print("Delete " + ids.size() + (ids.size() == 1 ? " message (" : " messages (")
                    + ids.stream().limit(5).map(Object::toString).collect(Collectors.joining(", "))
                    + (ids.size() > 5 ? ", ..." : "") + ") without notifying anyone? [y/N] ");
            out.flush();
            String answer;
            try {
                answer = new BufferedReader(parent.in()).readLine();
            } catch (IOException e) {
                answer = null;
            }
            if (answer == null) {
                out.println();
            }
            String a = answer == null ? "" : answer.strip().toLowerCase(Locale.ROOT);
            if (!a.equals("y") && !a.equals("yes")) {
                throw new CliException("nothing deleted (answer y to confirm, or give --yes)");
            }
        }
        int n = parent.context().queue().delete(ids);
        return report(n, "delete: " + n + (n == 1 ? " message" : " messages") + " deleted",
                "nothing deleted (no such message in the queue)");
    }
}
