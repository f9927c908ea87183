package dev.relay.queue.jdbc;

import dev.relay.queue.testing.MutableClock;
import static dev.relay.queue.jdbc.Fixtures.body;
import static dev.relay.queue.jdbc.Fixtures.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.Envelope;
import dev.relay.queue.admin.MessageDetail;
import dev.relay.queue.admin.MessageView;
import dev.relay.queue.Origin;
import dev.relay.queue.Outcome;
import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.QueueId;
import dev.relay.queue.admin.QueueStats;
import dev.relay.queue.RecipientOutcome;
import dev.relay.queue.RecipientState;
import dev.relay.queue.admin.RecipientView;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueueAdminTest {
    private static final SmtpReply BUSY = SmtpReply.of(451, "4.3.0", "Try again later");
    private static final String HOP_A = "mx.a.example[192.0.2.1]:25";
    private static final String HOP_B = "mx.b.example[192.0.2.2]:25";

    @TempDir
    Path dir;
    MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
    H2MessageQueue queue;
    QueueAdmin admin;

    @BeforeEach
    void open() {
        queue = H2MessageQueue.open(Fixtures.settings(dir), clock);
        admin = queue.admin();
    }

    @AfterEach
    void close() {
        queue.close();
    }

    /** An envelope that arrived now, by the test clock (ages in list and stats come from the arrival). */
    private Envelope envelope(String from, String... to) {
        Envelope e = Fixtures.envelope(from, to);
        Origin o = e.origin();
        return new Envelope(e.reversePath(), e.parameters(), e.recipients(),
                new Origin(o.clientAddress(), o.heloName(), o.authUser(), clock.instant(), o.protocol()));
    }

    private QueueId store(Envelope envelope, String text) throws Exception {
        QueueId id = QueueId.generate();
        queue.enqueue(id, envelope, body(text)).get(10, TimeUnit.SECONDS);
        return id;
    }

    /** Claims everything due and defers it at {@code hop} for a day. */
    private void deferAllAt(String hop) {
        for (ClaimedMessage m : queue.claim("f", 1000, Duration.ofMinutes(5))) {
            List<RecipientOutcome> outcomes = new ArrayList<>();
            for (ClaimedRecipient r : m.recipients()) {
                outcomes.add(new RecipientOutcome(r.id(),
                        new Outcome.Deferred(BUSY, hop, clock.instant().plus(Duration.ofDays(1)), false)));
            }
            queue.complete(m.id(), outcomes);
        }
    }

    @Test
    void listFiltersBySenderRecipientStateAgeAndNextHop() throws Exception {
        QueueId old = store(envelope("alice@example.org", "bob@a.example"), "1");
        clock.advance(Duration.ofHours(2));
        QueueId mid = store(envelope("carol@example.org", "dave@b.example", "erin@a.example"), "2");
        deferAllAt(HOP_A);
        QueueId fresh = store(envelope("", "Frank_100%@c.example"), "3");

        assertThat(ids(admin.list(QueueFilter.ALL, 0, 100))).containsExactly(old, mid, fresh);
        assertThat(ids(admin.list(new QueueFilter(null, "ALICE", null, null, null), 0, 100))).containsExactly(old);
        assertThat(ids(admin.list(new QueueFilter(null, null, "a.example", null, null), 0, 100))).containsExactly(old, mid);
        assertThat(ids(admin.list(new QueueFilter(null, null, "_100%", null, null), 0, 100))).containsExactly(fresh);
        assertThat(ids(admin.list(new QueueFilter(null, null, "1%", null, null), 0, 100))).isEmpty();
        assertThat(ids(admin.list(new QueueFilter(RecipientState.QUEUED, null, null, null, null), 0, 100)))
                .containsExactly(fresh);
        assertThat(ids(admin.list(new QueueFilter(RecipientState.DEFERRED, null, null, null, null), 0, 100)))
                .containsExactly(old, mid);
        assertThat(ids(admin.list(new QueueFilter(null, null, null, Duration.ofHours(1), null), 0, 100)))
                .containsExactly(old);
        assertThat(ids(admin.list(new QueueFilter(null, null, null, null, "mx.a."), 0, 100))).containsExactly(old, mid);
        assertThat(ids(admin.list(new QueueFilter(null, null, "erin", null, "mx.a"), 0, 100))).containsExactly(mid);
        assertThat(ids(admin.list(QueueFilter.ALL, 1, 1))).containsExactly(mid);
        assertThat(ids(admin.list(QueueFilter.ALL, 3, 10))).isEmpty();

        MessageView v = admin.list(new QueueFilter(null, "carol", null, null, null), 0, 1).get(0);
        assertThat(v.reversePath().toString()).isEqualTo("<carol@example.org>");
        assertThat(v.size()).isEqualTo(1);
        assertThat(v.recipients()).extracting(RecipientView::state).containsOnly(RecipientState.DEFERRED);
        assertThat(v.recipients()).extracting(RecipientView::lastNextHop).containsOnly(HOP_A);
        assertThat(v.recipients()).extracting(r -> r.forwardPath().toString())
                .containsExactly("<dave@b.example>", "<erin@a.example>");
        assertThat(v.recipients().get(0).attempts()).isEqualTo(1);
    }

    @Test
    void countIsWhatTheSameFilterLists() throws Exception {
        store(envelope("alice@example.org", "bob@a.example"), "1");
        clock.advance(Duration.ofHours(2));
        store(envelope("carol@example.org", "dave@b.example", "erin@a.example"), "2");
        deferAllAt(HOP_A);
        store(envelope("", "frank@c.example"), "3");

        List<QueueFilter> filters = List.of(QueueFilter.ALL, new QueueFilter(null, "alice", null, null, null),
                new QueueFilter(RecipientState.DEFERRED, null, null, null, null),
                new QueueFilter(null, null, "a.example", Duration.ofHours(1), null),
                new QueueFilter(null, null, null, null, "mx.a."), new QueueFilter(RecipientState.HELD, null, null, null, null));
        for (QueueFilter f : filters) {
            assertThat(admin.count(f)).as(f.toString()).isEqualTo(admin.list(f, 0, 100).size());
        }
        assertThat(admin.count(QueueFilter.ALL)).isEqualTo(3);
        assertThat(admin.count(new QueueFilter(RecipientState.HELD, null, null, null, null))).isZero();
    }

    @Test
    void nextHopMatchesTheRouteAsRoutesPrintsItTheHostAndTheRecipientsDomain() throws Exception {
        QueueId viaMx = store(envelope("s@example.org", "u@a.example"), "1");
        deferAllAt("mx1.a.example[192.0.2.1]:25");           // a session was opened with an MX of a.example:25
        QueueId refused = store(envelope("s@example.org", "v@dead.test"), "2");
        deferAllAt("[127.0.0.1]:2799");                      // no session: the route's next hop is recorded
        QueueId direct = store(envelope("s@example.org", "w@c.example"), "3");
        deferAllAt("127.0.0.1[127.0.0.1]:2799");             // a session with [127.0.0.1]:2799
        QueueId other = store(envelope("s@example.org", "x@d.example"), "4");
        deferAllAt("relay.d.example[192.0.2.9]:587");

        assertThat(ids(admin.list(hop("a.example:25"), 0, 100))).containsExactly(viaMx);
        assertThat(ids(admin.list(hop("[127.0.0.1]:2799 tls=required"), 0, 100))).containsExactly(refused, direct);
        assertThat(ids(admin.list(hop("127.0.0.1"), 0, 100))).containsExactly(refused, direct);
        assertThat(ids(admin.list(hop("[relay.d.example]:587"), 0, 100))).containsExactly(other);
        assertThat(ids(admin.list(hop("[relay.d.example]:25"), 0, 100))).isEmpty();
        assertThat(ids(admin.list(hop("dead.test"), 0, 100))).containsExactly(refused);
        assertThat(ids(admin.list(hop("C.EXAMPLE"), 0, 100))).containsExactly(direct);
        assertThat(admin.retryAll("dead.test", null)).isEqualTo(1);
        assertThat(admin.retryAll("[127.0.0.1]:2799", null)).isEqualTo(2);
    }

    private static QueueFilter hop(String text) {
        return new QueueFilter(null, null, null, null, text);
    }

    @Test
    void keysetPagesAndIdsWalkTheWholeFilteredQueueOnce() throws Exception {
        List<QueueId> stored = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            stored.add(store(envelope("s@example.org", "u" + i + "@a.example"), "m" + i));
            if (i % 2 == 0) {
                clock.advance(Duration.ofSeconds(1)); // some share an arrival time, some do not
            }
        }
        List<QueueId> seen = new ArrayList<>();
        MessageView last = null;
        for (List<MessageView> page = admin.listAfter(QueueFilter.ALL, null, 3); !page.isEmpty();
             page = admin.listAfter(QueueFilter.ALL, last, 3)) {
            page.forEach(v -> seen.add(v.id()));
            last = page.get(page.size() - 1);
        }
        assertThat(seen).containsExactlyElementsOf(ids(admin.list(QueueFilter.ALL, 0, 100)));

        List<QueueId> all = new ArrayList<>();
        QueueId after = null;
        for (List<QueueId> page = admin.ids(QueueFilter.ALL, null, 2); !page.isEmpty();
             page = admin.ids(QueueFilter.ALL, after, 2)) {
            all.addAll(page);
            after = page.get(page.size() - 1);
        }
        assertThat(all).containsExactlyInAnyOrderElementsOf(stored).doesNotHaveDuplicates();
        assertThat(admin.ids(new QueueFilter(null, null, "u3@", null, null), null, 10)).containsExactly(stored.get(3));
    }

    @Test
    void bodyIsTheWholeStoredMessage() throws Exception {
        QueueId id = store(envelope("s@example.org", "u@a.example"), "Subject: hi\r\n\r\nline one\r\n");
        try (java.io.InputStream in = admin.body(id).orElseThrow()) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("Subject: hi\r\n\r\nline one\r\n");
        }
        assertThat(admin.body(new QueueId("NOSUCHID"))).isEmpty();
    }

    @Test
    void showGivesTheEnvelopeHeadersRecipientsAndHistory() throws Exception {
        Envelope e = Fixtures.fullEnvelope();
        QueueId id = store(e, message("Hello", "the body\r\nmore"));
        deferAllAt(HOP_A);

        MessageDetail d = admin.show(id).orElseThrow();

        assertThat(d.envelope()).isEqualTo(e);
        assertThat(d.headers()).isEqualTo("Received: from client.example.net\r\nSubject: Hello\r\nFrom: s@example.org");
        assertThat(d.view().recipients()).hasSize(2);
        assertThat(d.view().recipients().get(0).orcpt()).isEqualTo("rfc822;u+40hostc.example");
        assertThat(d.view().recipients().get(0).notifyOn()).isEqualTo("FAILURE,DELAY");
        assertThat(d.history()).hasSize(2).allSatisfy(a -> {
            assertThat(a.outcome()).isEqualTo(RecipientState.DEFERRED);
            assertThat(a.nextHop()).isEqualTo(HOP_A);
            assertThat(a.reply()).isEqualTo(BUSY);
            assertThat(a.time()).isEqualTo(clock.instant());
        });
        assertThat(admin.show(QueueId.generate())).isEmpty();
    }

    @Test
    void showOfAMessageWhoseLastRecipientIsBeingRemovedSaysItIsGone() throws Exception {
        QueueId id = store(envelope("s@example.org", "u@a.example"), "x");
        // The state a concurrent removal leaves between show's reads (READ COMMITTED): the message
        // row is still there, its recipients are gone. show must answer "not queued", not throw.
        try (java.sql.Connection c = queue.connection();
             java.sql.PreparedStatement a = c.prepareStatement("DELETE FROM attempt WHERE queue_id = ?");
             java.sql.PreparedStatement r = c.prepareStatement("DELETE FROM recipient WHERE queue_id = ?")) {
            a.setString(1, id.value());
            a.executeUpdate();
            r.setString(1, id.value());
            r.executeUpdate();
            c.commit();
        }

        assertThat(admin.show(id)).isEmpty();
    }

    @Test
    void headersAreBoundedAndStopAtTheFirstEmptyLine() throws Exception {
        String bare = "A: 1\nB: 2\n\nbody\n";
        assertThat(JdbcQueueAdmin.headerSection(new ByteArrayInputStream(bare.getBytes(StandardCharsets.UTF_8)), 100))
                .isEqualTo("A: 1\nB: 2");
        String longOnes = "X: " + "y".repeat(1000) + "\r\n\r\nbody";
        assertThat(JdbcQueueAdmin.headerSection(new ByteArrayInputStream(longOnes.getBytes(StandardCharsets.UTF_8)), 50))
                .hasSize(50);
        assertThat(JdbcQueueAdmin.headerSection(new ByteArrayInputStream(new byte[0]), 50)).isEmpty();
    }

    @Test
    void retryMakesDeferredRecipientsDueNow() throws Exception {
        QueueId a = store(envelope("s@example.org", "x@a.example"), "1");
        QueueId b = store(envelope("s@example.org", "y@b.example"), "2");
        deferAllAt(HOP_A);
        assertThat(queue.claim("f", 100, Duration.ofMinutes(5))).isEmpty();

        assertThat(admin.retry(List.of(a))).isEqualTo(1);

        assertThat(queue.claim("f", 100, Duration.ofMinutes(5))).extracting(ClaimedMessage::id).containsExactly(a);
        // A leased recipient is being delivered: retry leaves it alone.
        assertThat(admin.retry(List.of(a, b))).isEqualTo(1);
    }

    @Test
    void retryAllByNextHopReportsProgress() throws Exception {
        for (int i = 0; i < 5; i++) {
            store(envelope("s@example.org", "x" + i + "@a.example"), "a" + i);
        }
        deferAllAt(HOP_A);
        for (int i = 0; i < 3; i++) {
            store(envelope("s@example.org", "y" + i + "@b.example"), "b" + i);
        }
        deferAllAt(HOP_B);
        List<Long> progress = new ArrayList<>();

        assertThat(admin.retryAll("mx.b.example", progress::add)).isEqualTo(3);
        assertThat(progress).isNotEmpty().last().isEqualTo(3L);
        assertThat(queue.claim("f", 100, Duration.ofMinutes(5))).hasSize(3);
        assertThat(admin.retryAll(null, null)).isEqualTo(5);
        assertThat(queue.claim("f", 100, Duration.ofMinutes(5))).hasSize(5);
    }

    @Test
    void heldRecipientsAreNeverClaimedUntilReleased() throws Exception {
        QueueId a = store(envelope("s@example.org", "x@a.example", "y@a.example"), "1");

        assertThat(admin.hold(List.of(a))).isEqualTo(2);
        assertThat(queue.claim("f", 100, Duration.ofMinutes(5))).isEmpty();
        assertThat(queue.nextDue()).isEmpty();
        assertThat(admin.retry(List.of(a))).isZero();
        clock.advance(Duration.ofDays(3));
        assertThat(queue.claim("f", 100, Duration.ofMinutes(5))).isEmpty();
        assertThat(admin.show(a).orElseThrow().view().recipients()).extracting(RecipientView::state)
                .containsOnly(RecipientState.HELD);

        assertThat(admin.release(List.of(a))).isEqualTo(2);
        assertThat(queue.claim("f", 100, Duration.ofMinutes(5)).get(0).recipients()).hasSize(2);
    }

    @Test
    void holdingALeasedRecipientKeepsItHeldWhenItsAttemptIsDeferred() throws Exception {
        QueueId a = store(envelope("s@example.org", "x@a.example"), "1");
        ClaimedRecipient r = queue.claim("f", 100, Duration.ofMinutes(5)).get(0).recipients().get(0);

        admin.hold(List.of(a));
        queue.complete(a, List.of(new RecipientOutcome(r.id(),
                new Outcome.Deferred(BUSY, HOP_A, clock.instant().plusSeconds(60), false))));
        clock.advance(Duration.ofHours(1));

        assertThat(queue.claim("f", 100, Duration.ofMinutes(5))).isEmpty();
        RecipientView v = admin.show(a).orElseThrow().view().recipients().get(0);
        assertThat(v.state()).isEqualTo(RecipientState.HELD);
        assertThat(v.attempts()).isEqualTo(1);
        admin.release(List.of(a));
        assertThat(admin.show(a).orElseThrow().view().recipients().get(0).state()).isEqualTo(RecipientState.DEFERRED);
    }

    @Test
    void deleteRemovesMessagesWithoutATrace() throws Exception {
        QueueId a = store(envelope("s@example.org", "x@a.example"), "1");
        QueueId b = store(envelope("s@example.org", "y@a.example"), "2");
        deferAllAt(HOP_A);

        assertThat(admin.delete(List.of(a, QueueId.generate()))).isEqualTo(1);

        assertThat(admin.show(a)).isEmpty();
        assertThat(ids(admin.list(QueueFilter.ALL, 0, 10))).containsExactly(b);
        assertThat(admin.delete(List.of())).isZero();
    }

    @Test
    void bounceMakesRecipientsDueNowWithTheAdministratorsReason() throws Exception {
        QueueId a = store(envelope("s@example.org", "x@a.example", "y@a.example"), "1");
        deferAllAt(HOP_A);
        admin.hold(List.of(a));

        assertThat(admin.bounce(List.of(a), "spam run, removed by postmaster")).isEqualTo(2);

        List<ClaimedMessage> claimed = queue.claim("f", 100, Duration.ofMinutes(5));
        assertThat(claimed.get(0).recipients()).hasSize(2).allSatisfy(r ->
                assertThat(r.adminBounceReason()).isEqualTo("spam run, removed by postmaster"));
    }

    @Test
    void statsCountByStateAndNextHopWithAnAgeHistogram() throws Exception {
        store(envelope("s@example.org", "x@a.example", "y@a.example"), "1");   // will be 3 h old
        deferAllAt(HOP_A);
        clock.advance(Duration.ofHours(2));
        store(envelope("s@example.org", "z@b.example"), "2");                  // 1 h old
        deferAllAt(HOP_B);
        clock.advance(Duration.ofMinutes(50));
        QueueId fresh = store(envelope("s@example.org", "w@c.example", "v@c.example"), "3"); // 10 min old
        ClaimedMessage m = queue.claim("f", 100, Duration.ofMinutes(5)).get(0);
        queue.complete(fresh, List.of(new RecipientOutcome(m.recipients().get(0).id(),
                new Outcome.Delivered(SmtpReply.of(250, "2.0.0", "ok"), HOP_B))));
        clock.advance(Duration.ofMinutes(10));

        QueueStats s = admin.stats(List.of(Duration.ofHours(2), Duration.ofMinutes(30)));

        assertThat(s.byState()).containsEntry(RecipientState.DEFERRED, 3L).containsEntry(RecipientState.QUEUED, 1L)
                .containsEntry(RecipientState.DELIVERED, 1L).containsEntry(RecipientState.HELD, 0L);
        assertThat(s.byNextHop()).containsOnly(entry(HOP_A, 2L), entry(HOP_B, 1L), entry("-", 1L));
        assertThat(s.ageBuckets()).containsExactly(Duration.ofMinutes(30), Duration.ofHours(2));
        assertThat(s.ageHistogramByNextHop().get(HOP_A)).containsExactly(0, 0, 2);
        assertThat(s.ageHistogramByNextHop().get(HOP_B)).containsExactly(0, 1, 0);
        assertThat(s.ageHistogramByNextHop().get("-")).containsExactly(1, 0, 0);
    }

    private static java.util.Map.Entry<String, Long> entry(String k, long v) {
        return java.util.Map.entry(k, v);
    }

    private static List<QueueId> ids(List<MessageView> views) {
        return views.stream().map(MessageView::id).toList();
    }
}
