package dev.relay.dist;

import dev.relay.dist.config.ConfigFile;
import dev.relay.dist.config.ConfigLoader;
import dev.relay.dist.config.RelayConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/** Whole relays for the end-to-end tests, each started by relay-dist's own {@link Relay} from a relay.conf text. */
final class Relays {

    private Relays() {
    }

    /**
     * Starts relay {@code name} (its own only local domain) with its data under {@code dir/name}, listening on
     * an ephemeral loopback port, with {@code routes} as its route table and {@code extra} relay.conf lines.
     */
    static Relay start(Path dir, String name, String sourceRoutes, String routes, String extra, Clock clock)
            throws Exception {
        Path home = dir.resolve(name);
        Files.createDirectories(home);
        Path routesFile = home.resolve("routes");
        Files.writeString(routesFile, routes);
        String text = "hostname = " + name + "\n"
                + "data_directory = " + home.resolve("data") + "\n"
                + "maildir_directory = " + maildirRoot(dir, name) + "\n"
                + "listen = 127.0.0.1:0\n"
                + "metrics_listen = none\n"
                + "routes_file = " + routesFile + "\n"
                + "source_routes = " + sourceRoutes + "\n"
                + "retry_min_backoff = 1s\nretry_max_backoff = 2s\nhost_down_time = 1s\n"
                + "shutdown_timeout = 5s\n"
                + extra;
        RelayConfig config = new ConfigLoader(home, () -> name).load(ConfigFile.parse(name + ".conf", text), Optional.empty());
        return Relay.start(config, clock);
    }

    static Path maildirRoot(Path dir, String name) {
        return dir.resolve(name).resolve("maildir");
    }

    /** Makes the Maildir of {@code user}@{@code name} before the relay starts, so that RCPT accepts it. */
    static Path mailbox(Path dir, String name, String user) throws Exception {
        return Files.createDirectories(maildirRoot(dir, name).resolve(name).resolve(user));
    }

    static int port(Relay relay) {
        return relay.smtpAddresses().get(0).getPort();
    }
}
