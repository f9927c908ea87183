package dev.relay.queue;

import dev.relay.mail.SmtpReply;
import java.time.Instant;

/**
 * What happened to one recipient at one attempt, as the forwarder reports it. {@code nextHop} is
 * the next hop as relayctl shows it: the server that answered, e.g. {@code mx.example.org[192.0.2.5]:25},
 * or {@code local}; when no session could be opened (or the next hop was marked down), the route's
 * next hop, e.g. {@code example.org:25} or {@code [10.0.0.5]:25}.
 */
public sealed interface Outcome {

    SmtpReply reply();

    String nextHop();

    /** Final: the next hop took it, or it was delivered locally. */
    record Delivered(SmtpReply reply, String nextHop) implements Outcome {
    }

    /** Temporary failure: try again at {@code nextAttempt}. {@code delayNoticeSent}: a DELAY DSN went out for it now. */
    record Deferred(SmtpReply reply, String nextHop, Instant nextAttempt, boolean delayNoticeSent) implements Outcome {
    }

    /** Final: permanent failure (the bounce, if due, has been enqueued before this is reported). */
    record Failed(SmtpReply reply, String nextHop) implements Outcome {
    }
}
