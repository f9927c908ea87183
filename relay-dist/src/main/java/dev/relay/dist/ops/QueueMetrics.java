package dev.relay.dist.ops;

import dev.relay.queue.admin.MessageView;
import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.admin.QueueStats;
import dev.relay.queue.RecipientState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue as gauges: {@code relay.queue.recipients{state}} (queue depth by state),
 * {@code relay.queue.oldest.age} (seconds since the arrival of the oldest message still queued) and
 * {@code relay.queue.next_hop.recipients{next_hop}} (recipients waiting per next hop they were last
 * tried at, {@code -} for not tried yet: the {@value #TOP_HOPS} largest, the rest summed as
 * {@code other}, so that a queue for many domains does not make as many time series).
 *
 * <p>Both come from one query of the queue, made at most once per {@code refresh} however often
 * the gauges are read (a Prometheus scrape reads them all at once), so that scraping never loads
 * the queue database.
 */
public final class QueueMetrics implements HealthCheck {

    private static final Logger log = LoggerFactory.getLogger(QueueMetrics.class);

    private final QueueAdmin admin;
    private final Clock clock;
    private final Duration refresh;
    private final Runnable writableProbe;
    private long takenAt = Long.MIN_VALUE;
    /** Next hops with a series of their own. */
    static final int TOP_HOPS = 20;
    private Map<RecipientState, Long> byState = Map.of();
    private Map<String, Long> byNextHop = Map.of();
    private io.micrometer.core.instrument.MultiGauge nextHops;
    private double oldestSeconds;
    private String error;

    /**
     * @param writableProbe throws when the queue cannot be written now (for {@code /health})
     */
    public QueueMetrics(QueueAdmin admin, Clock clock, Duration refresh, Runnable writableProbe) {
        this.admin = admin;
        this.clock = clock;
        this.refresh = refresh;
        this.writableProbe = writableProbe;
    }

    /** Registers the gauges on {@code registry}. */
    public QueueMetrics bindTo(MeterRegistry registry) {
        for (RecipientState s : RecipientState.values()) {
            if (s.isFinal()) {
                continue; // final recipients leave the queue (or stay only for queue_retention)
            }
            Gauge.builder("relay.queue.recipients", this, m -> m.snapshot().byState.getOrDefault(s, 0L))
                    .tag("state", s.name().toLowerCase(java.util.Locale.ROOT))
                    .description("recipients in the queue by state (queue depth)")
                    .register(registry);
        }
        Gauge.builder("relay.queue.oldest.age", this, m -> m.snapshot().oldestSeconds)
                .baseUnit("seconds")
                .description("age of the oldest message in the queue (0 when it is empty)")
                .register(registry);
        nextHops = io.micrometer.core.instrument.MultiGauge.builder("relay.queue.next_hop.recipients")
                .description("recipients waiting (queued, deferred, held) by the next hop they were last tried at;"
                        + " the " + TOP_HOPS + " largest, the rest as other")
                .register(registry);
        refreshNextHops();
        return this;
    }

    /**
     * Sets the next-hop series from the latest snapshot: a series per next hop appears and
     * disappears with its waiting mail, so it is changed by a periodic task (the console's history
     * sampler), never inside a scrape.
     */
    public void refreshNextHops() {
        Map<String, Long> hops;
        synchronized (snapshot()) {
            hops = byNextHop;
        }
        List<Map.Entry<String, Long>> sorted = hops.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .toList();
        List<io.micrometer.core.instrument.MultiGauge.Row<?>> rows = new java.util.ArrayList<>();
        long other = 0;
        for (int i = 0; i < sorted.size(); i++) {
            if (i < TOP_HOPS) {
                rows.add(io.micrometer.core.instrument.MultiGauge.Row.of(
                        io.micrometer.core.instrument.Tags.of("next_hop", sorted.get(i).getKey()), sorted.get(i).getValue()));
            } else {
                other += sorted.get(i).getValue();
            }
        }
        if (other > 0 || sorted.size() > TOP_HOPS) {
            rows.add(io.micrometer.core.instrument.MultiGauge.Row.of(
                    io.micrometer.core.instrument.Tags.of("next_hop", "other"), other));
        }
        if (nextHops != null) {
            nextHops.register(rows, true);
        }
    }

    private synchronized QueueMetrics snapshot() {
        long now = System.nanoTime();
        if (takenAt != Long.MIN_VALUE && now - takenAt < refresh.toNanos()) {
            return this;
        }
        takenAt = now;
        try {
            QueueStats stats = admin.stats(List.of());
            byState = Map.copyOf(stats.byState());
            byNextHop = Map.copyOf(stats.byNextHop());
            List<MessageView> oldest = admin.list(QueueFilter.ALL, 0, 1);
            Instant arrival = oldest.isEmpty() ? null : oldest.get(0).arrival();
            oldestSeconds = arrival == null ? 0 : Math.max(0, Duration.between(arrival, clock.instant()).toMillis() / 1000.0);
            error = null;
        } catch (RuntimeException e) {
            if (error == null) {
                log.warn("cannot read the queue for its metrics: {}", e.getMessage());
            }
            error = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        return this;
    }

    @Override
    public String name() {
        return "queue";
    }

    @Override
    public Result check() {
        try {
            writableProbe.run();
        } catch (RuntimeException e) {
            return Result.down("not writable: " + e.getMessage());
        }
        synchronized (this) {
            takenAt = Long.MIN_VALUE;
        }
        snapshot();
        synchronized (this) {
            if (error != null) {
                return Result.down(error);
            }
            long open = byState.entrySet().stream().filter(e -> !e.getKey().isFinal()).mapToLong(Map.Entry::getValue).sum();
            return Result.up(open + " recipients queued, oldest " + Math.round(oldestSeconds) + " s");
        }
    }
}
