package dev.relay.queue.jdbc;

import static dev.relay.queue.jdbc.Fixtures.body;
import static dev.relay.queue.jdbc.Fixtures.envelope;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.admin.MessageDetail;
import dev.relay.queue.Outcome;
import dev.relay.queue.QueueException;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientOutcome;
import dev.relay.queue.RecipientState;
import dev.relay.queue.admin.RecipientView;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue's journal: what was acknowledged survives a crash whatever becomes of the database.
 *
 * <p>A crash is a copy of the data folder taken while the queue runs, as a kill leaves it (every
 * write done so far is in the files, nothing was closed); opening the copy is the restart.
 */
class JournalTest {
    private static final SmtpReply OK = SmtpReply.of(250, "2.0.0", "Ok");
    private static final SmtpReply NO_USER = SmtpReply.of(550, "5.1.1", "No such user");
    private static final SmtpReply LATER = SmtpReply.of(451, "4.3.0", "Try later");
    private static final String HOP = "mx.example.org[192.0.2.5]:25";

    @TempDir
    Path dir;

    @Test
    void afterACrashTheDatabaseIsRebuiltWithWhatTheJournalKnows() throws Exception {
        Path live = dir.resolve("live");
        Map<String, byte[]> bodies = new HashMap<>();
        QueueId delivered;
        QueueId partial;
        QueueId held;
        QueueId bounced;
        QueueId deleted;
        QueueId waiting;
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(live), Clock.systemUTC())) {
            delivered = store(q, bodies, "a@example.org");
            partial = store(q, bodies, "b1@example.org", "b2@example.org", "b3@example.org");
            held = store(q, bodies, "c@example.org");
            bounced = store(q, bodies, "d@example.org");
            deleted = store(q, bodies, "e@example.org");
            List<ClaimedMessage> claimed = q.claim("engine", 100, Duration.ofMinutes(5));
            ClaimedMessage d = find(claimed, delivered);
            q.complete(delivered, List.of(new RecipientOutcome(d.recipients().get(0).id(), new Outcome.Delivered(OK, HOP))));
            ClaimedMessage p = find(claimed, partial);
            q.complete(partial, List.of(
                    new RecipientOutcome(p.recipients().get(0).id(), new Outcome.Delivered(OK, HOP)),
                    new RecipientOutcome(p.recipients().get(1).id(), new Outcome.Failed(NO_USER, HOP)),
                    new RecipientOutcome(p.recipients().get(2).id(), new Outcome.Deferred(LATER, HOP, null, false))));
            for (QueueId other : List.of(held, bounced, deleted)) {
                ClaimedMessage m = find(claimed, other);
                q.complete(other, List.of(new RecipientOutcome(m.recipients().get(0).id(),
                        new Outcome.Deferred(LATER, HOP, null, false))));
            }
            assertThat(q.admin().hold(List.of(held))).isEqualTo(1);
            assertThat(q.admin().bounce(List.of(bounced), "stale")).isEqualTo(1);
            assertThat(q.admin().delete(List.of(deleted))).isEqualTo(1);
            waiting = store(q, bodies, "f@example.org");

            crashCopy(live, dir.resolve("after-crash"));
        }

        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir.resolve("after-crash")), Clock.systemUTC())) {
            assertThat(Files.exists(dir.resolve("after-crash").resolve("queue.mv.db.crashed")))
                    .as("the database of the crash is set aside, not used").isTrue();
            List<String> ids = q.admin().list(QueueFilter.ALL, 0, 100).stream().map(v -> v.id().value()).toList();
            assertThat(ids).containsExactlyInAnyOrder(partial.value(), held.value(), bounced.value(), waiting.value());

            MessageDetail p = q.admin().show(partial).orElseThrow();
            assertThat(p.view().recipients()).extracting(RecipientView::state)
                    .containsExactly(RecipientState.DELIVERED, RecipientState.FAILED, RecipientState.QUEUED);
            assertThat(q.admin().show(held).orElseThrow().view().recipients()).extracting(RecipientView::state)
                    .containsExactly(RecipientState.HELD);

            List<ClaimedMessage> claimed = q.claim("engine", 100, Duration.ofMinutes(5));
            assertThat(claimed).extracting(m -> m.id().value())
                    .containsExactlyInAnyOrder(partial.value(), bounced.value(), waiting.value());
            assertThat(find(claimed, partial).recipients()).hasSize(1);
            assertThat(find(claimed, partial).recipients().get(0).recipient().forwardPath().toString())
                    .isEqualTo("<b3@example.org>");
            assertThat(find(claimed, bounced).recipients()).extracting(ClaimedRecipient::adminBounceReason)
                    .containsExactly("stale");
            for (QueueId id : List.of(partial, held, bounced, waiting)) {
                assertThat(read(q, id)).as("body of %s", id).isEqualTo(bodies.get(id.value()));
            }
        }
    }

    @Test
    void aCleanStopIsTrustedAndKeepsTheHistory() throws Exception {
        Path live = dir.resolve("q");
        QueueId id;
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(live), Clock.systemUTC())) {
            id = store(q, new HashMap<>(), "a@example.org");
            ClaimedMessage m = q.claim("engine", 10, Duration.ofMinutes(5)).get(0);
            q.complete(id, List.of(new RecipientOutcome(m.recipients().get(0).id(),
                    new Outcome.Deferred(LATER, HOP, null, false))));
        }
        assertThat(Files.exists(live.resolve("spool").resolve(Journal.CLEAN_MARKER))).isTrue();
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(live), Clock.systemUTC())) {
            assertThat(Files.exists(live.resolve("spool").resolve(Journal.CLEAN_MARKER)))
                    .as("taken at open: a crash from now on is not a clean stop").isFalse();
            MessageDetail d = q.admin().show(id).orElseThrow();
            assertThat(d.history()).as("the attempt history only the database has").hasSize(1);
            assertThat(d.view().recipients().get(0).state()).isEqualTo(RecipientState.DEFERRED);
        }
        assertThat(Files.exists(live.resolve("queue.mv.db.crashed"))).isFalse();
    }

    @Test
    void aCutRecordAtTheEndOfTheNewestSegmentIsNotAMessage() throws Exception {
        Path live = dir.resolve("live");
        Map<String, byte[]> bodies = new HashMap<>();
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(live), Clock.systemUTC())) {
            for (int i = 0; i < 5; i++) {
                store(q, bodies, "r" + i + "@example.org");
            }
            crashCopy(live, dir.resolve("crash"));
        }
        Path segment;
        try (Stream<Path> s = Files.list(dir.resolve("crash").resolve("spool"))) {
            segment = s.filter(p -> p.toString().endsWith(".seg")).max(Comparator.naturalOrder()).orElseThrow();
        }
        // what a power cut in the middle of the next group's append leaves: the start of a record
        byte[] tail = Files.readAllBytes(segment);
        Files.write(segment, java.util.Arrays.copyOf(tail, 40), StandardOpenOption.APPEND);
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir.resolve("crash")), Clock.systemUTC())) {
            assertThat(q.admin().list(QueueFilter.ALL, 0, 100)).hasSize(5);
            for (String id : bodies.keySet()) {
                assertThat(read(q, new QueueId(id))).isEqualTo(bodies.get(id));
            }
        }
    }

    @Test
    void aRecordThatFailsItsChecksumEndsItsSegment() throws Exception {
        Path live = dir.resolve("live");
        Map<String, byte[]> bodies = new HashMap<>();
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(live), Clock.systemUTC())) {
            store(q, bodies, "first@example.org");
            store(q, bodies, "second@example.org");
            crashCopy(live, dir.resolve("crash"));
        }
        Path segment;
        try (Stream<Path> s = Files.list(dir.resolve("crash").resolve("spool"))) {
            segment = s.filter(p -> p.toString().endsWith(".seg")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(segment);
        bytes[bytes.length - 10] ^= 0x55; // in the second message's body
        Files.write(segment, bytes);
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir.resolve("crash")), Clock.systemUTC())) {
            assertThat(q.admin().list(QueueFilter.ALL, 0, 100)).hasSize(1);
        }
    }

    @Test
    void aSecondQueueOnTheSameFolderIsRefused() {
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            assertThatThrownBy(() -> H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC()))
                    .isInstanceOfSatisfying(QueueException.class,
                            e -> assertThat(e.kind()).isEqualTo(QueueException.Kind.LOCKED))
                    .hasMessageContaining(dir.resolve("spool").toString());
            assertThat(q.admin().list(QueueFilter.ALL, 0, 1)).isEmpty();
        }
    }

    @Test
    void segmentsGoOnceNoMessageNeedsThemAndAFewLiveMessagesAreMovedOutOfAnOldOne() throws Exception {
        long before = Journal.segmentBytes;
        Journal.segmentBytes = 4096;
        Path live = dir.resolve("live");
        Map<String, byte[]> bodies = new HashMap<>();
        QueueId keep;
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(live), Clock.systemUTC())) {
            keep = store(q, bodies, 300, "done@example.org", "later@example.org");
            ClaimedMessage k = q.claim("engine", 10, Duration.ofMinutes(5)).get(0);
            q.complete(keep, List.of(new RecipientOutcome(k.recipients().get(0).id(), new Outcome.Delivered(OK, HOP)),
                    new RecipientOutcome(k.recipients().get(1).id(), new Outcome.Deferred(LATER, HOP, null, false))));
            q.admin().hold(List.of(keep));
            for (int round = 0; round < 8; round++) {
                for (int i = 0; i < 4; i++) {
                    store(q, bodies, "r" + round + "x" + i + "@example.org");
                }
                for (ClaimedMessage m : q.claim("engine", 100, Duration.ofMinutes(5))) {
                    q.complete(m.id(), List.of(new RecipientOutcome(m.recipients().get(0).id(),
                            new Outcome.Delivered(OK, HOP))));
                }
            }
            List<String> segments;
            try (Stream<Path> s = Files.list(live.resolve("spool"))) {
                segments = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".seg")).sorted().toList();
            }
            // at least one segment per round was begun; the held message was moved out of the first
            assertThat(segments).as("the last few segments only")
                    .doesNotContain("0000000000000001.seg", "0000000000000002.seg", "0000000000000003.seg")
                    .hasSizeLessThanOrEqualTo(4);
            assertThat(read(q, keep)).isEqualTo(bodies.get(keep.value()));
            crashCopy(live, dir.resolve("crash"));
        } finally {
            Journal.segmentBytes = before;
        }
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir.resolve("crash")), Clock.systemUTC())) {
            assertThat(q.admin().list(QueueFilter.ALL, 0, 100)).extracting(v -> v.id()).containsExactly(keep);
            assertThat(q.admin().show(keep).orElseThrow().view().recipients()).extracting(RecipientView::state)
                    .containsExactly(RecipientState.DELIVERED, RecipientState.HELD);
            assertThat(read(q, keep)).isEqualTo(bodies.get(keep.value()));
        }
    }

    @Test
    void aQueueOfAnOlderVersionIsMovedIntoTheJournal() throws Exception {
        Map<String, byte[]> bodies = new HashMap<>();
        QueueId partial;
        QueueId held;
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            partial = store(q, bodies, "a@example.org", "b@example.org");
            held = store(q, bodies, "c@example.org");
            ClaimedMessage p = find(q.claim("engine", 100, Duration.ofMinutes(5)), partial);
            q.complete(partial, List.of(new RecipientOutcome(p.recipients().get(0).id(), new Outcome.Delivered(OK, HOP)),
                    new RecipientOutcome(p.recipients().get(1).id(), new Outcome.Deferred(LATER, HOP, null, false))));
            q.admin().hold(List.of(held));
        }
        // As the version before the journal left it: bodies in the database, no spool folder.
        try (Connection c = new org.h2.Driver().connect("jdbc:h2:" + dir.resolve("queue"), credentials());
             PreparedStatement ps = c.prepareStatement("UPDATE message SET body = ?, spool_segment = NULL,"
                     + " spool_offset = NULL WHERE queue_id = ?")) {
            for (Map.Entry<String, byte[]> e : bodies.entrySet()) {
                ps.setBytes(1, e.getValue());
                ps.setString(2, e.getKey());
                ps.executeUpdate();
            }
        }
        deleteTree(dir.resolve("spool"));

        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            assertThat(read(q, partial)).isEqualTo(bodies.get(partial.value()));
            crashCopy(dir, dir.resolve("crash"));
        }
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir.resolve("crash")), Clock.systemUTC())) {
            assertThat(q.admin().show(partial).orElseThrow().view().recipients()).extracting(RecipientView::state)
                    .containsExactly(RecipientState.DELIVERED, RecipientState.QUEUED);
            assertThat(q.admin().show(held).orElseThrow().view().recipients()).extracting(RecipientView::state)
                    .containsExactly(RecipientState.HELD);
            assertThat(read(q, partial)).isEqualTo(bodies.get(partial.value()));
            assertThat(read(q, held)).isEqualTo(bodies.get(held.value()));
        }
    }

    // ---- helpers ----

    private static QueueId store(H2MessageQueue q, Map<String, byte[]> bodies, String... to) {
        return store(q, bodies, -1, to);
    }

    /** A message of {@code size} bytes (-1: 1,000 to 4,000), its body kept in {@code bodies}. */
    private static QueueId store(H2MessageQueue q, Map<String, byte[]> bodies, int size, String... to) {
        QueueId id = QueueId.generate();
        byte[] b = new byte[size >= 0 ? size : 1000 + new Random(id.hashCode()).nextInt(3000)];
        new Random(id.value().hashCode()).nextBytes(b);
        q.enqueue(id, envelope("s@example.org", to), body(b)).join();
        bodies.put(id.value(), b);
        return id;
    }

    private static ClaimedMessage find(List<ClaimedMessage> claimed, QueueId id) {
        return claimed.stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow(
                () -> new AssertionError(id + " not claimed among " + claimed.stream().map(m -> m.id().value())
                        .collect(Collectors.joining(", "))));
    }

    private static byte[] read(H2MessageQueue q, QueueId id) throws IOException {
        try (InputStream in = q.openBody(id)) {
            return in.readAllBytes();
        }
    }

    /** The data folder as a kill leaves it: every file as written so far (the queue is still open). */
    private static void crashCopy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.filter(p -> !p.startsWith(to)).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static java.util.Properties credentials() {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", "relay");
        p.setProperty("password", "");
        return p;
    }
}
