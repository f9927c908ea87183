package dev.relay.dist.console;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last hour of the relay, per minute, in memory: messages accepted, recipients delivered,
 * deferred and bounced, the queue depth by state, and delivery latency percentiles. What the
 * console's charts draw; nothing is written to disk, so a restart begins a new hour.
 *
 * <p>Design: every {@link #SAMPLE} the relay's own meters are read (the same ones {@code /metrics}
 * serves, so the charts and a Prometheus never disagree) and the growth of each counter since the
 * previous sample is added to the current minute. The latency percentiles come from the growth of
 * the buckets of {@code relay.delivery.transaction}'s histogram in that minute, interpolated
 * within a bucket as Prometheus's {@code histogram_quantile} does: they are as coarse as its
 * buckets, which is what a dashboard of the same metric would show. The queue depth is the last
 * sample of the minute. Sixty minutes are kept in a ring; the memory is fixed (a few KiB).
 */
public final class ConsoleHistory implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConsoleHistory.class);

    /** How often the meters are read. */
    public static final Duration SAMPLE = Duration.ofSeconds(10);
    /** How many minutes are kept (the current one included). */
    public static final int MINUTES = 60;
    private static final double[] QUANTILES = {0.5, 0.95, 0.99};

    private final MeterRegistry registry;
    private final Clock clock;
    private final List<Runnable> ticks;
    private final Minute[] ring = new Minute[MINUTES];
    private double lastAccepted;
    private double lastDelivered;
    private double lastDeferred;
    private double lastBounced;
    private double[] lastBuckets = new double[0];
    private double[] bucketBounds = new double[0];
    private ScheduledExecutorService scheduler;

    /** One minute of history. */
    private static final class Minute {
        final long start;
        double accepted;
        double delivered;
        double deferred;
        double bounced;
        double depthQueued = Double.NaN;
        double depthDeferred = Double.NaN;
        double depthHeld = Double.NaN;
        double[] latency = new double[0];

        Minute(long start) {
            this.start = start;
        }
    }

    /**
     * @param ticks more work to do at each sample on the same thread (e.g. refreshing gauges); a
     *              failure is logged and does not stop the sampling
     */
    public ConsoleHistory(MeterRegistry registry, Clock clock, List<Runnable> ticks) {
        this.registry = registry;
        this.clock = clock;
        this.ticks = List.copyOf(ticks);
    }

    /** Samples every {@link #SAMPLE} on a daemon thread of its own until closed. */
    public synchronized ConsoleHistory start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "console-history");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                sample();
            } catch (RuntimeException e) {
                log.warn("console history: sampling the meters failed: {}", e.toString());
            }
        }, 0, SAMPLE.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** Reads the meters once and adds their growth to the current minute (the scheduler calls it; tests do). */
    public synchronized void sample() {
        for (Runnable tick : ticks) {
            try {
                tick.run();
            } catch (RuntimeException e) {
                log.warn("console history: {}", e.toString());
            }
        }
        Minute m = current();
        double accepted = counter("relay.server.messages.accepted", null);
        double delivered = counter("relay.delivery.recipients", "sent");
        double deferred = counter("relay.delivery.recipients", "deferred");
        double bounced = counter("relay.delivery.recipients", "bounced") + counter("relay.delivery.recipients", "expired");
        m.accepted += growth(accepted, lastAccepted);
        m.delivered += growth(delivered, lastDelivered);
        m.deferred += growth(deferred, lastDeferred);
        m.bounced += growth(bounced, lastBounced);
        lastAccepted = accepted;
        lastDelivered = delivered;
        lastDeferred = deferred;
        lastBounced = bounced;
        m.depthQueued = gauge("queued");
        m.depthDeferred = gauge("deferred");
        m.depthHeld = gauge("held");
        latency(m);
    }

    /** The minute now, made (and the oldest forgotten) when it begins. */
    private Minute current() {
        long minute = clock.millis() / 60_000 * 60;
        int slot = (int) Math.floorMod(minute / 60, (long) MINUTES);
        Minute m = ring[slot];
        if (m == null || m.start != minute) {
            m = new Minute(minute);
            ring[slot] = m;
        }
        return m;
    }

    /** The growth of a counter; a counter that went back (a meter registered anew) counts from zero. */
    private static double growth(double now, double before) {
        return now >= before ? now - before : now;
    }

    private double counter(String name, String status) {
        var search = registry.find(name);
        if (status != null) {
            search = search.tag("status", status);
        }
        double sum = 0;
        for (Counter c : search.counters()) {
            sum += c.count();
        }
        return sum;
    }

    private double gauge(String state) {
        Gauge g = registry.find("relay.queue.recipients").tag("state", state).gauge();
        return g == null ? Double.NaN : g.value();
    }

    /** Adds the growth of each latency bucket (cumulative counts, as Micrometer keeps them) to the minute. */
    private void latency(Minute m) {
        Timer t = registry.find("relay.delivery.transaction").timer();
        if (t == null) {
            return;
        }
        CountAtBucket[] counts = t.takeSnapshot().histogramCounts();
        if (counts.length == 0) {
            return;
        }
        double[] now = new double[counts.length];
        double[] bounds = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            now[i] = counts[i].count();
            bounds[i] = counts[i].bucket(TimeUnit.MILLISECONDS);
        }
        if (!java.util.Arrays.equals(bounds, bucketBounds)) {
            // the first sample, or a histogram with other buckets: start its minutes afresh
            bucketBounds = bounds;
            lastBuckets = new double[counts.length];
            for (Minute x : ring) {
                if (x != null) {
                    x.latency = new double[0];
                }
            }
        }
        if (m.latency.length != counts.length) {
            m.latency = new double[counts.length];
        }
        for (int i = 0; i < counts.length; i++) {
            m.latency[i] += growth(now[i], lastBuckets[i]);
        }
        lastBuckets = now;
    }

    /**
     * The quantile {@code q} in milliseconds of a minute's cumulative bucket counts, interpolated
     * linearly within the bucket it falls in (as Prometheus's histogram_quantile); NaN when the
     * minute had no delivery. A quantile past the last finite bucket is that bucket's bound.
     */
    static double quantile(double q, double[] cumulative, double[] bounds) {
        if (cumulative.length == 0 || cumulative[cumulative.length - 1] <= 0) {
            return Double.NaN;
        }
        double total = cumulative[cumulative.length - 1];
        double rank = q * total;
        double lowerBound = 0;
        double lowerCount = 0;
        for (int i = 0; i < cumulative.length; i++) {
            if (cumulative[i] >= rank && cumulative[i] > lowerCount) {
                if (Double.isInfinite(bounds[i])) {
                    return lowerBound;
                }
                return lowerBound + (bounds[i] - lowerBound) * (rank - lowerCount) / (cumulative[i] - lowerCount);
            }
            lowerBound = bounds[i];
            lowerCount = cumulative[i];
        }
        return lowerBound;
    }

    /**
     * The last {@link #MINUTES} minutes, oldest first, as JSON arrays of equal length:
     * {@code t} (the minute's start, epoch seconds), {@code accepted}, {@code delivered},
     * {@code deferred}, {@code bounced} (per minute), {@code queued}, {@code deferred_now},
     * {@code held} (depth), {@code p50}, {@code p95}, {@code p99} (ms); null where there is no data.
     */
    public synchronized String json() {
        long nowMinute = clock.millis() / 60_000 * 60;
        List<Minute> minutes = new ArrayList<>(MINUTES);
        for (int i = MINUTES - 1; i >= 0; i--) {
            long start = nowMinute - 60L * i;
            Minute m = ring[(int) Math.floorMod(start / 60, (long) MINUTES)];
            minutes.add(m != null && m.start == start ? m : null);
        }
        StringBuilder b = new StringBuilder(8192).append('{');
        b.append("\"t\":[");
        for (int i = 0; i < MINUTES; i++) {
            b.append(i == 0 ? "" : ",").append(nowMinute - 60L * (MINUTES - 1 - i));
        }
        b.append(']');
        series(b, "accepted", minutes, m -> m.accepted);
        series(b, "delivered", minutes, m -> m.delivered);
        series(b, "deferred", minutes, m -> m.deferred);
        series(b, "bounced", minutes, m -> m.bounced);
        series(b, "queued", minutes, m -> m.depthQueued);
        series(b, "deferred_now", minutes, m -> m.depthDeferred);
        series(b, "held", minutes, m -> m.depthHeld);
        String[] names = {"p50", "p95", "p99"};
        for (int k = 0; k < QUANTILES.length; k++) {
            double q = QUANTILES[k];
            series(b, names[k], minutes, m -> m.latency.length == bucketBounds.length
                    ? quantile(q, m.latency, bucketBounds) : Double.NaN);
        }
        return b.append('}').toString();
    }

    private static void series(StringBuilder b, String name, List<Minute> minutes,
                               java.util.function.ToDoubleFunction<Minute> value) {
        b.append(",\"").append(name).append("\":[");
        for (int i = 0; i < minutes.size(); i++) {
            Minute m = minutes.get(i);
            double v = m == null ? Double.NaN : value.applyAsDouble(m);
            b.append(i == 0 ? "" : ",").append(Double.isNaN(v) || Double.isInfinite(v) ? "null" : number(v));
        }
        b.append(']');
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(java.util.Locale.ROOT, "%.3f", v);
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
