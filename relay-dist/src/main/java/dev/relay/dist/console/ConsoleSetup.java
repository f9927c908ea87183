package dev.relay.dist.console;

import dev.relay.dist.cli.Version;
import dev.relay.dist.config.ConfigKeys;
import dev.relay.dist.config.RelayConfig;
import dev.relay.dist.ops.Json;
import dev.relay.dist.ops.OpsServer;
import dev.relay.queue.admin.QueueAdmin;
import dev.relay.server.auth.UsersFile;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Puts the console on a running ops endpoint, as the configuration says; one call from {@code Relay}. */
public final class ConsoleSetup {

    private static final Logger log = LoggerFactory.getLogger(ConsoleSetup.class);

    private ConsoleSetup() {
    }

    /**
     * Starts the history of the last hour (which also runs {@code ticks}, e.g. refreshing gauges,
     * every {@link ConsoleHistory#SAMPLE}) and, with {@code console_enabled}, mounts the console at
     * {@code /} of {@code ops}. Returns the history, to be closed when the relay stops.
     */
    public static ConsoleHistory install(OpsServer ops, RelayConfig config, QueueAdmin admin, MeterRegistry registry,
                                         Clock clock, List<Runnable> ticks) {
        ConsoleHistory history = new ConsoleHistory(registry, clock, ticks).start();
        if (!config.get(ConfigKeys.CONSOLE_ENABLED)) {
            return history;
        }
        Optional<Path> usersFile = config.get(ConfigKeys.CONSOLE_USERS_FILE);
        InetSocketAddress at = ops.address();
        ConsoleAccess access = new ConsoleAccess(at, usersFile.map(UsersFile::new).orElse(null), clock);
        long started = clock.instant().getEpochSecond();
        String host = config.hostname();
        String node = "{\"host\":" + Json.string(host) + ",\"version\":" + Json.string(Version.get())
                + ",\"pid\":" + ProcessHandle.current().pid() + ",\"started\":" + started + "}";
        ops.mount(new Console(admin, history, access, clock, () -> node));
        String url = "http://" + (at.getAddress().getHostAddress().contains(":")
                ? "[" + at.getAddress().getHostAddress() + "]" : at.getAddress().getHostAddress()) + ":" + at.getPort() + "/";
        if (!access.usable()) {
            log.warn("the queue console is off: {} is not a loopback address and console_users_file is none"
                    + " (set console_users_file to require a login)", url);
        } else if (usersFile.isPresent() && !Files.isReadable(usersFile.get())) {
            log.warn("queue console on {}: the users file {} cannot be read, so nobody can log in"
                    + " (relayctl user --users-file {} add NAME)", url, usersFile.get(), usersFile.get());
        } else {
            log.info("queue console on {}{}", url, usersFile.map(p -> " (login: users of " + p + ")").orElse(""));
        }
        return history;
    }
}
