package dev.relay.dist.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.relay.queue.testing.MutableClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The last hour per minute, from the relay's own meters, on a clock the test steps. */
class ConsoleHistoryTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:05Z"));
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter accepted = Counter.builder("relay.server.messages.accepted").register(registry);
    private final Counter sent = Counter.builder("relay.delivery.recipients").tag("status", "sent").register(registry);
    private final Counter deferred = Counter.builder("relay.delivery.recipients").tag("status", "deferred").register(registry);
    private final Counter bounced = Counter.builder("relay.delivery.recipients").tag("status", "bounced").register(registry);
    private final Counter expired = Counter.builder("relay.delivery.recipients").tag("status", "expired").register(registry);
    private final AtomicLong depth = new AtomicLong();
    private final Timer latency = Timer.builder("relay.delivery.transaction").publishPercentileHistogram().register(registry);

    ConsoleHistoryTest() {
        Gauge.builder("relay.queue.recipients", depth, AtomicLong::get).tag("state", "deferred").register(registry);
    }

    private static double[] series(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\\[([^\\]]*)\\]").matcher(json);
        assertThat(m.find()).as(name).isTrue();
        return Arrays.stream(m.group(1).split(",")).mapToDouble(s -> s.equals("null") ? Double.NaN : Double.parseDouble(s)).toArray();
    }

    @Test
    void countsGoToTheMinuteTheyHappenedInAndAnHourIsKept() {
        int[] ticked = {0};
        ConsoleHistory h = new ConsoleHistory(registry, clock, List.of(() -> ticked[0]++));
        accepted.increment(3); // before the first sample: counted too (the meters began with the relay)
        h.sample();
        clock.advance(Duration.ofSeconds(30));
        accepted.increment(2);
        sent.increment(4);
        depth.set(7);
        h.sample();
        clock.advance(Duration.ofMinutes(1));
        deferred.increment(5);
        bounced.increment();
        expired.increment();
        depth.set(9);
        h.sample();

        String json = h.json();
        double[] acc = series(json, "accepted");
        assertThat(acc).hasSize(ConsoleHistory.MINUTES);
        assertThat(acc[58]).isEqualTo(5);
        assertThat(acc[59]).isEqualTo(0);
        assertThat(series(json, "delivered")[58]).isEqualTo(4);
        assertThat(series(json, "deferred")[59]).isEqualTo(5);
        assertThat(series(json, "bounced")[59]).isEqualTo(2);
        assertThat(series(json, "deferred_now")[58]).isEqualTo(7);
        assertThat(series(json, "deferred_now")[59]).isEqualTo(9);
        assertThat(series(json, "queued")[59]).isNaN(); // no such gauge: no data, not zero
        assertThat(acc[0]).isNaN(); // before the relay started
        double[] t = series(json, "t");
        assertThat(t[59] - t[58]).isEqualTo(60);
        assertThat((long) t[59]).isEqualTo(Instant.parse("2026-03-01T10:01:00Z").getEpochSecond());
        assertThat(ticked[0]).isEqualTo(3);

        clock.advance(Duration.ofMinutes(59));
        h.sample();
        double[] later = series(h.json(), "accepted");
        assertThat(later[0]).isEqualTo(0); // 10:01 is the oldest minute kept
        assertThat(Arrays.stream(later).filter(v -> v == 5).count()).isZero(); // 10:00 is forgotten
    }

    @Test
    void latencyPercentilesComeFromTheHistogramGrowthOfEachMinute() {
        ConsoleHistory h = new ConsoleHistory(registry, clock, List.of());
        h.sample();
        for (int i = 0; i < 90; i++) {
            latency.record(Duration.ofMillis(100));
        }
        for (int i = 0; i < 10; i++) {
            latency.record(Duration.ofSeconds(5));
        }
        h.sample();
        clock.advance(Duration.ofMinutes(1));
        h.sample(); // a minute without deliveries
        String json = h.json();
        double p50 = series(json, "p50")[58];
        double p99 = series(json, "p99")[58];
        assertThat(p50).isBetween(80.0, 120.0);
        assertThat(p99).isBetween(4000.0, 6000.0);
        assertThat(series(json, "p50")[59]).isNaN();
    }

    @Test
    void quantilesInterpolateWithinTheirBucketLikeHistogramQuantile() {
        double[] bounds = {10, 20, 40, Double.POSITIVE_INFINITY};
        assertThat(ConsoleHistory.quantile(0.5, new double[] {0, 10, 10, 10}, bounds)).isCloseTo(15, within(1e-9));
        assertThat(ConsoleHistory.quantile(0.99, new double[] {0, 0, 0, 5}, bounds)).isEqualTo(40);
        assertThat(ConsoleHistory.quantile(0.5, new double[] {0, 0, 0, 0}, bounds)).isNaN();
        assertThat(ConsoleHistory.quantile(0.5, new double[0], new double[0])).isNaN();
    }
}
