package dev.relay.dist.cli;

import dev.relay.dist.config.RelayConfig;
import dev.relay.queue.QueueSettings;
import dev.relay.queue.jdbc.H2MessageQueue;
import java.nio.file.Path;

/**
 * Where the queue of a configuration lives, for relayctl's direct mode: exactly the settings the
 * relay opens its queue with ({@link RelayConfig#queueSettings()}: {@code queue_directory},
 * by default {@code $data_directory/queue}, holding {@code queue.mv.db}).
 */
public final class QueueLocation {
    private QueueLocation() {
    }

    /** The queue settings of {@code config}. */
    public static QueueSettings settings(RelayConfig config) {
        return config.queueSettings();
    }

    /** The database file of {@code settings}, as H2 names it. */
    public static Path databaseFile(QueueSettings settings) {
        return settings.dataDirectory().toAbsolutePath().normalize().resolve(H2MessageQueue.DATABASE_NAME + ".mv.db");
    }
}
