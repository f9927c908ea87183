package dev.relay.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.queue.admin.MessageDetail;
import dev.relay.queue.QueueException;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.QueueId;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tests that need a second JVM: SIGKILL after acknowledgement, a file locked by another process, a small heap. */
class ProcessTest {
    /** Messages acknowledged before the kill ({@code -Drelay.queue.killN=...} for a longer run). */
    private static final int N = Integer.getInteger("relay.queue.killN", 1000);

    @TempDir
    Path dir;

    /**
     * Issue 2 section 3: a child enqueues N messages and is SIGKILLed the moment the N-th future
     * completes (while it goes on enqueueing); every acknowledged message is there, whole.
     */
    @Test
    void everyAcknowledgedMessageSurvivesSigkill() throws Exception {
        try (ChildJvm child = ChildJvm.start(List.of("-Xmx256m"), "enqueue", dir.toString(), Integer.toString(N))) {
            child.await("ACKED " + N, Duration.ofSeconds(120));
            child.kill();
            assertThat(child.output()).doesNotContain("FAILED");
        }
        try (H2MessageQueue queue = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            for (int i = 0; i < N; i++) {
                QueueId id = QueueChild.killId(i);
                MessageDetail d = queue.admin().show(id).orElseThrow(() -> new AssertionError(id + " lost"));
                assertThat(d.envelope().recipients()).extracting(r -> r.forwardPath().toString())
                        .containsExactly("<a" + i + "@example.org>", "<b" + i + "@example.org>");
                try (InputStream in = queue.openBody(id)) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(QueueChild.killBody(i));
                }
            }
            // Messages not yet acknowledged may or may not be there, but never half: each is whole or absent.
            queue.admin().list(new QueueFilter(null, null, "c@example.org", null, null), 0, 1_000_000)
                    .forEach(v -> assertThat(v.recipients()).hasSize(1));
        }
    }

    @Test
    void aDatabaseLockedByAnotherProcessNamesTheFileAndWhatToDo() throws Exception {
        try (ChildJvm child = ChildJvm.start(List.of("-Xmx128m"), "hold", dir.toString())) {
            child.await("OPEN", Duration.ofSeconds(60));
            assertThatThrownBy(() -> H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC()))
                    .isInstanceOf(QueueException.class)
                    .satisfies(e -> assertThat(((QueueException) e).kind()).isEqualTo(QueueException.Kind.LOCKED))
                    .hasMessageContaining(dir.resolve("queue.mv.db").toAbsolutePath().toString())
                    .hasMessageContaining("another process");
        }
    }

    /** Issue 2 section 2: a 100 MiB body goes in and out of a JVM with a 64 MiB heap (-Pslow). */
    @Test
    @Tag("slow")
    void aBodyLargerThanTheHeapIsStreamedInAndOut() throws Exception {
        long mib = Long.getLong("relay.queue.bigBodyMiB", 100);
        try (ChildJvm child = ChildJvm.start(List.of("-Xmx64m"), "big", dir.toString(), Long.toString(mib))) {
            assertThat(child.waitFor(Duration.ofSeconds(300))).as(child.output()).isZero();
            String sha = child.await("SHA ", Duration.ofSeconds(1));
            String[] p = sha.split(" ");
            assertThat(p[1]).isEqualTo(p[2]);
            assertThat(Long.parseLong(p[3])).isEqualTo(mib * 1024 * 1024);
        }
    }
}
