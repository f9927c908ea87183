package dev.relay.dist.cli;

import dev.relay.dist.config.ConfigException;
import dev.relay.dist.config.ConfigLoader;
import dev.relay.dist.config.RelayConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.channels.SocketChannel;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * {@code relayctl}'s entry point. It reads the relay's configuration (for the data folder and the
 * admin socket), then: if a relay answers on the admin socket, sends it the command line and
 * plays back its output and exit code; otherwise it runs the command itself on the queue files
 * ({@link DirectContext}). Help, version and bad command lines are handled here without either.
 */
public final class RelayctlMain {

    private static final Logger log = LoggerFactory.getLogger(RelayctlMain.class);

    /**
     * Commands that always run in relayctl's own process, even while the relay runs: {@code user}
     * edits the users file (the relay reads it at each AUTH) and reads a password from relayctl's
     * own terminal without echo, which the relay's end of the socket could not do.
     */
    static final java.util.Set<String> LOCAL_COMMANDS = java.util.Set.of("user");

    private RelayctlMain() {
    }

    public static void main(String[] args) {
        int code;
        try {
            // Java 17: a console exists when standard input and output are both a terminal.
            code = run(System.console() != null ? withTerminal(args) : args, System.getenv("RELAY_CONF"),
                    ConfigLoader.forThisMachine(), Clock.systemUTC(), System.in, System.out, System.err);
        } catch (RuntimeException | Error e) {
            // Never a stack trace for the user; the log (WARN, on standard error) has the class.
            System.err.println("relayctl: internal error: " + e + " (please report it)");
            code = ExitCodes.FAILURE;
        }
        System.exit(code);
    }

    /**
     * Runs one relayctl command line as the {@code relayctl} script does, with {@code relayConf}
     * standing for the environment variable {@code RELAY_CONF}; returns the exit code.
     */
    static int run(String[] args, String relayConf, ConfigLoader loader, Clock clock,
                   InputStream stdin, PrintStream stdout, PrintStream stderr) {
        Charset cs = Charset.defaultCharset();
        PrintWriter out = new PrintWriter(new OutputStreamWriter(closing(stdout), cs), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(stderr, cs), true);
        InputStreamReader in = new InputStreamReader(stdin, cs);
        try {
            return run(args, relayConf, loader, clock, stdin, stdout, stderr, in, out, err);
        } finally {
            out.flush();
            err.flush();
        }
    }

    private static int run(String[] args, String relayConf, ConfigLoader loader, Clock clock, InputStream stdin,
                           PrintStream stdout, PrintStream stderr, InputStreamReader in, PrintWriter out, PrintWriter err) {
        CommandLine parser = Relayctl.commandLine(p -> {
            throw new CliException("internal: no context while parsing");
        }, in, out, err);
        CommandLine.ParseResult parsed;
        try {
            parsed = parser.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            try {
                return parser.getParameterExceptionHandler().handleParseException(e, args);
            } catch (Exception again) {
                err.println("relayctl: " + e.getMessage());
                return ExitCodes.USAGE;
            }
        }
        if (helpOnly(parsed)) {
            return parser.execute(args);
        }

        RelayctlCommand top = parser.getCommand();
        Optional<Path> configFile = Optional.ofNullable(top.config)
                .or(() -> Optional.ofNullable(relayConf).filter(s -> !s.isBlank()).map(Path::of));
        RelayConfig config;
        try {
            config = loader.load(configFile);
        } catch (ConfigException e) {
            e.problems().forEach(err::println);
            err.println("relayctl: the configuration " + configFile.map(Path::toString).orElse("(embedded defaults)")
                    + " has errors (fix them; relay --check-config checks it)");
            return ExitCodes.FAILURE;
        }

        Optional<SocketChannel> relay = Optional.empty();
        if (!LOCAL_COMMANDS.contains(parsed.subcommand().commandSpec().name())) {
            try {
                relay = AdminSocketClient.connect(config.adminSocket());
            } catch (CliException e) {
                err.println("relayctl: " + e.getMessage());
                return ExitCodes.FAILURE;
            }
        }
        if (relay.isPresent()) {
            try {
                return AdminSocketClient.run(relay.get(), withoutConfigOption(args, parser.getCommandSpec()), stdin,
                        stdout, stderr);
            } catch (IOException e) {
                err.println("relayctl: the relay's admin socket " + config.adminSocket() + " failed: " + e.getMessage());
                return ExitCodes.FAILURE;
            }
        }
        log.debug("no relay answers on {}: working on the queue files", config.adminSocket());
        try (DirectContext direct = new DirectContext(config, clock)) {
            return Relayctl.commandLine(direct, in, out, err).execute(args);
        }
    }

    private static boolean helpOnly(CommandLine.ParseResult parsed) {
        if (!parsed.hasSubcommand()) {
            return true; // --help, --version, or no command: picocli prints help or the usage error
        }
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.isUsageHelpRequested() || p.isVersionHelpRequested()
                    || p.commandSpec().userObject() instanceof CommandLine.HelpCommand) {
                return true;
            }
        }
        return false;
    }

    /** The arguments without the global {@code -c/--config} option (see the other overload). */
    static List<String> withoutConfigOption(String[] args) {
        CommandLine cl = Relayctl.commandLine(p -> {
            throw new CliException("internal: no context");
        }, new java.io.StringReader(""), new PrintWriter(java.io.Writer.nullWriter()),
                new PrintWriter(java.io.Writer.nullWriter()));
        return withoutConfigOption(args, cl.getCommandSpec());
    }

    /**
     * The arguments without the global {@code -c/--config} option, which only this side needs; it
     * may come before or after the command. Walks the arguments as picocli does, so that the value
     * of another option ({@code --reason "-c x"}) or anything after {@code --} is left alone.
     */
    static List<String> withoutConfigOption(String[] args, CommandLine.Model.CommandSpec top) {
        List<String> out = new ArrayList<>();
        CommandLine.Model.CommandSpec spec = top;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                out.addAll(List.of(args).subList(i, args.length));
                break;
            }
            if (a.equals("-c") || a.equals("--config")) {
                i++;
                continue;
            }
            if (a.startsWith("--config=") || (a.startsWith("-c") && !a.startsWith("--") && a.length() > 2)) {
                continue;
            }
            out.add(a);
            CommandLine sub = spec.subcommands().get(a);
            if (sub != null) {
                spec = sub.getCommandSpec();
                continue;
            }
            CommandLine.Model.OptionSpec o = a.startsWith("-") && !a.contains("=") ? spec.findOption(a) : null;
            if (o != null && o.arity().min() > 0 && i + 1 < args.length) {
                out.add(args[++i]); // its value, whatever it looks like
            }
        }
        return out;
    }

    /** {@code args} with the hidden {@code --terminal} flag in front (see {@link RelayctlCommand#terminal}). */
    static String[] withTerminal(String[] args) {
        String[] a = new String[args.length + 1];
        a[0] = "--terminal";
        System.arraycopy(args, 0, a, 1, args.length);
        return a;
    }

    /**
     * {@code stdout} as a stream that fails once it is closed ({@code relayctl queue | head}): a
     * PrintStream only notes the error, so without this relayctl would go on listing to nobody.
     */
    static java.io.OutputStream closing(PrintStream stdout) {
        return new java.io.OutputStream() {
            @Override
            public void write(int b) throws IOException {
                stdout.write(b);
                check();
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                stdout.write(b, off, len);
                check();
            }

            @Override
            public void flush() throws IOException {
                check();
            }

            private void check() throws IOException {
                if (stdout.checkError()) {
                    throw new IOException("standard output is closed");
                }
            }
        };
    }
}
