package dev.relay.dist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.dist.cli.CliFixture.Result;
import dev.relay.queue.QueueId;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Benchmark, not run by default: {@code relayctl retry --all} on a queue of 100,000 deferred
 * messages, with relayctl's real progress step (every 10,000 recipients). Prints the time to
 * standard output. Run:
 * {@code ./mvnw -B -pl relay-dist -am verify -Drelay.bench=true -Dtest=RetryAllBench -Dsurefire.failIfNoSpecifiedTests=false -DskipITs}
 */
@EnabledIfSystemProperty(named = "relay.bench", matches = "true")
class RetryAllBench {

    static final int MESSAGES = 100_000;

    @TempDir
    java.nio.file.Path dir;

    @Test
    void retryAllOfOneHundredThousandMessages() throws Exception {
        try (CliFixture f = new CliFixture(dir)) {
            long t0 = System.nanoTime();
            List<CompletableFuture<Void>> window = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i++) {
                window.add(f.enqueueAsync(QueueId.generate(), "bulk@example.org", "bulk " + i, "r" + (i % 50) + "@example.net"));
                if (window.size() == 2_000) {
                    CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
                    window.clear();
                }
            }
            CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
            long enqueued = System.nanoTime();
            // defer them all, as a next hop that is down would
            while (f.deliverDue(r -> f.deferred("down.example.net[192.0.2.99]:25")) > 0) {
                // next batch
            }
            long deferred = System.nanoTime();

            CliContext real = new CliContext() {
                @Override
                public dev.relay.queue.admin.QueueAdmin queue() {
                    return f.queue.admin();
                }

                @Override
                public String reload() {
                    throw new AssertionError();
                }

                @Override
                public java.time.Clock clock() {
                    return f.clock;
                }
            };
            StringWriter out = new StringWriter();
            List<Long> progressAt = new ArrayList<>();
            long start = System.nanoTime();
            Writer errSink = new Writer() {
                @Override
                public void write(char[] cbuf, int off, int len) {
                    if (new String(cbuf, off, len).contains("so far")) {
                        progressAt.add(System.nanoTime() - start);
                    }
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            };
            int code = Relayctl.commandLine(real, new StringReader(""), new PrintWriter(out, true), new PrintWriter(errSink, true))
                    .execute("retry", "--all");
            long took = System.nanoTime() - start;
            Result r = new Result(code, out.toString(), "");
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.out()).contains("retry: " + MESSAGES + " recipients are due now");
            assertThat(progressAt).hasSizeGreaterThanOrEqualTo(MESSAGES / 10_000);
            System.out.printf("BENCH enqueue %d messages: %d ms; defer all: %d ms%n", MESSAGES,
                    Duration.ofNanos(enqueued - t0).toMillis(), Duration.ofNanos(deferred - enqueued).toMillis());
            System.out.printf("BENCH relayctl retry --all of %d deferred recipients: %d ms (%.0f recipients/s), "
                    + "%d progress lines, first after %d ms%n", MESSAGES, Duration.ofNanos(took).toMillis(),
                    MESSAGES / (took / 1e9), progressAt.size(), Duration.ofNanos(progressAt.get(0)).toMillis());
        }
    }
}
