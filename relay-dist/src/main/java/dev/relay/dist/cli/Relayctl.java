package dev.relay.dist.cli;

import dev.relay.queue.QueueException;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Builds relayctl's command line. relayctl's {@code main}, the relay's admin socket and the tests
 * all use this one factory, with their own context and streams, so a test runs exactly the
 * command an admin runs, in-process, and reads its output from {@code StringWriter}s.
 *
 * <p>Errors are one line: a bad command line prints {@code relayctl: WHAT (see relayctl CMD
 * --help)} and exits {@link ExitCodes#USAGE}; a failure prints {@code relayctl: WHAT} and exits
 * {@link ExitCodes#FAILURE}. An unexpected exception is also one line, with its class.
 */
public final class Relayctl {

    private static final Logger log = LoggerFactory.getLogger(Relayctl.class);

    private Relayctl() {
    }

    /** A command line whose commands get their context from {@code contexts} (given the --config path). */
    public static CommandLine commandLine(Function<Optional<Path>, CliContext> contexts, Reader in, PrintWriter out, PrintWriter err) {
        RelayctlCommand top = new RelayctlCommand(contexts, in);
        CommandLine cl = new CommandLine(top);
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler(Relayctl::usageError);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            String name = commandLine.getCommandName();
            if (ex instanceof CliException || ex instanceof QueueException) {
                commandLine.getErr().println("relayctl: " + (name.equals("relayctl") ? "" : name + ": ") + ex.getMessage());
            } else {
                log.warn("relayctl {} failed", name, ex);
                commandLine.getErr().println("relayctl: " + name + ": internal error: " + ex);
            }
            commandLine.getErr().flush();
            return ExitCodes.FAILURE;
        });
        return cl;
    }

    /** A command line working on one given context (the running relay's, or a test's). */
    public static CommandLine commandLine(CliContext context, Reader in, PrintWriter out, PrintWriter err) {
        return commandLine(path -> context, in, out, err);
    }

    private static int usageError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        String path = cl.getCommandSpec().qualifiedName();
        String msg = ex.getMessage();
        if (msg != null && msg.endsWith(".")) {
            msg = msg.substring(0, msg.length() - 1);
        }
        // The one hint of the line: a message that names --help already is not given a second.
        String hint = msg != null && msg.contains("--help") ? "" : " (see '" + path + " --help')";
        cl.getErr().println("relayctl: " + msg + hint);
        cl.getErr().flush();
        return ExitCodes.USAGE;
    }
}
