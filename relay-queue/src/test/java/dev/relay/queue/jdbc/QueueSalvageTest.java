package dev.relay.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.queue.admin.MessageView;
import dev.relay.queue.QueueException;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.QueueId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code relayctl recover} on the queue alone: a file left by a kill is rebuilt message by message. */
class QueueSalvageTest {
    @TempDir
    Path dir;

    @Test
    void aQueueFileLeftByAKillIsRebuiltWithEveryAcknowledgedMessageAndTheOldFileKept() throws Exception {
        int n = 300;
        try (ChildJvm child = ChildJvm.start(List.of(), "enqueue", dir.toString(), Integer.toString(n))) {
            child.await("ACKED " + n, Duration.ofMinutes(2));
            child.kill();
        }
        QueueSalvage.Report report = QueueSalvage.recover(Fixtures.settings(dir), Clock.systemUTC());

        assertThat(report.lost()).isEmpty();
        assertThat(report.messages()).isGreaterThanOrEqualTo(n);
        assertThat(report.damagedFile()).exists().hasParent(dir);
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
                .noneMatch(name -> name.startsWith("recover-"));
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            for (int i = 0; i < n; i++) {
                try (InputStream in = q.openBody(QueueChild.killId(i))) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(QueueChild.killBody(i));
                }
            }
            List<MessageView> page = q.admin().list(QueueFilter.ALL, 0, 10);
            assertThat(page).allSatisfy(v -> assertThat(v.recipients()).hasSizeGreaterThanOrEqualTo(1));
            // the rebuilt file takes new messages and claims: the ids continue after the copied ones
            q.enqueue(dev.relay.queue.QueueId.generate(), Fixtures.envelope("s@example.org", "new@example.org"),
                    Fixtures.body("after the recovery")).get();
            assertThat(q.claim("t", 5000, Duration.ofMinutes(1)).stream().mapToInt(m -> m.recipients().size()).sum())
                    .isEqualTo(report.recipients() + 1);
        }
    }

    @Test
    void aQueueInUseByARunningRelayIsNotTouched() throws Exception {
        try (ChildJvm child = ChildJvm.start(List.of(), "hold", dir.toString())) {
            child.await("OPEN", Duration.ofMinutes(1));
            long size = Files.size(dir.resolve("queue.mv.db"));
            assertThatThrownBy(() -> QueueSalvage.recover(Fixtures.settings(dir), Clock.systemUTC()))
                    .isInstanceOfSatisfying(QueueException.class,
                            e -> assertThat(e.kind()).isEqualTo(QueueException.Kind.LOCKED))
                    .hasMessageContaining("running relay");
            assertThat(Files.size(dir.resolve("queue.mv.db"))).isEqualTo(size);
        }
    }

    /**
     * A file with both header blocks destroyed cannot be opened by H2 at all. With its journal the
     * queue does not need it: the start rebuilds the database from the journal and keeps the
     * damaged file beside it.
     */
    @Test
    void aFileNoOpenCanReadIsRebuiltFromTheJournal() throws Exception {
        QueueId id = QueueId.generate();
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            q.enqueue(id, Fixtures.envelope("s@example.org", "a@example.org"), Fixtures.body("x")).get();
        }
        Path file = dir.resolve("queue.mv.db");
        destroyHeaders(file);
        byte[] damaged = Files.readAllBytes(file);
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            assertThat(q.admin().list(QueueFilter.ALL, 0, 10)).extracting(MessageView::id).containsExactly(id);
            try (InputStream in = q.openBody(id)) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("x");
            }
        }
        assertThat(Files.readAllBytes(dir.resolve("queue.mv.db.crashed"))).isEqualTo(damaged);
    }

    /**
     * The same for a queue of the version before the journal: the relay refuses to start with a
     * message that names the way back, and recover says plainly that it cannot help and leaves the
     * file as it was (H2's recovery needs one readable header).
     */
    @Test
    void aFileNoOpenCanReadWithoutAJournalNamesRelayctlRecoverAndIsLeftUnchanged() throws Exception {
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            q.enqueue(dev.relay.queue.QueueId.generate(), Fixtures.envelope("s@example.org", "a@example.org"),
                    Fixtures.body("x")).get();
        }
        try (Stream<Path> s = Files.walk(dir.resolve("spool"))) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        Path file = dir.resolve("queue.mv.db");
        destroyHeaders(file);
        byte[] damaged = Files.readAllBytes(file);
        assertThatThrownBy(() -> H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC()))
                .isInstanceOfSatisfying(QueueException.class,
                        e -> assertThat(e.kind()).isEqualTo(QueueException.Kind.CORRUPT))
                .hasMessageContaining("cannot be opened").hasMessageContaining("relayctl recover");
        assertThatThrownBy(() -> QueueSalvage.recover(Fixtures.settings(dir), Clock.systemUTC()))
                .isInstanceOf(QueueException.class).hasMessageContaining("the file is unchanged");
        assertThat(Files.readAllBytes(file)).isEqualTo(damaged);
    }

    private static void destroyHeaders(Path file) throws IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.allocate(8192), 0);
        }
    }
}
