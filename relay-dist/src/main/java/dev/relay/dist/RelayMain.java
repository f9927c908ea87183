package dev.relay.dist;

import ch.qos.logback.classic.LoggerContext;
import dev.relay.dist.cli.ExitCodes;
import dev.relay.dist.cli.Version;
import dev.relay.dist.config.ConfigException;
import dev.relay.dist.config.ConfigLoader;
import dev.relay.dist.config.RelayConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * {@code relay}: the server process. Reads the configuration ({@code --config}, else
 * {@code $RELAY_CONF}, else the embedded defaults), starts the {@link Relay}, and runs until
 * SIGTERM or SIGINT, when it stops gracefully (bounded by {@code shutdown_timeout}) and exits 0.
 * SIGHUP reloads the route table and relay domains. {@code System.exit} is called only here.
 */
@Command(name = "relay", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"A store-and-forward SMTP relay.",
                "Without a configuration file it runs on embedded defaults: data folder RELAY_HOME/data (the installation's),"
                        + " listening on 127.0.0.1:2525.",
                "Relative paths in a configuration file are taken from the file's own directory."},
        footer = {"", "Signals: TERM or INT stop it gracefully (exit code 0); HUP reloads routes and relay_domains.",
                "Exit codes: 0 stopped normally or configuration OK, 1 bad configuration or start-up failed, 2 bad command line."})
public final class RelayMain implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(RelayMain.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "The configuration file (default: $RELAY_CONF; bin/relay sets it to conf/relay.conf"
            + " of the installation when unset; else the embedded defaults).")
    Path config;

    @Option(names = "--check-config", description = "Check the configuration and the route table, print any problem, and exit.")
    boolean checkOnly;

    @Option(names = "--print-config", description = "Print every key with its effective value (defaults included), and exit.")
    boolean print;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final Map<String, String> env;

    RelayMain(Map<String, String> env) {
        this.env = env;
    }

    public static void main(String[] args) {
        int code = commandLine(System.getenv()).execute(args);
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logging) {
            logging.stop(); // writes the log lines still queued (StdoutAppender) before the JVM ends
        }
        System.exit(code);
    }

    /** The command line of {@code relay}, as tests run it for --check-config. */
    static CommandLine commandLine(Map<String, String> env) {
        CommandLine cl = new CommandLine(new RelayMain(env));
        cl.setParameterExceptionHandler((ex, args) -> {
            ex.getCommandLine().getErr().println("relay: " + ex.getMessage() + " (see 'relay --help')");
            return ExitCodes.USAGE;
        });
        return cl;
    }

    /** The configuration file to read: --config, else $RELAY_CONF, else none. */
    Optional<Path> configFile() {
        return Optional.ofNullable(config)
                .or(() -> Optional.ofNullable(env.get("RELAY_CONF")).filter(s -> !s.isBlank()).map(Path::of));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Optional<Path> file = configFile();
        RelayConfig cfg;
        try {
            cfg = ConfigLoader.forThisMachine().load(file);
        } catch (ConfigException e) {
            e.problems().forEach(err::println);
            err.println("relay: " + e.problems().size() + (e.problems().size() == 1 ? " problem" : " problems") + " in the configuration; "
                    + (checkOnly ? "fix them and check again" : "not started"));
            err.flush();
            return ExitCodes.FAILURE;
        }
        List<String> problems = StartChecks.problems(cfg);
        if (!problems.isEmpty()) {
            problems.forEach(err::println);
            err.println("relay: " + problems.size() + (problems.size() == 1 ? " problem" : " problems")
                    + " in the files the configuration names; " + (checkOnly ? "fix them and check again" : "not started"));
            err.flush();
            return ExitCodes.FAILURE;
        }
        if (print) {
            out.println("# effective configuration from " + cfg.sourceName());
            cfg.effective().forEach((k, v) -> out.println(k + " = " + v));
            out.flush();
            return ExitCodes.OK;
        }
        if (checkOnly) {
            StartChecks.warnings(cfg).forEach(w -> err.println("relay: warning: " + w));
            err.flush();
            out.println(cfg.sourceName() + ": configuration OK");
            out.flush();
            return ExitCodes.OK;
        }
        return run(cfg, err);
    }

    /**
     * The warning to log when SIGHUP was ignored when the JVM started (nohup, or a supervisor that
     * ignores it): the JVM then keeps it ignored and does not install our handler (it answers
     * {@link SignalHandler#SIG_IGN}), and nothing a Java program can do changes that.
     */
    static Optional<String> hupWarning(SignalHandler previous) {
        if (previous != SignalHandler.SIG_IGN) {
            return Optional.empty();
        }
        return Optional.of("SIGHUP is ignored in this process (started under nohup?), so kill -HUP does not reload: "
                + "use relayctl reload (or start the relay without nohup: it runs in the foreground and needs no terminal)");
    }

    private static int run(RelayConfig cfg, PrintWriter err) {
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
        long t0 = System.nanoTime();
        log.info("relay {} starting, configuration: {}, host name {}", Version.get(), cfg.sourceName(), cfg.hostname());
        CountDownLatch stop = new CountDownLatch(1);
        Relay relay;
        try {
            relay = Relay.start(cfg, Clock.systemUTC());
        } catch (StartupException e) {
            log.error("not started: {}", e.getMessage());
            err.println("relay: not started: " + e.getMessage());
            err.flush();
            return ExitCodes.FAILURE;
        }
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        SignalHandler previous = Signal.handle(new Signal("HUP"), s -> {
            log.info("SIGHUP: reloading");
            try {
                relay.reload(); // logs what it applied, or why it refused
            } catch (RuntimeException e) {
                // already logged by reload(): the relay goes on with what it has
            }
        });
        hupWarning(previous).ifPresent(w -> log.warn("{}", w));
        log.info("relay started in {} ms", (System.nanoTime() - t0) / 1_000_000);
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("stopping (shutdown bound {})", dev.relay.dist.config.Values.human(cfg.shutdownTimeout()));
        long s0 = System.nanoTime();
        relay.close();
        log.info("relay stopped in {} ms", (System.nanoTime() - s0) / 1_000_000);
        return ExitCodes.OK;
    }
}
