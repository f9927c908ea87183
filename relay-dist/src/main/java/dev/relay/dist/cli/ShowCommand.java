package dev.relay.dist.cli;

import dev.relay.queue.admin.MessageDetail;
import dev.relay.queue.QueueId;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code relayctl show ID}: one message in full. */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = {"Show one message in full.",
                "Envelope and parameters, client, recipients with their states, attempt history and headers;",
                "with --body the whole stored message instead (like postcat -q)."})
final class ShowCommand implements Callable<Integer> {

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "ID", converter = Converters.QueueIdConverter.class, description = "The queue id.")
    QueueId id;

    @Option(names = "--body", description = "Print the whole stored message (headers and body), as it will be sent.")
    boolean body;

    @Option(names = "--json", description = "One JSON object on one line, for scripts.")
    boolean json;

    @Override
    public Integer call() {
        if (body && json) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --body or --json, not both");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (body) {
            // The message is bytes; the output is text in UTF-8 (8-bit text in another charset shows as U+FFFD).
            try (InputStream in = parent.context().queue().body(id).orElseThrow(this::missing);
                 Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                r.transferTo(out);
            } catch (IOException e) {
                throw new CliException("reading message " + id + ": " + e.getMessage());
            }
            out.flush();
            return ExitCodes.OK;
        }
        MessageDetail d = parent.context().queue().show(id).orElseThrow(this::missing);
        if (json) {
            out.println(QueueText.json(d));
        } else {
            QueueText.printDetail(out, d);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private CliException missing() {
        return new CliException("no message " + id + " in the queue (relayctl queue lists them)");
    }
}
