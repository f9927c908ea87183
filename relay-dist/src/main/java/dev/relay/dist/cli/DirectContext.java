package dev.relay.dist.cli;

import dev.relay.dist.config.RelayConfig;
import dev.relay.queue.QueueAdmin;
import java.time.Clock;

/**
 * relayctl's context when no relay runs: it works on the queue files of the data folder itself.
 * It never creates a queue: a data folder without one is an error (a wrong data_directory or
 * working directory would otherwise give an empty queue and a false "Mail queue is empty").
 */
final class DirectContext implements CliContext, AutoCloseable {

    private final RelayConfig config;

    DirectContext(RelayConfig config) {
        this.config = config;
    }

    @Override
    public QueueAdmin queue() {
        throw new CliException("the relay is not running (no answer on " + config.adminSocket()
                + "), and this build cannot open the queue without it yet");
    }

    @Override
    public String reload() {
        throw new CliException("the relay is not running (no answer on " + config.adminSocket()
                + "): there is nothing to reload (start it with bin/relay)");
    }

    @Override
    public Clock clock() {
        return Clock.systemUTC();
    }

    @Override
    public void close() {
        // nothing opened yet
    }
}
