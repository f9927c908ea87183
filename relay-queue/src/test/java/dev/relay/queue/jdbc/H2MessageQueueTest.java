package dev.relay.queue.jdbc;

import dev.relay.queue.testing.MutableClock;
import static dev.relay.queue.jdbc.Fixtures.body;
import static dev.relay.queue.jdbc.Fixtures.envelope;
import static dev.relay.queue.jdbc.Fixtures.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.Envelope;
import dev.relay.queue.MessageBody;
import dev.relay.queue.admin.MessageDetail;
import dev.relay.queue.Outcome;
import dev.relay.queue.QueueException;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientOutcome;
import dev.relay.queue.RecipientState;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2MessageQueueTest {
    private static final SmtpReply OK = SmtpReply.of(250, "2.0.0", "Ok: queued as ABC");
    private static final SmtpReply BUSY = SmtpReply.of(451, "4.3.0", "Try again later");
    private static final SmtpReply NO_USER = SmtpReply.of(550, "5.1.1", "No such user");
    private static final String HOP = "mx.example.org[192.0.2.5]:25";

    @TempDir
    Path dir;
    MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
    H2MessageQueue queue;

    @BeforeEach
    void open() {
        queue = H2MessageQueue.open(Fixtures.settings(dir), clock);
    }

    @AfterEach
    void close() {
        queue.close();
    }

    private QueueId store(Envelope envelope, String text) throws Exception {
        QueueId id = QueueId.generate();
        queue.enqueue(id, envelope, body(text)).get(10, TimeUnit.SECONDS);
        return id;
    }

    @Test
    void aStoredMessageIsClaimedWithItsEnvelopeAndBody() throws Exception {
        Envelope envelope = Fixtures.fullEnvelope();
        QueueId id = store(envelope, message("hello", "body"));

        List<ClaimedMessage> claimed = queue.claim("forwarder-1", 100, Duration.ofMinutes(5));

        assertThat(claimed).hasSize(1);
        ClaimedMessage m = claimed.get(0);
        assertThat(m.id()).isEqualTo(id);
        assertThat(m.envelope().reversePath()).isEqualTo(envelope.reversePath());
        assertThat(m.envelope().parameters()).isEqualTo(envelope.parameters());
        assertThat(m.envelope().origin()).isEqualTo(envelope.origin());
        assertThat(m.envelope().recipients()).containsExactlyElementsOf(envelope.recipients());
        assertThat(m.size()).isEqualTo(message("hello", "body").length());
        assertThat(m.leaseExpiry()).isEqualTo(clock.instant().plus(Duration.ofMinutes(5)));
        assertThat(m.recipients()).extracting(ClaimedRecipient::attempts).containsOnly(0);
        assertThat(m.recipients().get(0).recipient().forwardPath().toString())
                .isEqualTo("<@hosta.example,@hostb.example:u@hostc.example>");
        try (InputStream in = queue.openBody(id)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(message("hello", "body"));
        }
    }

    @Test
    void aClaimedRecipientIsNotClaimedAgainUntilItsLeaseRunsOut() throws Exception {
        store(envelope("s@example.org", "a@example.org", "b@example.org"), "x");

        assertThat(queue.claim("one", 100, Duration.ofMinutes(5))).hasSize(1);
        assertThat(queue.claim("two", 100, Duration.ofMinutes(5))).isEmpty();
        clock.advance(Duration.ofMinutes(5).minusMillis(1));
        assertThat(queue.claim("two", 100, Duration.ofMinutes(5))).isEmpty();
        clock.advance(Duration.ofMillis(1));
        // The first claimer died: its work comes back by itself.
        List<ClaimedMessage> again = queue.claim("two", 100, Duration.ofMinutes(5));
        assertThat(again).hasSize(1);
        assertThat(again.get(0).recipients()).hasSize(2);
    }

    @Test
    void claimsAreBoundedAndOldestDueFirst() throws Exception {
        List<QueueId> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(store(envelope("s@example.org", "a@example.org", "b@example.org"), "x" + i));
            clock.advance(Duration.ofSeconds(1));
        }
        List<ClaimedMessage> first = queue.claim("one", 3, Duration.ofMinutes(5));
        assertThat(first).extracting(ClaimedMessage::id).containsExactly(ids.get(0), ids.get(1));
        assertThat(first.get(1).recipients()).hasSize(1);
        List<ClaimedMessage> rest = queue.claim("one", 100, Duration.ofMinutes(5));
        assertThat(rest).extracting(ClaimedMessage::id).containsExactly(ids.get(1), ids.get(2), ids.get(3), ids.get(4));
        assertThat(rest.stream().mapToInt(m -> m.recipients().size()).sum()).isEqualTo(7);
    }

    @Test
    void concurrentClaimersNeverGetTheSameRecipient() throws Exception {
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            futures.add(queue.enqueue(QueueId.generate(), envelope("s@example.org", "a@example.org", "b@example.org"),
                    body("m" + i)));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        List<Long> duplicates = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            String owner = "claimer-" + t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    for (int round = 0; round < 100; round++) {
                        List<ClaimedMessage> batch = queue.claim(owner, 17, Duration.ofMinutes(5));
                        if (batch.isEmpty()) {
                            break;
                        }
                        batch.forEach(m -> m.recipients().forEach(r -> {
                            if (!seen.add(r.id())) {
                                duplicates.add(r.id());
                            }
                        }));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            threads.add(th);
            th.start();
        }
        start.countDown();
        for (Thread th : threads) {
            th.join(60_000);
        }
        assertThat(duplicates).isEmpty();
        assertThat(seen).hasSize(600);
    }

    @Test
    void deliveredEverywhereRemovesTheMessage() throws Exception {
        QueueId id = store(envelope("s@example.org", "a@example.org", "b@example.org"), "x");
        ClaimedMessage m = queue.claim("one", 100, Duration.ofMinutes(5)).get(0);

        queue.complete(id, List.of(new RecipientOutcome(m.recipients().get(0).id(), new Outcome.Delivered(OK, HOP))));
        assertThat(queue.admin().show(id)).isPresent();
        queue.complete(id, List.of(new RecipientOutcome(m.recipients().get(1).id(), new Outcome.Failed(NO_USER, HOP))));

        assertThat(queue.admin().show(id)).isEmpty();
        assertThatThrownBy(() -> queue.openBody(id)).isInstanceOf(IOException.class).hasMessageContaining(id.value());
        assertThat(queue.nextDue()).isEmpty();
    }

    @Test
    void oneCompleteThatDecidesEveryOpenRecipientRemovesTheMessage() throws Exception {
        QueueId id = store(envelope("s@example.org", "a@example.org", "b@example.org", "c@example.org"), "x");
        ClaimedMessage m = queue.claim("one", 100, Duration.ofMinutes(5)).get(0);
        queue.complete(id, List.of(
                new RecipientOutcome(m.recipients().get(0).id(), new Outcome.Delivered(OK, HOP)),
                new RecipientOutcome(m.recipients().get(1).id(), new Outcome.Failed(NO_USER, HOP)),
                new RecipientOutcome(m.recipients().get(2).id(), new Outcome.Delivered(OK, HOP))));

        assertThat(queue.admin().show(id)).isEmpty();
        assertThatThrownBy(() -> queue.openBody(id)).isInstanceOf(IOException.class);
        assertThat(queue.nextDue()).isEmpty();
    }

    @Test
    void aCompleteThatLeavesOneRecipientOpenKeepsTheMessageWithItsHistory() throws Exception {
        QueueId id = store(envelope("s@example.org", "a@example.org", "b@example.org", "c@example.org"), "x");
        ClaimedMessage m = queue.claim("one", 100, Duration.ofMinutes(5)).get(0);
        queue.complete(id, List.of(
                new RecipientOutcome(m.recipients().get(0).id(), new Outcome.Delivered(OK, HOP)),
                new RecipientOutcome(m.recipients().get(1).id(), new Outcome.Failed(NO_USER, HOP))));

        MessageDetail d = queue.admin().show(id).orElseThrow();
        assertThat(d.view().recipients()).extracting(r -> r.state())
                .containsExactly(RecipientState.DELIVERED, RecipientState.FAILED, RecipientState.QUEUED);
        assertThat(d.history()).hasSize(2);
    }

    @Test
    void retentionKeepsFinishedMessagesForRelayctlThenRemovesThem() throws Exception {
        queue.close();
        queue = H2MessageQueue.open(Fixtures.settings(dir).withRetention(Duration.ofHours(1)), clock);
        QueueId id = store(envelope("s@example.org", "a@example.org"), "x");
        ClaimedMessage m = queue.claim("one", 100, Duration.ofMinutes(5)).get(0);
        queue.complete(id, List.of(new RecipientOutcome(m.recipients().get(0).id(), new Outcome.Delivered(OK, HOP))));

        MessageDetail kept = queue.admin().show(id).orElseThrow();
        assertThat(kept.view().recipients().get(0).state()).isEqualTo(RecipientState.DELIVERED);
        assertThat(queue.claim("one", 100, Duration.ofMinutes(5))).isEmpty();

        clock.advance(Duration.ofHours(1).plusMinutes(1));
        QueueId other = store(envelope("s@example.org", "a@example.org"), "y");
        ClaimedMessage o = queue.claim("one", 100, Duration.ofMinutes(5)).get(0);
        queue.complete(other, List.of(new RecipientOutcome(o.recipients().get(0).id(), new Outcome.Delivered(OK, HOP))));
        assertThat(queue.admin().show(id)).isEmpty();
        assertThat(queue.admin().show(other)).isPresent();
    }

    @Test
    void deferredRecipientsComeBackAtTheirNextAttemptWithHistory() throws Exception {
        QueueId id = store(envelope("s@example.org", "a@example.org"), "x");
        ClaimedRecipient r = queue.claim("one", 100, Duration.ofMinutes(5)).get(0).recipients().get(0);
        Instant next = clock.instant().plus(Duration.ofMinutes(15));

        queue.complete(id, List.of(new RecipientOutcome(r.id(), new Outcome.Deferred(BUSY, HOP, next, true))));

        assertThat(queue.nextDue()).contains(next);
        assertThat(queue.claim("one", 100, Duration.ofMinutes(5))).isEmpty();
        clock.advance(Duration.ofMinutes(15));
        ClaimedRecipient again = queue.claim("one", 100, Duration.ofMinutes(5)).get(0).recipients().get(0);
        assertThat(again.id()).isEqualTo(r.id());
        assertThat(again.attempts()).isEqualTo(1);
        assertThat(again.firstAttempt()).isEqualTo(Instant.parse("2026-03-01T10:00:00Z"));
        assertThat(again.lastNextHop()).isEqualTo(HOP);
        assertThat(again.delayNoticeSent()).isTrue();

        MessageDetail d = queue.admin().show(id).orElseThrow();
        assertThat(d.view().recipients().get(0).state()).isEqualTo(RecipientState.DEFERRED);
        assertThat(d.view().recipients().get(0).lastReply()).isEqualTo(BUSY);
        assertThat(d.history()).hasSize(1);
        assertThat(d.history().get(0).outcome()).isEqualTo(RecipientState.DEFERRED);
        assertThat(d.history().get(0).reply()).isEqualTo(BUSY);
        assertThat(d.history().get(0).nextHop()).isEqualTo(HOP);
    }

    @Test
    void aMultiLineReplySurvivesTheQueue() throws Exception {
        QueueId id = store(envelope("s@example.org", "a@example.org"), "x");
        ClaimedRecipient r = queue.claim("one", 100, Duration.ofMinutes(5)).get(0).recipients().get(0);
        SmtpReply multi = SmtpReply.fromServer(452, List.of("4.2.2 Mailbox full", "try later", ""));
        queue.complete(id, List.of(new RecipientOutcome(r.id(),
                new Outcome.Deferred(multi, HOP, clock.instant().plusSeconds(60), false))));
        assertThat(queue.admin().show(id).orElseThrow().view().recipients().get(0).lastReply()).isEqualTo(multi);
    }

    @Test
    void releaseGivesWorkBackWithoutCountingAnAttempt() throws Exception {
        QueueId id = store(envelope("s@example.org", "a@example.org", "b@example.org"), "x");
        ClaimedMessage m = queue.claim("one", 100, Duration.ofMinutes(5)).get(0);

        queue.release(id, List.of(m.recipients().get(0).id()));

        List<ClaimedMessage> again = queue.claim("two", 100, Duration.ofMinutes(5));
        assertThat(again.get(0).recipients()).extracting(ClaimedRecipient::id).containsExactly(m.recipients().get(0).id());
        assertThat(again.get(0).recipients().get(0).attempts()).isZero();
        assertThat(queue.releaseLeases("two")).isEqualTo(1);
        assertThat(queue.releaseLeases("one")).isEqualTo(1);
        assertThat(queue.claim("three", 100, Duration.ofMinutes(5)).get(0).recipients()).hasSize(2);
    }

    @Test
    void releaseLeasesWithoutOwnerReleasesOnlyExpiredOnes() throws Exception {
        store(envelope("s@example.org", "a@example.org"), "x");
        store(envelope("s@example.org", "b@example.org"), "y");
        queue.claim("short", 1, Duration.ofSeconds(10));
        queue.claim("long", 1, Duration.ofMinutes(10));
        clock.advance(Duration.ofSeconds(10));

        assertThat(queue.releaseLeases(null)).isEqualTo(1);
        assertThat(queue.claim("other", 100, Duration.ofMinutes(1))).hasSize(1);
    }

    @Test
    void leasesOfAPreviousRunAreReleasedAtOpen() throws Exception {
        store(envelope("s@example.org", "a@example.org"), "x");
        assertThat(queue.claim("dead", 100, Duration.ofHours(1))).hasSize(1);
        queue.close();

        queue = H2MessageQueue.open(Fixtures.settings(dir), clock);

        assertThat(queue.claim("alive", 100, Duration.ofMinutes(5))).hasSize(1);
    }

    @Test
    void outcomesForFinalRecipientsAreIgnored() throws Exception {
        QueueId id = store(envelope("s@example.org", "a@example.org", "b@example.org"), "x");
        ClaimedMessage m = queue.claim("one", 100, Duration.ofMinutes(5)).get(0);
        long a = m.recipients().get(0).id();
        queue.complete(id, List.of(new RecipientOutcome(a, new Outcome.Delivered(OK, HOP))));
        queue.complete(id, List.of(new RecipientOutcome(a, new Outcome.Failed(NO_USER, HOP))));
        MessageDetail d = queue.admin().show(id).orElseThrow();
        assertThat(d.view().recipients().get(0).state()).isEqualTo(RecipientState.DELIVERED);
        assertThat(d.history()).hasSize(1);
    }

    /** Stores {@code n} messages of two recipients and claims them all. */
    private List<ClaimedMessage> claimed(int n) throws Exception {
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(queue.enqueue(QueueId.generate(), envelope("s@example.org", "a@example.org", "b@example.org"),
                    body("m" + i)));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        List<ClaimedMessage> all = queue.claim("one", 2 * n, Duration.ofMinutes(5));
        assertThat(all).hasSize(n);
        return all;
    }

    /** Delivered to the first recipient, deferred for the second: both visible afterwards. */
    private static List<RecipientOutcome> deliveredAndDeferred(ClaimedMessage m, Instant next) {
        return List.of(new RecipientOutcome(m.recipients().get(0).id(), new Outcome.Delivered(OK, HOP)),
                new RecipientOutcome(m.recipients().get(1).id(), new Outcome.Deferred(BUSY, HOP, next, false)));
    }

    private void assertDeliveredAndDeferred(ClaimedMessage m) {
        MessageDetail d = queue.admin().show(m.id()).orElseThrow();
        assertThat(d.view().recipients()).extracting(r -> r.state())
                .containsExactly(RecipientState.DELIVERED, RecipientState.DEFERRED);
        assertThat(d.history()).hasSize(2);
    }

    @Test
    void outcomesThatWaitForTheLockAreRecordedTogetherInOneTransaction() throws Exception {
        List<ClaimedMessage> messages = claimed(10);
        Instant next = clock.instant().plus(Duration.ofMinutes(5));
        long before = queue.outcomeTransactions();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        queue.outcomeLock.lock();
        try {
            for (ClaimedMessage m : messages) {
                Thread t = new Thread(() -> {
                    try {
                        queue.complete(m.id(), deliveredAndDeferred(m, next));
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                threads.add(t);
                t.start();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (queue.outcomesWaiting() < messages.size() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(queue.outcomesWaiting()).isEqualTo(messages.size());
        } finally {
            queue.outcomeLock.unlock();
        }
        for (Thread t : threads) {
            t.join(30_000);
        }
        assertThat(errors).isEmpty();
        assertThat(queue.outcomeTransactions() - before).isEqualTo(1);
        messages.forEach(this::assertDeliveredAndDeferred);
        assertThat(queue.claim("one", 100, Duration.ofMinutes(5))).isEmpty();
        clock.advance(Duration.ofMinutes(6));
        assertThat(queue.claim("one", 100, Duration.ofMinutes(5))).hasSize(messages.size());
    }

    @Test
    void aMessageWhoseOutcomesFailInAGroupFailsAloneAndTheOthersAreRecorded() throws Exception {
        List<ClaimedMessage> messages = claimed(6);
        ClaimedMessage bad = messages.get(3);
        queue.beforeOutcome = id -> {
            if (id.equals(bad.id())) {
                throw new QueueException(QueueException.Kind.IO, id + ": injected failure", null);
            }
        };
        Instant next = clock.instant().plus(Duration.ofMinutes(5));
        List<Thread> threads = new ArrayList<>();
        Map<QueueId, Throwable> errors = new ConcurrentHashMap<>();
        queue.outcomeLock.lock();
        try {
            for (ClaimedMessage m : messages) {
                Thread t = new Thread(() -> {
                    try {
                        queue.complete(m.id(), deliveredAndDeferred(m, next));
                    } catch (Throwable e) {
                        errors.put(m.id(), e);
                    }
                });
                threads.add(t);
                t.start();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (queue.outcomesWaiting() < messages.size() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        } finally {
            queue.outcomeLock.unlock();
        }
        for (Thread t : threads) {
            t.join(30_000);
        }
        assertThat(errors).containsOnlyKeys(bad.id());
        assertThat(errors.get(bad.id())).isInstanceOf(QueueException.class).hasMessageContaining("injected failure");
        for (ClaimedMessage m : messages) {
            if (m != bad) {
                assertDeliveredAndDeferred(m);
            }
        }
        // Nothing of the failed message was recorded: both recipients still leased, no history.
        MessageDetail d = queue.admin().show(bad.id()).orElseThrow();
        assertThat(d.view().recipients()).extracting(r -> r.state())
                .containsExactly(RecipientState.QUEUED, RecipientState.QUEUED);
        assertThat(d.history()).isEmpty();
    }

    @Test
    void manyThreadsCompletingAtOnceRecordEveryOutcomeOnce() throws Exception {
        List<ClaimedMessage> messages = claimed(200);
        Instant next = clock.instant().plus(Duration.ofMinutes(5));
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < 8; t++) {
            List<ClaimedMessage> mine = new ArrayList<>();
            for (int i = t; i < messages.size(); i += 8) {
                mine.add(messages.get(i));
            }
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    for (ClaimedMessage m : mine) {
                        queue.complete(m.id(), deliveredAndDeferred(m, next));
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            threads.add(th);
            th.start();
        }
        start.countDown();
        for (Thread th : threads) {
            th.join(60_000);
        }
        assertThat(errors).isEmpty();
        messages.forEach(this::assertDeliveredAndDeferred);
    }

    @Test
    void aPooledConnectionKeepsItsParsedStatements() throws Exception {
        // H2 empties a session's statement cache on rollback; the pool must not roll back a
        // connection that was committed, or every statement is parsed again on every use.
        String sql = "SELECT body FROM message WHERE queue_id = ?";
        Object first;
        Object second;
        try (java.sql.Connection c = queue.connection(); java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
            first = h2Command(ps);
            c.commit();
        }
        try (java.sql.Connection c = queue.connection(); java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
            second = h2Command(ps);
            c.commit();
        }
        assertThat(second).isSameAs(first);
    }

    private static Object h2Command(java.sql.PreparedStatement ps) throws Exception {
        org.h2.jdbc.JdbcPreparedStatement h2 = ps.unwrap(org.h2.jdbc.JdbcPreparedStatement.class);
        java.lang.reflect.Field f = org.h2.jdbc.JdbcPreparedStatement.class.getDeclaredField("command");
        f.setAccessible(true);
        return f.get(h2);
    }

    @Test
    void concurrentEnqueuesShareCommitsAndSyncs() throws Exception {
        long groupsBefore = queue.syncedGroups();
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            futures.add(queue.enqueue(QueueId.generate(), envelope("s@example.org", "a@example.org"),
                    body(message("m" + i, "x".repeat(1024)))));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        long groups = queue.syncedGroups() - groupsBefore;
        assertThat(groups).isBetween(1L, 1000L);
        assertThat(queue.storedMessages()).isGreaterThanOrEqualTo(2000);
        assertThat(queue.admin().list(dev.relay.queue.admin.QueueFilter.ALL, 0, 5000)).hasSize(2000);
    }

    @Test
    void aBodyThatFailsFailsOnlyItsOwnMessageAndLeavesNothingClaimable() throws Exception {
        MessageBody broken = new MessageBody() {
            @Override
            public long size() {
                return 100_000;
            }

            @Override
            public InputStream open() {
                return new InputStream() {
                    int n;

                    @Override
                    public int read() throws IOException {
                        if (++n > 50_000) {
                            throw new IOException("No space left on device");
                        }
                        return 'x';
                    }
                };
            }
        };
        QueueId bad = QueueId.generate();
        CompletableFuture<Void> failed = queue.enqueue(bad, envelope("s@example.org", "a@example.org"), broken);
        CompletableFuture<Void> good = queue.enqueue(QueueId.generate(), envelope("s@example.org", "b@example.org"),
                body("fine"));

        assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(QueueException.class)
                .satisfies(e -> assertThat(((QueueException) e).kind()).isEqualTo(QueueException.Kind.STORAGE_FULL))
                .hasMessageContaining(bad.value()).hasMessageContaining(queue.file().toString());
        good.get(10, TimeUnit.SECONDS);
        List<ClaimedMessage> claimed = queue.claim("one", 100, Duration.ofMinutes(5));
        assertThat(claimed).hasSize(1);
        assertThat(claimed.get(0).envelope().recipients().get(0).forwardPath().toString()).isEqualTo("<b@example.org>");
        assertThat(queue.admin().show(bad)).isEmpty();
    }

    @Test
    void aBodyShorterOrLongerThanItsSizeIsRefused() throws Exception {
        MessageBody lying = new MessageBody() {
            @Override
            public long size() {
                return 10;
            }

            @Override
            public InputStream open() {
                return new java.io.ByteArrayInputStream("twelve bytes".getBytes(StandardCharsets.US_ASCII));
            }
        };
        MessageBody shortOne = new MessageBody() {
            @Override
            public long size() {
                return 20;
            }

            @Override
            public InputStream open() {
                return new java.io.ByteArrayInputStream("twelve bytes".getBytes(StandardCharsets.US_ASCII));
            }
        };
        CompletableFuture<Void> a = queue.enqueue(QueueId.generate(), envelope("s@example.org", "a@example.org"), lying);
        CompletableFuture<Void> b = queue.enqueue(QueueId.generate(), envelope("s@example.org", "a@example.org"), shortOne);
        assertThatThrownBy(() -> a.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(QueueException.class)
                .hasMessageContaining("size is 10");
        assertThatThrownBy(() -> b.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(QueueException.class)
                .hasMessageContaining("size is 20");
        assertThat(queue.claim("one", 100, Duration.ofMinutes(5))).isEmpty();
    }

    @Test
    void aDuplicateQueueIdFailsTheSecondEnqueue() throws Exception {
        QueueId id = store(envelope("s@example.org", "a@example.org"), "first");
        CompletableFuture<Void> again = queue.enqueue(id, envelope("s@example.org", "b@example.org"), body("second"));
        assertThatThrownBy(() -> again.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(QueueException.class);
        try (InputStream in = queue.openBody(id)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("first");
        }
    }

    @Test
    void closeWaitsForPendingEnqueuesAndLaterOnesFail() throws Exception {
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            futures.add(queue.enqueue(QueueId.generate(), envelope("s@example.org", "a@example.org"), body("m" + i)));
        }
        queue.close();
        assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        CompletableFuture<Void> late = queue.enqueue(QueueId.generate(), envelope("s@example.org", "a@example.org"),
                body("late"));
        assertThatThrownBy(() -> late.get(1, TimeUnit.SECONDS)).cause().isInstanceOf(QueueException.class)
                .satisfies(e -> assertThat(((QueueException) e).kind()).isEqualTo(QueueException.Kind.CLOSED));

        queue = H2MessageQueue.open(Fixtures.settings(dir), clock);
        Set<QueueId> ids = new HashSet<>();
        queue.admin().list(dev.relay.queue.admin.QueueFilter.ALL, 0, 1000).forEach(v -> ids.add(v.id()));
        assertThat(ids).hasSize(500);
    }

    @Test
    void tooManyPendingEnqueuesFailAtOnceInsteadOfPilingUp() throws Exception {
        queue.close();
        queue = H2MessageQueue.open(Fixtures.settings(dir).withMaxPendingEnqueues(1).withMaxGroupSize(1), clock);
        CountDownLatch release = new CountDownLatch(1);
        MessageBody slow = new MessageBody() {
            @Override
            public long size() {
                return 1;
            }

            @Override
            public InputStream open() {
                return new InputStream() {
                    boolean done;

                    @Override
                    public int read() {
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        if (done) {
                            return -1;
                        }
                        done = true;
                        return 'x';
                    }
                };
            }
        };
        CompletableFuture<Void> first = queue.enqueue(QueueId.generate(), envelope("s@example.org", "a@example.org"), slow);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
            // The writer took the first; the second fills the hand-off queue; the third is refused.
            CompletableFuture<Void> probe = queue.enqueue(QueueId.generate(), envelope("s@example.org", "a@example.org"),
                    body("p"));
            return probe.isCompletedExceptionally();
        });
        release.countDown();
        first.get(10, TimeUnit.SECONDS);
    }
}
