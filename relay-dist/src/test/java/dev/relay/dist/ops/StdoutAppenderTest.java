package dev.relay.dist.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.status.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StdoutAppenderTest {
    private final LoggerContext context = new LoggerContext();
    private final Logger log = context.getLogger("dev.relay.server.session.SmtpSession");

    StdoutAppenderTest() {
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // as SLF4J's binding does
    }

    @AfterEach
    void stopContext() {
        context.stop();
    }

    private StdoutAppender appender(OutputStream out, int queueSize) {
        return appender(out, queueSize, 5);
    }

    private StdoutAppender appender(OutputStream out, int queueSize, int lingerMillis) {
        return appender(out, queueSize, lingerMillis, new PatternLayoutEncoder());
    }

    /** A started appender with {@code encoder} (set up here with the pattern %msg%n) on the test logger. */
    private StdoutAppender appender(OutputStream out, int queueSize, int lingerMillis, PatternLayoutEncoder encoder) {
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();
        StdoutAppender a = new StdoutAppender();
        a.setContext(context);
        a.setName("TEST");
        a.setEncoder(encoder);
        a.setQueueSize(queueSize);
        a.setLingerMillis(lingerMillis);
        a.setOutputStream(out);
        a.start();
        assertThat(a.isStarted()).isTrue();
        log.addAppender(a);
        log.setLevel(Level.INFO);
        log.setAdditive(false);
        return a;
    }

    @Test
    void everyLineFromManyThreadsIsWrittenOnceAndInEachThreadsOrderByTheTimeStopReturns() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StdoutAppender a = appender(out, 64);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int id = t;
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 500; i++) {
                    log.info("t{} line {}", id, i);
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread t : threads) {
            t.join();
        }
        a.stop(); // at once: whatever is still queued must be written by now

        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(8 * 500).doesNotHaveDuplicates();
        for (int t = 0; t < 8; t++) {
            String prefix = "t" + t + " ";
            List<Integer> seq = lines.stream().filter(l -> l.startsWith(prefix))
                    .map(l -> Integer.parseInt(l.substring(l.lastIndexOf(' ') + 1))).toList();
            assertThat(seq).as("thread %d", t).isSorted().hasSize(500);
        }
    }

    @Test
    void linesLoggedWhileAWriteIsUnderWayGoOutTogetherInTheNextWrite() throws Exception {
        HeldStream out = new HeldStream();
        StdoutAppender a = appender(out, 64);
        log.info("first");
        assertThat(out.entered.await(10, TimeUnit.SECONDS)).isTrue(); // the writer is inside write("first")
        for (int i = 2; i <= 10; i++) {
            log.info("line {}", i);
        }
        out.release.countDown();
        a.stop();

        assertThat(out.writes).containsExactly("first\n",
                "line 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\nline 9\nline 10\n");
    }

    @Test
    void linesLoggedWithinTheLingerTimeGoOutInOneWrite() {
        List<String> writes = new java.util.concurrent.CopyOnWriteArrayList<>();
        OutputStream out = new OutputStream() {
            @Override
            public void write(int b) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writes.add(new String(b, off, len, StandardCharsets.UTF_8));
            }
        };
        StdoutAppender a = appender(out, 64, 500);
        for (int i = 1; i <= 5; i++) {
            log.info("line {}", i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !writes.isEmpty());
        a.stop();
        assertThat(writes).containsExactly("line 1\nline 2\nline 3\nline 4\nline 5\n");
    }

    @Test
    void aFullQueueMakesTheLoggingThreadWaitAndNoLineIsLost() throws Exception {
        HeldStream out = new HeldStream();
        StdoutAppender a = appender(out, 2);
        log.info("1");
        assertThat(out.entered.await(10, TimeUnit.SECONDS)).isTrue();
        log.info("2");
        log.info("3"); // the queue (2) is full now
        CompletableFuture<Void> fourth = new CompletableFuture<>();
        Thread logger = new Thread(() -> {
            log.info("4");
            fourth.complete(null);
        }, "fourth-line");
        logger.start();
        // The signal that it waits: the logging thread is parked (waiting for room in the queue).
        await().atMost(Duration.ofSeconds(10)).until(() -> logger.getState() == Thread.State.WAITING
                || logger.getState() == Thread.State.TIMED_WAITING || fourth.isDone());
        assertThat(fourth).as("a logger waits for room instead of dropping the line").isNotDone();

        out.release.countDown();
        fourth.get(10, TimeUnit.SECONDS);
        a.stop();
        assertThat(String.join("", out.writes)).isEqualTo("1\n2\n3\n4\n");
    }

    @Test
    void anOutputThatFailsIsReportedOnceAndTheLinesAfterItsRecoveryAreWritten() {
        AtomicInteger attempts = new AtomicInteger();
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        OutputStream out = new OutputStream() {
            @Override
            public void write(int b) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (attempts.incrementAndGet() <= 2) {
                    throw new IOException("Broken pipe");
                }
                written.write(b, off, len);
            }
        };
        StdoutAppender a = appender(out, 64);
        log.info("lost 1");
        await().atMost(Duration.ofSeconds(10)).until(() -> attempts.get() == 1);
        log.info("lost 2");
        await().atMost(Duration.ofSeconds(10)).until(() -> attempts.get() == 2);
        log.info("after recovery");
        a.stop();

        assertThat(written.toString(StandardCharsets.UTF_8)).isEqualTo("after recovery\n");
        List<Status> errors = context.getStatusManager().getCopyOfStatusList().stream()
                .filter(s -> s.getLevel() == Status.ERROR).toList();
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).getMessage()).contains("cannot write the log");
        assertThat(errors.get(0).getThrowable()).hasMessage("Broken pipe");
    }

    @Test
    void aLineThatCannotBeFormattedIsReportedAndTheWriterGoesOnWithTheOthers() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder() {
            @Override
            public byte[] encode(ch.qos.logback.classic.spi.ILoggingEvent event) {
                if (event.getFormattedMessage().contains("boom")) {
                    throw new IllegalStateException("converter failed");
                }
                return super.encode(event);
            }
        };
        StdoutAppender a = appender(out, 8192, 5, encoder);

        log.info("before");
        log.info("boom");
        log.info("after");
        a.stop();

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("before\nafter\n");
        assertThat(context.getStatusManager().getCopyOfStatusList())
                .anyMatch(st -> st.getLevel() == Status.ERROR && st.getMessage().contains("cannot format"));
    }

    @Test
    void theLoggerWaitsNoLongerThanItTakesToQueueItsLine() throws Exception {
        HeldStream out = new HeldStream(); // standard output stuck, as a full pipe would be
        StdoutAppender a = appender(out, 64);
        log.info("stuck");
        assertThat(out.entered.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> next = CompletableFuture.runAsync(() -> log.info("next"));
        next.get(5, TimeUnit.SECONDS); // ConsoleAppender would wait here for as long as the pipe is full
        out.release.countDown();
        a.stop();
        assertThat(String.join("", out.writes)).isEqualTo("stuck\nnext\n");
    }

    @Test
    void theShippedLogbackConfigurationUsesThisAppenderAndStartsWithoutComplaint() throws Exception {
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(Path.of("src/main/dist/conf/logback.xml").toFile());

        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT"))
                .isInstanceOf(StdoutAppender.class)
                .matches(ch.qos.logback.core.Appender::isStarted, "started");
        assertThat(context.getStatusManager().getCopyOfStatusList())
                .noneMatch(s -> s.getLevel() >= Status.WARN);
    }

    @Test
    void theCommentedOutFileSampleOfTheShippedConfigurationWorksAsWritten(@TempDir Path dir) throws Exception {
        String shipped = Files.readString(Path.of("src/main/dist/conf/logback.xml"));
        int from = shipped.indexOf("  <appender name=\"FILE\"");
        String sample = shipped.substring(from, shipped.indexOf("-->", from))
                .replace("/var/log/relay", dir.toString());
        String conversions = shipped.lines().filter(l -> l.contains("<conversionRule"))
                .collect(Collectors.joining("\n"));
        String xml = "<configuration>\n" + conversions + "\n" + sample
                + "<root level=\"INFO\"><appender-ref ref=\"FILE_ASYNC\"/></root>\n</configuration>\n";
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(new java.io.ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        assertThat(context.getStatusManager().getCopyOfStatusList()).noneMatch(s -> s.getLevel() >= Status.WARN);

        context.getLogger("dev.relay.client.delivery.DeliveryEngine").info("ABC123: to=<u@example.org>, status=sent");
        context.stop(); // drains the AsyncAppender
        assertThat(Files.readString(dir.resolve("relay.log")))
                .matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z relay/smtp\\[[^]]+\\]: "
                        + "ABC123: to=<u@example.org>, status=sent\\n");
    }

    /** Blocks its first write until released; records every write's bytes as one string. */
    private static final class HeldStream extends OutputStream {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> writes = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void write(int b) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            writes.add(new String(Arrays.copyOfRange(b, off, off + len), StandardCharsets.UTF_8));
        }
    }
}
