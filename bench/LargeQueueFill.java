// bench/LargeQueueFill.java - fills a queue with deferred recipients, as a next hop that is down
// would leave it; bench/large-queue.sh runs it as a single-file program on the distribution's lib/:
//
//   java -cp 'relay-dist/target/relay/lib/*' bench/LargeQueueFill.java QUEUE_DIR MESSAGES RCPTS HOP
//
// QUEUE_DIR is the relay's queue_directory ($data_directory/queue). Each message has RCPTS
// recipients at down.test, all deferred at HOP for a day (the relay leaves them alone until
// relayctl retry). Prints the times it took on standard output.
import dev.relay.mail.MailParameters;
import dev.relay.mail.Mailbox;
import dev.relay.mail.Path;
import dev.relay.mail.RcptParameters;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.Envelope;
import dev.relay.queue.MessageBody;
import dev.relay.queue.Origin;
import dev.relay.queue.Outcome;
import dev.relay.queue.QueueId;
import dev.relay.queue.QueueSettings;
import dev.relay.queue.Recipient;
import dev.relay.queue.RecipientOutcome;
import dev.relay.queue.jdbc.H2MessageQueue;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

public class LargeQueueFill {
    public static void main(String[] args) throws Exception {
        java.nio.file.Path dir = java.nio.file.Path.of(args[0]);
        int messages = Integer.parseInt(args[1]);
        int rcpts = Integer.parseInt(args[2]);
        String hop = args[3];
        Clock clock = Clock.systemUTC();
        long t0 = System.nanoTime();
        try (H2MessageQueue q = H2MessageQueue.open(QueueSettings.defaults(dir), clock)) {
            List<CompletableFuture<Void>> window = new ArrayList<>();
            for (int i = 0; i < messages; i++) {
                List<Recipient> to = new ArrayList<>(rcpts);
                for (int r = 0; r < rcpts; r++) {
                    to.add(new Recipient(Path.of(new Mailbox("user" + i + "." + r, "down.test")), RcptParameters.NONE));
                }
                Path from = Path.of(new Mailbox("sender" + (i % 100), "example.org"));
                Envelope env = new Envelope(from, MailParameters.NONE, to,
                        new Origin("192.0.2.7", "client.example.net", null, clock.instant(), "ESMTP"));
                String text = "Received: from client.example.net by relay.test\r\nSubject: bulk " + i
                        + "\r\nFrom: sender@example.org\r\n\r\n" + "x".repeat(400) + "\r\n";
                byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
                window.add(q.enqueue(QueueId.generate(), env, MessageBody.of(bytes)));
                if (window.size() == 2_000) {
                    CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
                    window.clear();
                }
            }
            CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
            long enqueued = System.nanoTime();
            SmtpReply refused = SmtpReply.of(421, "4.4.1", "connect to " + hop + ": Connection refused");
            long deferred = 0;
            for (List<ClaimedMessage> batch = q.claim("bench", 1_000, Duration.ofMinutes(5)); !batch.isEmpty();
                 batch = q.claim("bench", 1_000, Duration.ofMinutes(5))) {
                for (ClaimedMessage m : batch) {
                    List<RecipientOutcome> outcomes = new ArrayList<>();
                    for (ClaimedRecipient r : m.recipients()) {
                        outcomes.add(new RecipientOutcome(r.id(), new Outcome.Deferred(refused, hop,
                                clock.instant().plus(Duration.ofDays(1)), false)));
                    }
                    q.complete(m.id(), outcomes);
                    deferred += outcomes.size();
                }
            }
            long done = System.nanoTime();
            System.out.printf("fill: %d messages of %d recipients enqueued in %.1f s,"
                    + " %d recipients deferred in %.1f s%n",
                    messages, rcpts, (enqueued - t0) / 1e9, deferred, (done - enqueued) / 1e9);
        }
    }
}
