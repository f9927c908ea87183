package dev.relay.dist.cli;

import dev.relay.dist.config.ConfigException;
import dev.relay.dist.config.ConfigLoader;
import dev.relay.dist.config.RelayConfig;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.channels.SocketChannel;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;

/**
 * {@code relayctl}'s entry point. It reads the relay's configuration (for the data folder and the
 * admin socket), then: if a relay answers on the admin socket, sends it the command line and
 * plays back its output and exit code; otherwise it runs the command itself on the queue files
 * (H2's file lock keeps it from clashing with a relay that starts meanwhile). Help, version and
 * bad command lines are handled here without either.
 */
public final class RelayctlMain {

    private RelayctlMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        Charset cs = Charset.defaultCharset();
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, cs), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, cs), true);
        InputStreamReader in = new InputStreamReader(System.in, cs);

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
        } catch (RuntimeException e) {
            err.println("relayctl: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        if (helpOnly(parsed)) {
            return parser.execute(args);
        }

        RelayctlCommand top = parser.getCommand();
        Optional<Path> configFile = Optional.ofNullable(top.config)
                .or(() -> Optional.ofNullable(System.getenv("RELAY_CONF")).filter(s -> !s.isBlank()).map(Path::of));
        RelayConfig config;
        try {
            config = ConfigLoader.forThisMachine().load(configFile);
        } catch (ConfigException e) {
            e.problems().forEach(p -> err.println(p));
            err.println("relayctl: the configuration " + configFile.map(Path::toString).orElse("(embedded defaults)")
                    + " has errors (fix them; relay --check-config checks it)");
            return ExitCodes.FAILURE;
        }

        Optional<SocketChannel> relay = AdminSocketClient.connect(config.adminSocket());
        if (relay.isPresent()) {
            try {
                return AdminSocketClient.run(relay.get(), withoutConfigOption(args), System.in, System.out, System.err);
            } catch (IOException e) {
                err.println("relayctl: " + e.getMessage());
                return ExitCodes.FAILURE;
            }
        }
        try (DirectContext direct = new DirectContext(config)) {
            return Relayctl.commandLine(direct, in, out, err).execute(args);
        }
    }

    private static boolean helpOnly(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.isUsageHelpRequested() || p.isVersionHelpRequested()
                    || p.commandSpec().userObject() instanceof CommandLine.HelpCommand) {
                return true;
            }
            if (p.subcommand() == null && p == parsed) {
                return true; // no command: picocli prints the usage error
            }
        }
        return false;
    }

    /** The arguments without the global {@code -c/--config} option, which only this side needs. */
    static List<String> withoutConfigOption(String[] args) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < args.length && args[i].startsWith("-")) {
            String a = args[i];
            if (a.equals("-c") || a.equals("--config")) {
                i += 2;
                continue;
            }
            if (a.startsWith("--config=") || (a.startsWith("-c") && !a.startsWith("--"))) {
                i++;
                continue;
            }
            out.add(a);
            i++;
        }
        while (i < args.length) {
            out.add(args[i++]);
        }
        return out;
    }
}
