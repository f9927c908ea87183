package dev.relay.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.Outcome;
import dev.relay.queue.QueueFilter;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A queue file that held a backlog gives the disk back at a clean stop, and keeps what is queued. */
class CompactionTest {
    @TempDir
    Path dir;

    @Test
    void aMostlyFreeFileShrinksAtStopAndKeepsTheQueuedMessages() throws Exception {
        byte[] body = Fixtures.message("backlog", "x".repeat(40_000)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        QueueId kept = QueueId.generate();
        long grown;
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            List<CompletableFuture<Void>> acks = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                acks.add(q.enqueue(QueueId.generate(), Fixtures.envelope("s@example.org", "a@example.org"),
                        Fixtures.body(body)));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get();
            SmtpReply ok = SmtpReply.of(250, "2.0.0", "ok");
            for (List<ClaimedMessage> batch; !(batch = q.claim("t", 500, Duration.ofMinutes(1))).isEmpty(); ) {
                for (ClaimedMessage m : batch) {
                    List<RecipientOutcome> done = new ArrayList<>();
                    for (ClaimedRecipient r : m.recipients()) {
                        done.add(new RecipientOutcome(r.id(), new Outcome.Delivered(ok, "sink")));
                    }
                    q.complete(m.id(), done);
                }
            }
            q.enqueue(kept, Fixtures.envelope("s@example.org", "b@example.org"), Fixtures.body("still queued")).get();
            grown = Files.size(q.file());
        }
        long after = Files.size(dir.resolve("queue.mv.db"));
        assertThat(grown).isGreaterThan(H2MessageQueue.COMPACT_MIN_BYTES);
        assertThat(after).as("file size after the stop, %d bytes before", grown).isLessThan(grown / 4);
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            assertThat(q.admin().list(QueueFilter.ALL, 0, 10)).singleElement()
                    .satisfies(v -> assertThat(v.id()).isEqualTo(kept));
        }
    }
}
