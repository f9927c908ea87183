package dev.relay.client.delivery;

import dev.relay.client.retry.RetryPolicy;
import dev.relay.mail.EnhancedStatus;
import dev.relay.mail.Path;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.MessageQueue;
import dev.relay.queue.Outcome;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records what delivery attempts did: applies the retry policy, hands every attempt to the
 * {@link BounceSink} first (so a failure's DSN is durable before the failure is), then records the
 * outcome in the queue, counts it and logs a Postfix-style line per recipient:
 * {@code QUEUEID: to=<...>, relay=host[addr]:port, delay=1.2, dsn=2.0.0, status=sent (250 ...)}.
 *
 * <p>Every path that ends the engine's hold on a recipient comes here: {@link #record},
 * {@link #defer} and {@link #fail} report an attempt, {@link #release} gives recipients back
 * unattempted (at stop). Each one forgets the recipients in {@link InFlight} afterwards, even when
 * the queue could not be written (their lease then runs out and they are claimed again).
 */
final class AttemptRecorder {

    /** The engine's log: operators read these lines under its name. */
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryEngine.class);

    /** What an attempt did to a recipient, as counted and logged ({@code status=} of the log line). */
    enum Status {
        /** Delivered locally or relayed. */
        SENT("sent"),
        /** To be tried again (or kept because its bounce could not be stored). */
        DEFERRED("deferred"),
        /** Failed permanently; a DSN goes to the sender. */
        BOUNCED("bounced"),
        /** Given up after the queue lifetime; a DSN goes to the sender. */
        EXPIRED("expired");

        private final String word;

        Status(String word) {
            this.word = word;
        }

        /** The word of the log line and of the counter's {@code status} tag. */
        String word() {
            return word;
        }
    }

    /**
     * What an attempt did to one recipient, before retry policy and bounces are applied. {@code relay}
     * is the log's {@code relay=} field; {@code nextHop} what the queue records (the server that
     * answered, or the route's next hop when none did).
     */
    record Done(ClaimedRecipient recipient, SmtpReply reply, String relay, String remoteMta,
                boolean dsnOffered, Path sentAs, boolean local, String nextHop) {

        static Done of(ClaimedRecipient r, SmtpReply reply, String relay, String remoteMta, boolean dsnOffered,
                       Path sentAs, boolean local) {
            return new Done(r, reply, relay, remoteMta, dsnOffered, sentAs, local, relay);
        }

        /** Decided before any session (an administrator's bounce, a routing failure): {@code relay=none}. */
        static Done withoutSession(ClaimedRecipient r, SmtpReply reply) {
            return new Done(r, reply, "none", null, false, null, false, "none");
        }

        Done at(String hop) {
            return new Done(recipient, reply, relay, remoteMta, dsnOffered, sentAs, local, hop);
        }
    }

    private final MessageQueue queue;
    private final RetryPolicy retry;
    private final BounceSink bounces;
    private final Clock clock;
    private final InFlight inFlight;
    private final Map<Status, Counter> counters = new EnumMap<>(Status.class);

    AttemptRecorder(MessageQueue queue, RetryPolicy retry, BounceSink bounces, Clock clock, InFlight inFlight,
                    MeterRegistry meters) {
        this.queue = queue;
        this.retry = retry;
        this.bounces = bounces;
        this.clock = clock;
        this.inFlight = inFlight;
        // One HELP text per metric name: Prometheus shows one for all the series of a name.
        String outcomes = "recipient delivery attempts by outcome: sent (delivered or relayed), deferred"
                + " (to be tried again), bounced (failed permanently), expired (given up after the queue lifetime)";
        for (Status s : Status.values()) {
            counters.put(s, Counter.builder("relay.delivery.recipients").tag("status", s.word())
                    .description(outcomes).register(meters));
        }
    }

    /**
     * Defers a job that got no transaction: {@code relay} is what the log says ({@code none} when no
     * session was opened, as in Postfix), {@code nextHop} what the queue records for relayctl. A
     * permanent reply is recorded as 451 with its text: the job was never offered to a server.
     */
    void defer(Job job, SmtpReply reply, String relay, String remoteMta, String nextHop) {
        SmtpReply r = reply.isTransient() ? reply : new SmtpReply(451, reply.status(), reply.lines());
        record(job.message(), unsent(job, r, relay, remoteMta, nextHop), clock.instant());
    }

    /** Fails a job that got no transaction (a permanent DNS answer). */
    void fail(Job job, SmtpReply reply, String relay, String remoteMta, String nextHop, Instant at) {
        record(job.message(), unsent(job, reply, relay, remoteMta, nextHop), at);
    }

    private static List<Done> unsent(Job job, SmtpReply reply, String relay, String remoteMta, String nextHop) {
        List<Done> done = new ArrayList<>();
        for (Job.Item item : job.items()) {
            done.add(Done.of(item.recipient(), reply, relay, remoteMta, false, item.sentAs(), false).at(nextHop));
        }
        return done;
    }

    /** Gives a job back to the queue unattempted (the engine stops). */
    void release(Job job) {
        List<Long> ids = job.recipientIds();
        try {
            queue.release(job.message().id(), ids);
        } catch (RuntimeException e) {
            LOG.warn("{}: could not release {} recipients: {}", job.message().id(), ids.size(), e.toString());
        } finally {
            inFlight.forget(ids);
        }
    }

    /**
     * Reports one attempt: to the bounce sink first (so a failure's DSN is durable before the
     * failure is), then to the queue; counts and logs a line per recipient.
     */
    void record(ClaimedMessage m, List<Done> done, Instant at) {
        Instant arrival = m.envelope().origin().arrival();
        boolean isBounce = m.envelope().reversePath().isNull();
        RecipientReport.Kind[] kinds = classify(done, retry.expired(arrival, isBounce));
        Set<Long> delayNotices = notifyBounces(m, done, kinds, at, retry.expiry(arrival, isBounce));
        Status[] status = new Status[done.size()];
        List<RecipientOutcome> outcomes = outcomes(done, kinds, delayNotices, at, arrival, isBounce, status);
        store(m.id(), done, outcomes);
        logAndCount(m.id(), arrival, done, kinds, status);
    }

    /** 2xx delivered (locally or relayed), 5xx failed, else deferred, or expired once the lifetime is over. */
    private static RecipientReport.Kind[] classify(List<Done> done, boolean over) {
        RecipientReport.Kind[] kinds = new RecipientReport.Kind[done.size()];
        for (int i = 0; i < done.size(); i++) {
            Done d = done.get(i);
            if (d.reply().isPositive()) {
                kinds[i] = d.local() ? RecipientReport.Kind.DELIVERED_LOCALLY : RecipientReport.Kind.RELAYED;
            } else if (d.reply().isPermanent()) {
                kinds[i] = RecipientReport.Kind.FAILED;
            } else {
                kinds[i] = over ? RecipientReport.Kind.EXPIRED : RecipientReport.Kind.DEFERRED;
            }
        }
        return kinds;
    }

    /**
     * Hands the attempt to the bounce sink; returns the recipients whose delay notice went out, or
     * null when the notifications could not be stored (failures then stay queued).
     */
    private Set<Long> notifyBounces(ClaimedMessage m, List<Done> done, RecipientReport.Kind[] kinds, Instant at,
                                    Instant expiry) {
        List<RecipientReport> reports = new ArrayList<>(done.size());
        for (int i = 0; i < done.size(); i++) {
            Done d = done.get(i);
            reports.add(new RecipientReport(d.recipient(), kinds[i], d.reply(), d.remoteMta(), d.dsnOffered(), at,
                    kinds[i] == RecipientReport.Kind.DEFERRED ? expiry : null));
        }
        try {
            return bounces.report(m, reports);
        } catch (RuntimeException e) {
            LOG.warn("{}: could not store delivery status notifications, failures stay queued: {}", m.id(), e.toString());
            return null;
        }
    }

    /** The queue's outcome of each recipient; fills {@code status} with what is counted and logged. */
    private List<RecipientOutcome> outcomes(List<Done> done, RecipientReport.Kind[] kinds, Set<Long> delayNotices,
                                            Instant at, Instant arrival, boolean isBounce, Status[] status) {
        boolean notified = delayNotices != null;
        List<RecipientOutcome> outcomes = new ArrayList<>(done.size());
        for (int i = 0; i < done.size(); i++) {
            Done d = done.get(i);
            long rid = d.recipient().id();
            Outcome o;
            switch (kinds[i]) {
                case DELIVERED_LOCALLY, RELAYED -> {
                    o = new Outcome.Delivered(d.reply(), d.nextHop());
                    status[i] = Status.SENT;
                }
                case FAILED, EXPIRED -> {
                    if (notified) {
                        o = new Outcome.Failed(d.reply(), d.nextHop());
                        status[i] = kinds[i] == RecipientReport.Kind.FAILED ? Status.BOUNCED : Status.EXPIRED;
                    } else {
                        // The bounce could not be stored: keep the recipient, try again soon.
                        o = new Outcome.Deferred(d.reply(), d.nextHop(), at.plus(retry.settings().minBackoff()), false);
                        status[i] = Status.DEFERRED;
                    }
                }
                default -> {
                    o = new Outcome.Deferred(d.reply(), d.nextHop(), retry.nextAttempt(arrival, isBounce),
                            notified && delayNotices.contains(rid));
                    status[i] = Status.DEFERRED;
                }
            }
            outcomes.add(new RecipientOutcome(rid, o));
        }
        return outcomes;
    }

    /** Records the outcomes in one queue call; the recipients leave our hands whatever happens. */
    private void store(QueueId id, List<Done> done, List<RecipientOutcome> outcomes) {
        List<Long> ids = new ArrayList<>(done.size());
        for (Done d : done) {
            ids.add(d.recipient().id());
        }
        try {
            queue.complete(id, outcomes);
        } catch (RuntimeException e) {
            LOG.error("{}: could not record the outcome of {} recipients; they are tried again when their lease ends: {}",
                    id, outcomes.size(), e.toString());
        } finally {
            inFlight.forget(ids);
        }
    }

    private void logAndCount(QueueId id, Instant arrival, List<Done> done, RecipientReport.Kind[] kinds,
                             Status[] status) {
        String delay = seconds(Duration.between(arrival, clock.instant()).toMillis());
        for (int i = 0; i < done.size(); i++) {
            Done d = done.get(i);
            counters.get(status[i]).increment();
            Path asReceived = d.recipient().recipient().forwardPath();
            String to = d.sentAs() == null || d.sentAs().equals(asReceived) ? "to=" + asReceived
                    : "to=" + d.sentAs() + ", orig_to=" + asReceived;
            String text = status[i] == Status.EXPIRED ? "expired, returned to sender (" + d.reply() + ")"
                    : status[i].word() + " (" + d.reply() + ")";
            LOG.info("{}: {}, relay={}, delay={}, dsn={}, status={}", id, to, d.relay(),
                    delay, dsnOf(d.reply(), kinds[i]), text);
        }
    }

    /** Milliseconds as seconds with two decimals, as Postfix's delay=1.23 (String.format is costly per line). */
    static String seconds(long millis) {
        long hundredths = (Math.max(0, millis) + 5) / 10;
        long fraction = hundredths % 100;
        return (hundredths / 100) + (fraction < 10 ? ".0" : ".") + fraction;
    }

    private static String dsnOf(SmtpReply reply, RecipientReport.Kind kind) {
        if (kind == RecipientReport.Kind.EXPIRED) {
            return "4.4.7";
        }
        EnhancedStatus s = reply.status();
        return s != null ? s.toString() : (reply.code() / 100) + ".0.0";
    }

    static String oneLine(String s) {
        return s.replace('\r', ' ').replace('\n', ' ');
    }
}
