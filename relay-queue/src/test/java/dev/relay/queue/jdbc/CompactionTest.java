package dev.relay.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.Outcome;
import dev.relay.queue.admin.QueueFilter;
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

    /**
     * Bodies live in the journal, whose segments go once no message needs them; what grows in the
     * database is rows: recipients and their history. A backlog of them leaves the file mostly
     * free once delivered, and a stop gives that back.
     */
    @Test
    void aMostlyFreeFileShrinksAtStopAndKeepsTheQueuedMessages() throws Exception {
        long threshold = H2MessageQueue.compactMinBytes;
        H2MessageQueue.compactMinBytes = 1L << 20;
        try {
            String[] rcpts = new String[50];
            for (int i = 0; i < rcpts.length; i++) {
                rcpts[i] = "recipient-with-a-rather-long-local-part-" + i + "@backlog.example.org";
            }
            QueueId kept = QueueId.generate();
            long grown;
            try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
                List<CompletableFuture<Void>> acks = new ArrayList<>();
                for (int i = 0; i < 400; i++) {
                    acks.add(q.enqueue(QueueId.generate(), Fixtures.envelope("s@example.org", rcpts),
                            Fixtures.body("backlog " + i)));
                }
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get();
                try (java.sql.Connection c = q.connection()) {
                    q.sync(c);
                }
                SmtpReply ok = SmtpReply.of(250, "2.0.0", "ok");
                for (List<ClaimedMessage> batch; !(batch = q.claim("t", 1000, Duration.ofMinutes(1))).isEmpty(); ) {
                    for (ClaimedMessage m : batch) {
                        List<RecipientOutcome> done = new ArrayList<>();
                        for (ClaimedRecipient r : m.recipients()) {
                            done.add(new RecipientOutcome(r.id(), new Outcome.Delivered(ok, "sink")));
                        }
                        q.complete(m.id(), done);
                    }
                }
                q.enqueue(kept, Fixtures.envelope("s@example.org", "b@example.org"), Fixtures.body("still queued")).get();
                try (java.sql.Connection c = q.connection()) {
                    q.sync(c);
                }
                grown = Files.size(q.file());
            }
            long after = Files.size(dir.resolve("queue.mv.db"));
            assertThat(grown).isGreaterThan(H2MessageQueue.compactMinBytes);
            assertThat(after).as("file size after the stop, %d bytes before", grown).isLessThan(grown / 4);
            try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
                assertThat(q.admin().list(QueueFilter.ALL, 0, 10)).singleElement()
                        .satisfies(v -> assertThat(v.id()).isEqualTo(kept));
                assertThat(q.admin().body(kept).orElseThrow().readAllBytes()).asString().isEqualTo("still queued");
            }
        } finally {
            H2MessageQueue.compactMinBytes = threshold;
        }
    }
}
