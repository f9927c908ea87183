package dev.relay.dist.cli;

import java.io.PrintWriter;
import java.io.Reader;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The top of relayctl: global options, and the context every subcommand works on. */
@Command(name = "relayctl", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"See and manage the relay's queue, routes and configuration.",
                "Works while the relay runs (through its admin socket) and while it is stopped (on the queue files)."},
        footer = {"", "Exit codes: 0 done, 1 failed (the message says why), 2 bad command line.",
                "Run 'relayctl COMMAND --help' for the options of a command."},
        subcommands = {QueueCommand.class, ShowCommand.class, RetryCommand.class, HoldCommand.class,
                ReleaseCommand.class, DeleteCommand.class, BounceCommand.class, StatsCommand.class,
                RoutesCommand.class, RouteCommand.class, ReloadCommand.class, UserCommand.class, VersionCommand.class, RecoverCommand.class,
                CommandLine.HelpCommand.class})
public final class RelayctlCommand implements Runnable {

    // Inherited: -c FILE may come before or after the command, as every option may.
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "The relay's configuration file (default: $RELAY_CONF; bin/relayctl sets it to conf/relay.conf"
                    + " of the installation when unset; else the embedded defaults).")
    Path config;

    /**
     * Set by relayctl when its standard input and output are a terminal (it passes this on to the
     * running relay with the command): only then may a bulk action ask for confirmation.
     */
    @Option(names = "--terminal", hidden = true)
    boolean terminal;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final Function<Optional<Path>, CliContext> contexts;
    private final Reader in;
    private CliContext context;

    RelayctlCommand(Function<Optional<Path>, CliContext> contexts, Reader in) {
        this.contexts = contexts;
        this.in = in;
    }

    /** The context, made on first use from {@code --config}. */
    CliContext context() {
        if (context == null) {
            context = contexts.apply(Optional.ofNullable(config));
        }
        return context;
    }

    /** Whether a person at a terminal can answer a question. */
    boolean terminal() {
        return terminal;
    }

    /** The command's standard input (the admin socket's, inside the relay). */
    Reader in() {
        return in;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is missing");
    }

    /** Output of a subcommand. */
    static PrintWriter out(CommandLine.Model.CommandSpec spec) {
        return spec.commandLine().getOut();
    }
}
