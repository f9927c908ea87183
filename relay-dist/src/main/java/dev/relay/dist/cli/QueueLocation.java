package dev.relay.dist.cli;

import dev.relay.dist.config.RelayConfig;
import dev.relay.queue.QueueSettings;
import dev.relay.queue.jdbc.H2MessageQueue;
import java.nio.file.Path;

/**
 * Where the queue of a configuration lives. The relay and relayctl's direct mode both ask here,
 * so that they always open the same files: the folder {@code queue} of the data folder, holding
 * {@code queue.mv.db}.
 */
public final class QueueLocation {
    private QueueLocation() {
    }

    /** The queue settings of {@code config}. */
    public static QueueSettings settings(RelayConfig config) {
        return QueueSettings.defaults(config.dataDirectory().resolve("queue"));
    }

    /** The database file of {@code settings}, as H2 names it. */
    public static Path databaseFile(QueueSettings settings) {
        return settings.dataDirectory().toAbsolutePath().normalize().resolve(H2MessageQueue.DATABASE_NAME + ".mv.db");
    }
}
