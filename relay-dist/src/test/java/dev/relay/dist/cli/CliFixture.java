package dev.relay.dist.cli;

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
import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.QueueId;
import dev.relay.queue.QueueSettings;
import dev.relay.queue.Recipient;
import dev.relay.queue.RecipientOutcome;
import dev.relay.queue.jdbc.H2MessageQueue;
import dev.relay.queue.testing.MutableClock;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A real H2 queue in a temporary folder, a clock the test moves, and relayctl command lines built
 * by the same factory relayctl and the relay use, with writers the test reads.
 */
final class CliFixture implements AutoCloseable {

    /** What a command line did. */
    record Result(int code, String out, String err) {
        /** Output and error, for assertion messages. */
        @Override
        public String toString() {
            return "exit " + code + "\n--- out:\n" + out + "--- err:\n" + err;
        }
    }

    static final Instant START = Instant.parse("2026-03-01T10:00:00Z");

    final MutableClock clock = new MutableClock(START);
    final H2MessageQueue queue;
    final List<String> reloads = new ArrayList<>();

    CliFixture(java.nio.file.Path dir) {
        this.queue = H2MessageQueue.open(QueueSettings.defaults(dir.resolve("queue")), clock);
    }

    /** The context a test's command lines work on: this queue, a recorded reload. */
    CliContext context() {
        return new CliContext() {
            @Override
            public QueueAdmin queue() {
                return queue.admin();
            }

            @Override
            public String reload() {
                reloads.add("reload");
                return "3 routes, 1 relay domain";
            }

            @Override
            public Clock clock() {
                return clock;
            }

            @Override
            public String where() {
                return "test relay";
            }

            @Override
            public long progressEvery() {
                return 1_000;
            }

            @Override
            public Duration progressInterval() {
                return Duration.ofDays(1); // counted steps only, however slow the machine
            }
        };
    }

    Result run(String... args) {
        return runWithInput("", args);
    }

    Result runWithInput(String stdin, String... args) {
        return run(context(), stdin, args);
    }

    static Result run(CliContext context, String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Relayctl.commandLine(context, new StringReader(stdin), new PrintWriter(out, true),
                new PrintWriter(err, true)).execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    static Path path(String address) {
        int at = address.lastIndexOf('@');
        return Path.of(new Mailbox(address.substring(0, at), address.substring(at + 1)));
    }

    static MessageBody body(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return MessageBody.of(bytes);
    }

    static String message(String subject) {
        return "Received: from client.example.net by relay.test\r\nSubject: " + subject
                + "\r\nFrom: s@example.org\r\n\r\nHello.\r\n";
    }

    /** Stores a message from {@code from} to {@code to} (arrival: the clock now) and waits until it is durable. */
    QueueId enqueue(String from, String... to) {
        QueueId id = QueueId.generate();
        enqueueAsync(id, from, "test " + id, to).join();
        return id;
    }

    CompletableFuture<Void> enqueueAsync(QueueId id, String from, String subject, String... to) {
        List<Recipient> rcpts = new ArrayList<>();
        for (String t : to) {
            rcpts.add(new Recipient(path(t), RcptParameters.NONE));
        }
        Envelope env = new Envelope(from.isEmpty() ? Path.NULL : path(from), MailParameters.NONE, rcpts,
                new Origin("192.0.2.7", "client.example.net", null, clock.instant(), "ESMTP"));
        return queue.enqueue(id, env, body(message(subject)));
    }

    /**
     * Claims every due recipient and reports an outcome for each, as the forwarder would: the
     * function gives the outcome for a recipient address (null: give it back untouched).
     */
    int deliverDue(Function<String, Outcome> outcomes) {
        int claimed = 0;
        for (ClaimedMessage m : queue.claim("test", 1000, Duration.ofMinutes(5))) {
            claimed += m.recipients().size();
            List<RecipientOutcome> done = new ArrayList<>();
            List<Long> back = new ArrayList<>();
            for (ClaimedRecipient r : m.recipients()) {
                Outcome o = outcomes.apply(r.recipient().forwardPath().mailbox().toString());
                if (o == null) {
                    back.add(r.id());
                } else {
                    done.add(new RecipientOutcome(r.id(), o));
                }
            }
            if (!done.isEmpty()) {
                queue.complete(m.id(), done);
            }
            if (!back.isEmpty()) {
                queue.release(m.id(), back);
            }
        }
        return claimed;
    }

    /** A deferral at {@code hop} for an hour. */
    Outcome deferred(String hop) {
        return new Outcome.Deferred(SmtpReply.of(451, "4.3.0", "try again later"), hop,
                clock.instant().plus(Duration.ofHours(1)), false);
    }

    /** Recipients claimable now (ids of their messages, once per recipient). */
    List<String> claimable() {
        List<String> ids = new ArrayList<>();
        for (ClaimedMessage m : queue.claim("probe", 100_000, Duration.ofMillis(1))) {
            m.recipients().forEach(r -> ids.add(m.id().value() + ":" + r.recipient().forwardPath().mailbox()));
            queue.release(m.id(), m.recipients().stream().map(ClaimedRecipient::id).toList());
        }
        return ids;
    }

    @Override
    public void close() {
        queue.close();
    }

    static void await(CompletableFuture<?> f) throws Exception {
        f.get(30, TimeUnit.SECONDS);
    }
}
