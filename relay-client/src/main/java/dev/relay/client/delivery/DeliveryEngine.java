package dev.relay.client.delivery;

import dev.relay.client.delivery.AttemptRecorder.Done;
import dev.relay.client.delivery.Destinations.Destination;
import dev.relay.client.retry.RetryPolicy;
import dev.relay.client.routing.Router;
import dev.relay.client.routing.TargetResolver;
import dev.relay.client.transport.SmtpTransport;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.MessageQueue;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarder's delivery engine: takes due recipients from the queue and delivers them. This
 * class holds the lifecycle (start, wake-up, graceful stop) and the claim loop; its parts are
 * {@link Destinations} (planning, the per-destination job queues, concurrency and host-down
 * marks), {@link RemoteSession} (an SMTP session with backup servers) and {@link AttemptRecorder}
 * (outcomes, counters and the hand-off to the DSN service).
 *
 * <p>Threads. One scheduler thread claims due recipients in batches (at most
 * {@link DeliverySettings#maxPendingRecipients()} in memory), routes each one, groups the
 * recipients of one message for one next hop into jobs of at most
 * {@link DeliverySettings#recipientsPerTransaction()} (one SMTP transaction each: MAIL, several
 * RCPT, DATA; RFC 5321 section 4.5.4.1 encourages this), and queues the jobs per destination.
 * Session threads (at most {@link DeliverySettings#totalConcurrency()}, at most the destination's
 * limit per destination) each open one connection and run the destination's jobs on it one after
 * the other, until the reuse limit, or until no job came for
 * {@link DeliverySettings#connectionIdleTime()}; then QUIT.
 *
 * <p>Outcomes. 2xx delivered; 5xx failed at once (RFC 5321 section 4.2.1); 4xx, I/O errors and
 * timeouts deferred with the {@link RetryPolicy}'s backoff, and failed with "expired" when the
 * queue lifetime is over. Every attempt is reported to the {@link BounceSink} before the queue
 * records it, so a bounce is never lost. A destination where no session could be opened is
 * marked down for {@code retry.host-down-time}: its waiting recipients are deferred without a
 * connection ("delivery temporarily suspended", as Postfix does).
 *
 * <p>Duplicates. A crash may repeat a delivery (at least once), never lose one. Within the process,
 * a recipient in our hands is never handed out twice, even if its lease ran out and a later claim
 * returned it again ({@link InFlight}).
 */
public final class DeliveryEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryEngine.class);

    private enum State { NEW, RUNNING, STOPPING, STOPPED }

    private final DeliverySettings settings;
    private final MessageQueue queue;
    private volatile Router router;
    private final SmtpTransport transport;
    private final LocalDelivery local;
    private final Clock clock;
    private final String owner;

    private final InFlight inFlight;
    private final Destinations destinations;
    private final AttemptRecorder recorder;
    private final RemoteSession remote;
    private volatile State state = State.NEW;
    private Thread scheduler;
    private ThreadPoolExecutor sessions;

    /**
     * @param settings  limits
     * @param queue     the durable queue
     * @param router    the routing decisions
     * @param resolver  next hop to addresses (DNS)
     * @param transport the SMTP client
     * @param retry     backoff, lifetime, host-down time; its clock must be {@code clock}
     * @param bounces   gets every attempt's results, for DSNs
     * @param local     delivery to local mailboxes
     * @param clock     the time that decides (the queue's clock)
     * @param meters    where the counters go
     */
    public DeliveryEngine(DeliverySettings settings, MessageQueue queue, Router router, TargetResolver resolver,
                          SmtpTransport transport, RetryPolicy retry, BounceSink bounces, LocalDelivery local,
                          Clock clock, MeterRegistry meters) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.queue = Objects.requireNonNull(queue, "queue");
        this.router = Objects.requireNonNull(router, "router");
        Objects.requireNonNull(resolver, "resolver");
        this.transport = Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(retry, "retry");
        this.local = local == null ? LocalDelivery.NONE : local;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.owner = "forwarder-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
        this.inFlight = new InFlight(this::recipientsReported);
        this.destinations = new Destinations(settings, inFlight);
        this.recorder = new AttemptRecorder(queue, retry, bounces == null ? BounceSink.NONE : bounces, clock,
                inFlight, meters);
        this.remote = new RemoteSession(settings, queue, resolver, transport, retry, destinations, recorder, clock,
                this::running, meters);
        Gauge.builder("relay.delivery.sessions.active", this, e -> e.activeSessionCount())
                .description("outbound SMTP sessions and local deliveries running now").register(meters);
        Gauge.builder("relay.delivery.pending", inFlight.counter(), p -> p.get())
                .description("recipients claimed from the queue and not yet reported back").register(meters);
    }

    /** The router in use. */
    public Router router() {
        return router;
    }

    /**
     * Swaps the router (a reloaded route table or routing settings): recipients claimed from now on
     * are routed with it; sessions already open finish with the old one. Never drops a connection.
     */
    public void router(Router newRouter) {
        this.router = Objects.requireNonNull(newRouter, "router");
    }

    /** The claim owner name of this engine (in the queue's lease columns). */
    public String owner() {
        return owner;
    }

    /** Starts the scheduler and the session pool. */
    public void start() {
        ReentrantLock lock = destinations.lock();
        lock.lock();
        try {
            if (state != State.NEW) {
                throw new IllegalStateException("delivery engine already started");
            }
            state = State.RUNNING;
            AtomicInteger n = new AtomicInteger();
            sessions = new ThreadPoolExecutor(settings.totalConcurrency(), settings.totalConcurrency(), 30,
                    TimeUnit.SECONDS, new LinkedBlockingQueue<>(), task -> {
                        Thread t = new Thread(task, "delivery-" + n.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
            sessions.allowCoreThreadTimeOut(true);
            scheduler = new Thread(this::schedule, "delivery-scheduler");
            scheduler.setDaemon(true);
            scheduler.start();
        } finally {
            lock.unlock();
        }
        LOG.info("delivery engine started: {} sessions in total, {} per destination, owner {}",
                settings.totalConcurrency(), settings.destinationConcurrency(), owner);
    }

    /** Looks at the queue now (call after an enqueue, or after relayctl flush). */
    public void wakeUp() {
        destinations.kick();
    }

    /** Forgets every host-down mark, so the next claim tries them again (relayctl flush). */
    public void clearHostsDown() {
        destinations.clearHostsDown();
    }

    /** Sessions running now. */
    public int activeSessionCount() {
        return destinations.activeSessions();
    }

    /** Claimed recipients not yet reported. */
    public int pendingRecipients() {
        return inFlight.pending();
    }

    private boolean running() {
        return state == State.RUNNING;
    }

    /** Recipients left our hands: there is room to claim more. */
    private void recipientsReported() {
        destinations.wakeScheduler();
    }

    /**
     * Stops: no more claims; recipients waiting for a session are given back to the queue at once;
     * sessions finish the transaction they are in and QUIT. Sessions still running after
     * {@code timeout} are cut (their open recipients are deferred, a delivery may then be repeated
     * later, never lost); whatever is still claimed after that is released. Returns within about
     * {@code timeout} plus the time to record the cut transactions.
     */
    public void stop(Duration timeout) {
        List<Job> waiting;
        ReentrantLock lock = destinations.lock();
        lock.lock();
        try {
            if (state != State.RUNNING) {
                state = State.STOPPED;
                return;
            }
            state = State.STOPPING;
            waiting = destinations.drainForStop();
        } finally {
            lock.unlock();
        }
        for (Job job : waiting) {
            recorder.release(job);
        }
        awaitSessions(timeout);
        releaseLeases();
        state = State.STOPPED;
        LOG.info("delivery engine stopped");
    }

    /** Lets the sessions finish within {@code timeout}; then cuts their connections. */
    private void awaitSessions(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            scheduler.join(Math.max(1, timeout.toMillis()));
            sessions.shutdown();
            if (!sessions.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                LOG.warn("delivery: {} sessions still busy after {}; closing their connections", activeSessionCount(), timeout);
                transport.abortAll();
                sessions.shutdownNow();
                sessions.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void releaseLeases() {
        try {
            int released = queue.releaseLeases(owner);
            if (released > 0) {
                LOG.info("delivery: released {} recipients still claimed at stop", released);
            }
        } catch (RuntimeException e) {
            LOG.warn("delivery: could not release leases at stop: {}", e.toString());
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(30));
    }

    // ---------------------------------------------------------------- the claim loop

    private void schedule() {
        while (state == State.RUNNING) {
            boolean more = false;
            try {
                more = claimAndPlan();
                dispatch();
            } catch (RuntimeException e) {
                LOG.warn("delivery: scheduler: {}", e.toString());
                more = false;
            }
            if (!more) {
                awaitWork();
            }
        }
    }

    /** Claims what room allows and plans it; true when the queue may have more due right now. */
    private boolean claimAndPlan() {
        int room = settings.maxPendingRecipients() - inFlight.pending();
        if (room <= 0) {
            return false;
        }
        int ask = Math.min(room, settings.claimBatch());
        List<ClaimedMessage> claimed = queue.claim(owner, ask, settings.lease());
        int got = 0;
        for (ClaimedMessage m : claimed) {
            got += m.recipients().size();
            Instant now = clock.instant();
            destinations.plan(m, this.router, decided -> recorder.record(m, decided, now));
        }
        return got >= ask;
    }

    /** Waits until woken, until the next recipient is due, or for the poll interval. */
    private void awaitWork() {
        long waitMs = settings.pollInterval().toMillis();
        if (inFlight.pending() < settings.maxPendingRecipients()) {
            try {
                Instant due = queue.nextDue().orElse(null);
                if (due != null) {
                    long untilDue = Duration.between(clock.instant(), due).toMillis();
                    waitMs = Math.max(10, Math.min(waitMs, untilDue));
                }
            } catch (RuntimeException e) {
                LOG.warn("delivery: queue: {}", e.toString());
            }
        }
        destinations.awaitWork(waitMs, this::running);
    }

    /** Starts sessions where jobs wait and limits allow; defers the jobs of destinations that are down. */
    private void dispatch() {
        List<Destinations.Suspended> suspended = destinations.dispatch(clock.instant(), running(),
                d -> sessions.execute(() -> runSession(d)));
        for (Destinations.Suspended s : suspended) {
            recorder.defer(s.job(), s.why(), "none", null, s.nextHop());
        }
    }

    // ---------------------------------------------------------------- sessions

    private void runSession(Destination d) {
        try {
            if (d.hop == null) {
                runLocal(d);
            } else {
                remote.run(d);
            }
        } catch (RuntimeException | Error e) {
            LOG.error("delivery: session to {} failed unexpectedly", d.key, e);
        } finally {
            destinations.sessionEnded(d);
            dispatch();
        }
    }

    private void runLocal(Destination d) {
        for (Job job = destinations.nextJob(d, Duration.ZERO, this::running); job != null;
             job = destinations.nextJob(d, Duration.ZERO, this::running)) {
            ClaimedMessage m = job.message();
            List<Done> done = new ArrayList<>(job.items().size());
            Instant at = clock.instant();
            for (Job.Item item : job.items()) {
                SmtpReply reply;
                try {
                    reply = local.deliver(m.id(), item.mailbox(), m.envelope().reversePath(), () -> queue.openBody(m.id()));
                } catch (RuntimeException e) {
                    reply = SmtpReply.of(451, "4.3.0", "local delivery failed: " + AttemptRecorder.oneLine(e.toString()));
                }
                done.add(Done.of(item.recipient(), reply, Destinations.LOCAL, null, false, item.sentAs(), true));
            }
            recorder.record(m, done, at);
        }
    }
}
