package dev.relay.client.delivery;

import static dev.relay.client.delivery.AttemptRecorder.oneLine;

import dev.relay.client.delivery.AttemptRecorder.Done;
import dev.relay.client.routing.Decision;
import dev.relay.client.routing.NextHop;
import dev.relay.client.routing.Router;
import dev.relay.mail.Path;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where claimed recipients wait for a session: planning (route each recipient, group the
 * recipients of one message by next hop and reverse-path into jobs of at most
 * {@link DeliverySettings#recipientsPerTransaction()}), one queue of jobs per destination,
 * the concurrency limits (in total and per destination), and the host-down marks.
 *
 * <p>Paths. The reverse-path is rewritten by the source-route mode ({@link Router#outgoingReversePath}):
 * in {@code rfc821} mode only for recipients that came with a source route, so the recipients of one
 * message for one next hop are grouped by next hop <em>and</em> reverse-path, one transaction per
 * reverse-path. The forward-path is rewritten by the router (our names taken off the front of the route).
 *
 * <p>Locking. One lock guards every destination and the session counts; the scheduler waits on
 * its own condition of that lock ({@link #awaitWork}), each destination's idle sessions on theirs.
 */
final class Destinations {

    /** The engine's log: operators read these lines under its name. */
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryEngine.class);
    /** The key and log name of local delivery. */
    static final String LOCAL = "local";

    /** One next hop (or local delivery) with its waiting jobs and its sessions. Guarded by the lock. */
    static final class Destination {
        final String key;
        /** Null for local delivery. */
        final NextHop hop;
        final int limit;
        final ArrayDeque<Job> jobs = new ArrayDeque<>();
        /** Signalled once per job added; idle sessions of this destination wait on it. */
        final Condition jobAdded;
        int active;
        int idle;
        Instant downUntil;
        SmtpReply downReply;

        Destination(String key, NextHop hop, int limit, Condition jobAdded) {
            this.key = key;
            this.hop = hop;
            this.limit = limit;
            this.jobAdded = jobAdded;
        }

        /** What the queue records as the next hop of jobs that got no session. */
        String nextHopName() {
            return hop == null ? LOCAL : hop.destination();
        }
    }

    /** A job deferred without a session because its destination is down. */
    record Suspended(Job job, SmtpReply why, String nextHop) {
    }

    private final DeliverySettings settings;
    private final InFlight inFlight;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition schedulerWake = lock.newCondition();
    private final Map<String, Destination> destinations = new LinkedHashMap<>();
    private int activeSessions;
    private boolean kicked;

    Destinations(DeliverySettings settings, InFlight inFlight) {
        this.settings = settings;
        this.inFlight = inFlight;
    }

    /** The lock of every destination, for the engine's lifecycle changes. */
    ReentrantLock lock() {
        return lock;
    }

    // ---------------------------------------------------------------- planning

    /**
     * Routes the recipients of one claimed message and queues its jobs. Recipients decided without
     * a session (an administrator's bounce, a routing failure) are handed to {@code immediate}
     * first, before any job is queued.
     */
    void plan(ClaimedMessage m, Router router, Consumer<List<Done>> immediate) {
        Map<String, List<Job.Item>> groups = new LinkedHashMap<>();
        Map<String, NextHop> hops = new HashMap<>();
        Map<String, Path> reversePaths = new HashMap<>();
        List<Done> decided = new ArrayList<>();
        for (ClaimedRecipient cr : m.recipients()) {
            if (!inFlight.admit(cr.id())) {
                continue; // still in our hands from an earlier claim whose lease ran out
            }
            if (cr.adminBounceReason() != null) {
                decided.add(Done.withoutSession(cr, SmtpReply.of(550, "5.0.0", "bounced by the administrator: "
                        + oneLine(cr.adminBounceReason()))));
                continue;
            }
            Decision d;
            try {
                d = router.route(cr.recipient().forwardPath());
            } catch (RuntimeException e) {
                decided.add(Done.withoutSession(cr, SmtpReply.of(451, "4.3.0", "routing failed: " + oneLine(e.toString()))));
                continue;
            }
            if (d instanceof Decision.Local l) {
                groups.computeIfAbsent(LOCAL, k -> new ArrayList<>()).add(new Job.Item(cr, cr.recipient().forwardPath(), l.mailbox()));
            } else if (d instanceof Decision.Relay r) {
                Path reversePath = outgoingReversePath(m, cr, router);
                String group = r.nextHop() + " " + reversePath;
                hops.putIfAbsent(group, r.nextHop());
                reversePaths.putIfAbsent(group, reversePath);
                groups.computeIfAbsent(group, k -> new ArrayList<>()).add(new Job.Item(cr, r.forwardPath(), null));
            }
        }
        if (!decided.isEmpty()) {
            immediate.accept(decided);
        }
        if (!groups.isEmpty()) {
            queueJobs(m, groups, hops, reversePaths);
        }
    }

    private static Path outgoingReversePath(ClaimedMessage m, ClaimedRecipient cr, Router router) {
        try {
            return router.outgoingReversePath(m.envelope().reversePath(), cr.recipient().forwardPath());
        } catch (IllegalArgumentException e) {
            // Our name does not fit in front of it (RFC 5321 4.5.3.1.3: a path has 256 octets at
            // most): send it as received rather than fail mail over an optional decoration.
            LOG.warn("{}: reverse-path {} sent as received: {}", m.id(), m.envelope().reversePath(),
                    oneLine(e.getMessage()));
            return m.envelope().reversePath();
        }
    }

    private void queueJobs(ClaimedMessage m, Map<String, List<Job.Item>> groups, Map<String, NextHop> hops,
                           Map<String, Path> reversePaths) {
        int perJob = settings.recipientsPerTransaction();
        lock.lock();
        try {
            for (Map.Entry<String, List<Job.Item>> g : groups.entrySet()) {
                NextHop hop = hops.get(g.getKey());
                Path reversePath = hop == null ? m.envelope().reversePath() : reversePaths.get(g.getKey());
                Destination dest = destination(hop);
                List<Job.Item> items = g.getValue();
                for (int i = 0; i < items.size(); i += perJob) {
                    dest.jobs.add(new Job(m, reversePath, List.copyOf(items.subList(i, Math.min(items.size(), i + perJob)))));
                    // One idle session per job, of this destination only: waking every idle
                    // session of every destination for each job cost a context switch each.
                    dest.jobAdded.signal();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The destination of {@code hop} (null: local delivery), made on first use. Under the lock. */
    private Destination destination(NextHop hop) {
        String key = hop == null ? LOCAL : hop.toString();
        return destinations.computeIfAbsent(key, k -> new Destination(k, hop,
                hop != null && hop.concurrency() > 0 ? hop.concurrency() : settings.destinationConcurrency(),
                lock.newCondition()));
    }

    // ---------------------------------------------------------------- sessions

    /**
     * Starts sessions (through {@code start}, under the lock) where jobs wait and the limits allow;
     * takes the jobs of destinations that are down and returns them, to be deferred by the caller
     * outside the lock. Forgets destinations with nothing left to do.
     */
    List<Suspended> dispatch(Instant now, boolean running, Consumer<Destination> start) {
        List<Suspended> suspended = new ArrayList<>();
        lock.lock();
        try {
            if (!running) {
                return suspended;
            }
            for (Iterator<Destination> it = destinations.values().iterator(); it.hasNext(); ) {
                Destination d = it.next();
                if (d.downUntil != null && !now.isBefore(d.downUntil)) {
                    d.downUntil = null;
                    d.downReply = null;
                }
                if (d.jobs.isEmpty()) {
                    if (d.active == 0 && d.downUntil == null) {
                        it.remove();
                    }
                } else if (d.downUntil != null) {
                    SmtpReply why = suspended(d.downReply);
                    while (!d.jobs.isEmpty()) {
                        suspended.add(new Suspended(d.jobs.poll(), why, d.nextHopName()));
                    }
                } else {
                    startSessions(d, start);
                }
            }
        } finally {
            lock.unlock();
        }
        return suspended;
    }

    private void startSessions(Destination d, Consumer<Destination> start) {
        while (!d.jobs.isEmpty() && d.active < d.limit && activeSessions < settings.totalConcurrency()
                && d.jobs.size() > d.idle) {
            d.active++;
            activeSessions++;
            start.accept(d);
        }
    }

    /** A session of {@code d} ended: frees its slot and wakes the scheduler. */
    void sessionEnded(Destination d) {
        lock.lock();
        try {
            d.active--;
            activeSessions--;
            schedulerWake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Sessions running now. */
    int activeSessions() {
        lock.lock();
        try {
            return activeSessions;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next job of a destination; waits up to {@code idle} for one; null when there is none, the
     * destination is down, or {@code running} says the engine stops.
     */
    Job nextJob(Destination d, Duration idle, BooleanSupplier running) {
        lock.lock();
        try {
            long nanos = idle.toNanos();
            while (true) {
                if (!running.getAsBoolean()) {
                    return null;
                }
                Job job = d.jobs.poll();
                if (job != null) {
                    return job;
                }
                if (nanos <= 0 || d.downUntil != null) {
                    return null;
                }
                d.idle++;
                try {
                    nanos = d.jobAdded.awaitNanos(nanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                } finally {
                    d.idle--;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- host down

    /**
     * Marks {@code d} down until {@code until}: its idle sessions end, nothing goes there until it is
     * up again. Returns the jobs that were waiting for it, to be deferred by the caller.
     */
    List<Job> markDown(Destination d, Instant until, SmtpReply why) {
        lock.lock();
        try {
            d.downUntil = until;
            d.downReply = why;
            List<Job> waiting = new ArrayList<>(d.jobs);
            d.jobs.clear();
            d.jobAdded.signalAll();
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    /** Forgets every host-down mark, so the next claim tries them again (relayctl flush). */
    void clearHostsDown() {
        lock.lock();
        try {
            for (Destination d : destinations.values()) {
                d.downUntil = null;
                d.downReply = null;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The reply recorded for the jobs of a destination that is down ("delivery temporarily suspended", as Postfix). */
    static SmtpReply suspended(SmtpReply why) {
        SmtpReply w = why == null ? SmtpReply.of(451, "4.4.1", "next hop unreachable") : why;
        return new SmtpReply(w.code(), w.status(), List.of("delivery temporarily suspended: " + w.text()));
    }

    // ---------------------------------------------------------------- scheduler signal

    /** Wakes the scheduler now. */
    void kick() {
        lock.lock();
        try {
            kicked = true;
            schedulerWake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the scheduler without asking for a claim (a session ended, recipients were reported back). */
    void wakeScheduler() {
        lock.lock();
        try {
            schedulerWake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The scheduler waits up to {@code millis} unless kicked since it last looked, or stopped. */
    void awaitWork(long millis, BooleanSupplier running) {
        lock.lock();
        try {
            if (!kicked && running.getAsBoolean()) {
                schedulerWake.await(millis, TimeUnit.MILLISECONDS);
            }
            kicked = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The engine stops: takes every waiting job (returned, to be given back to the queue) and wakes
     * the scheduler and every idle session.
     */
    List<Job> drainForStop() {
        lock.lock();
        try {
            List<Job> waiting = new ArrayList<>();
            for (Destination d : destinations.values()) {
                waiting.addAll(d.jobs);
                d.jobs.clear();
            }
            schedulerWake.signalAll();
            destinations.values().forEach(d -> d.jobAdded.signalAll());
            return waiting;
        } finally {
            lock.unlock();
        }
    }
}
