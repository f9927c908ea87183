package dev.relay.dist.cli;

import dev.relay.client.routing.Dns;
import dev.relay.dist.config.ConfigKeys;
import dev.relay.dist.config.Key;
import dev.relay.dist.config.RelayConfig;
import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.QueueException;
import dev.relay.queue.QueueSettings;
import dev.relay.queue.jdbc.H2MessageQueue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/**
 * relayctl's context when no relay runs: it opens the queue files of the data folder itself, for
 * the one command, and closes them at once.
 *
 * <p>It never gets in the way of a running relay. relayctl first asks the admin socket
 * ({@link RelayctlMain}); only when nothing answers there does it come here, and it asks once
 * more right before it opens the database. H2 locks the database file for the one process that
 * has it open, so a relay that holds the queue makes the open fail (reported as "in use by a
 * running relay", nothing touched). relayctl holds the file only for its one command (a
 * relay started in that moment finds the file locked and says so). Nothing here writes to a
 * queue that another process has open.
 *
 * <p>It never creates a queue: a data folder without one is an error (a wrong data_directory or
 * working directory would otherwise give an empty queue and a false "Mail queue is empty").
 */
final class DirectContext implements CliContext, AutoCloseable {

    static final String USERS_FILE_KEY = "auth_users_file";

    private final RelayConfig config;
    private final QueueSettings settings;
    private final Path socket;
    private final Clock clock;
    private H2MessageQueue queue;
    private Dns dns;

    DirectContext(RelayConfig config, Clock clock) {
        this(config, QueueLocation.settings(config), config.adminSocket(), clock);
    }

    DirectContext(RelayConfig config, QueueSettings settings, Path socket, Clock clock) {
        this.config = config;
        this.settings = settings;
        this.socket = socket;
        this.clock = clock;
    }

    @Override
    public synchronized QueueAdmin queue() {
        if (queue == null) {
            queue = open();
        }
        return queue.admin();
    }

    private H2MessageQueue open() {
        Path file = QueueLocation.databaseFile(settings);
        if (!Files.exists(file)) {
            throw new CliException("there is no queue at " + file + " (has the relay run with data_directory "
                    + config.dataDirectory() + "? give its configuration with -c FILE or RELAY_CONF)");
        }
        if (AdminSocketClient.answers(socket)) {
            throw new CliException("the relay started just now (its admin socket " + socket + " answers): run the command again");
        }
        try {
            return H2MessageQueue.open(settings, clock);
        } catch (QueueException e) {
            if (e.kind() == QueueException.Kind.LOCKED) {
                throw new CliException("the queue " + file + " is in use by a running relay, but its admin socket "
                        + socket + " does not answer (wait until the relay has started, or check admin_socket in its configuration)");
            }
            throw e;
        }
    }

    @Override
    public QueueSettings queueToRecover() {
        if (AdminSocketClient.answers(socket)) {
            throw new CliException("the relay is running (its admin socket " + socket + " answers): stop it first");
        }
        return settings;
    }

    @Override
    public synchronized CliRouting routing() {
        return CliRouting.fromConfig(config, () -> {
            if (dns == null) {
                dns = CliRouting.systemDns();
            }
            return dns;
        });
    }

    /**
     * The users file of the configuration ({@code auth_users_file}), for {@code relayctl user},
     * which always runs here. Looked up by name so that relayctl follows the key wherever the
     * configuration defines it.
     */
    @Override
    public Path usersFile() {
        Key<?> key = ConfigKeys.BY_NAME.get(USERS_FILE_KEY);
        Object value = key == null ? null : config.get(key);
        if (value instanceof Optional<?> o) {
            value = o.orElse(null);
        }
        if (value instanceof Path p) {
            return p;
        }
        return CliContext.super.usersFile();
    }

    @Override
    public String reload() {
        throw new CliException(notRunning() + ": there is nothing to reload (start it with bin/relay)");
    }

    @Override
    public boolean relayRunning() {
        return false;
    }

    /**
     * "relay not running", with where relayctl looked: the socket, the data folder and the
     * configuration that named them, so that a relayctl that reads another configuration than the
     * relay (another -c, RELAY_CONF or installation) shows it at once.
     */
    String notRunning() {
        return "relay not running: no answer on the admin socket " + socket + " (data folder " + config.dataDirectory()
                + ", configuration " + config.sourceName() + ")";
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public String where() {
        return notRunning() + "; relayctl works on the queue files in " + settings.dataDirectory();
    }

    @Override
    public synchronized void close() {
        if (queue != null) {
            queue.close();
            queue = null;
        }
        if (dns != null) {
            dns.close();
            dns = null;
        }
    }
}
