package dev.relay.dist.cli;

import dev.relay.queue.QueueSettings;
import dev.relay.queue.jdbc.H2MessageQueue;
import java.nio.file.Path;
import java.time.Clock;

/**
 * A child process that stands for a running relay whose admin socket does not answer: it opens
 * the queue in the folder given as argument, says "ready", and holds it until its standard input
 * closes.
 */
public final class QueueHolder {
    private QueueHolder() {
    }

    public static void main(String[] args) throws Exception {
        try (H2MessageQueue q = H2MessageQueue.open(QueueSettings.defaults(Path.of(args[0])), Clock.systemUTC())) {
            System.out.println("ready " + q.admin().list(null, 0, 10).size());
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the queue until the parent closes our standard input
            }
        }
    }
}
