package dev.relay.dist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.dist.cli.CliFixture.Result;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.Outcome;
import dev.relay.queue.QueueId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every relayctl subcommand, in-process, on a real queue in a temporary folder: what it prints,
 * what it changes, its exit code, and its one-line errors for bad arguments.
 */
@Timeout(60)
class RelayctlCommandsTest {

    @TempDir
    java.nio.file.Path dir;

    CliFixture f;

    @BeforeEach
    void open() {
        f = new CliFixture(dir);
    }

    @AfterEach
    void close() {
        f.close();
    }

    /** A failure is one line on standard error, starting "relayctl:", never a stack trace. */
    static void assertOneLineError(Result r, int code, String... fragments) {
        assertThat(r.code()).as(r.toString()).isEqualTo(code);
        assertThat(r.err().lines().toList()).as(r.toString()).hasSize(1);
        assertThat(r.err()).startsWith("relayctl: ").doesNotContain("\tat ").doesNotContain("Exception");
        for (String frag : fragments) {
            assertThat(r.err()).as(r.toString()).contains(frag);
        }
    }

    // ---------------------------------------------------------------- queue

    @Test
    void queueOfAnEmptyQueueSaysSoLikeMailq() {
        Result r = f.run("queue");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("Mail queue is empty" + System.lineSeparator());
        assertThat(r.err()).isEmpty();
    }

    @Test
    void queueListsIdSizeArrivalSenderAndEachRecipientWithStateNextAttemptAndLastReply() {
        QueueId a = f.enqueue("alice@example.org", "bob@example.net", "carol@example.com");
        f.clock.advance(Duration.ofMinutes(1));
        QueueId b = f.enqueue("", "dave@example.net");
        f.deliverDue(rcpt -> rcpt.startsWith("bob") ? f.deferred("mx.example.net[192.0.2.25]:25") : null);

        Result r = f.run("queue");
        assertThat(r.code()).as(r.toString()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).contains("QUEUE ID", "SIZE", "ARRIVAL", "SENDER");
        assertThat(lines.get(1)).startsWith(a.value()).contains("2026-03-01T10:00:00Z", "<alice@example.org>")
                .contains(String.valueOf(CliFixture.message("test " + a).length()));
        assertThat(lines.get(2)).contains("deferred", "next 2026-03-01T11:01:00Z", "<bob@example.net>", "attempts=1");
        assertThat(lines.get(3)).contains("451 4.3.0 try again later", "at mx.example.net[192.0.2.25]:25");
        assertThat(lines.get(4)).contains("queued", "<carol@example.com>").doesNotContain("attempts");
        assertThat(lines.get(5)).startsWith(b.value()).contains("2026-03-01T10:01:00Z", "<>");
        assertThat(lines.get(6)).contains("queued", "<dave@example.net>");
        assertThat(lines.get(7)).isEqualTo("-- 2 messages, 3 recipients, 1 KiB");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void queueFiltersByStateSenderRecipientAgeAndNextHopAndTheyCombine() {
        QueueId old = f.enqueue("alice@example.org", "bob@example.net");
        f.clock.advance(Duration.ofHours(2));
        QueueId fromBob = f.enqueue("bob@Example.NET", "zed@example.com");
        QueueId toCarol = f.enqueue("x@example.org", "carol@example.com");
        f.deliverDue(rcpt -> rcpt.startsWith("bob") ? f.deferred("mx.example.net[192.0.2.25]:25")
                : rcpt.startsWith("carol") ? f.deferred("mx.example.com[192.0.2.26]:25") : null);

        assertThat(ids(f.run("queue", "--state", "deferred"))).containsExactly(old.value(), toCarol.value());
        assertThat(ids(f.run("queue", "--state", "QUEUED"))).containsExactly(fromBob.value());
        assertThat(ids(f.run("queue", "--from", "BOB@example"))).containsExactly(fromBob.value());
        assertThat(ids(f.run("queue", "--to", "carol"))).containsExactly(toCarol.value());
        assertThat(ids(f.run("queue", "--older-than", "1h"))).containsExactly(old.value());
        assertThat(ids(f.run("queue", "--next-hop", "mx.example.com"))).containsExactly(toCarol.value());
        assertThat(ids(f.run("queue", "--state", "deferred", "--older-than", "90m"))).containsExactly(old.value());
        assertThat(ids(f.run("queue", "--limit", "1"))).containsExactly(old.value());

        Result none = f.run("queue", "--to", "nobody");
        assertThat(none.code()).isZero();
        assertThat(none.out()).isEqualTo("No message matches." + System.lineSeparator());
    }

    private static List<String> ids(Result r) {
        assertThat(r.code()).as(r.toString()).isZero();
        List<String> ids = new ArrayList<>();
        for (String line : r.out().lines().toList()) {
            if (!line.isEmpty() && Character.isLetterOrDigit(line.charAt(0)) && !line.startsWith("QUEUE ID")) {
                ids.add(line.substring(0, line.indexOf(' ')));
            }
        }
        return ids;
    }

    @Test
    void queueJsonIsOneObjectPerMessageAndLineWithEveryRecipient() {
        QueueId a = f.enqueue("alice@example.org", "bob@example.net", "carol@example.com");
        f.deliverDue(rcpt -> rcpt.startsWith("bob") ? f.deferred("mx.example.net[192.0.2.25]:25") : null);
        f.enqueue("", "dave@example.net");

        Result r = f.run("queue", "--json");
        assertThat(r.code()).as(r.toString()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("{\"queue_id\":\"" + a.value() + "\"")
                .contains("\"arrival_time\":\"2026-03-01T10:00:00Z\"", "\"sender\":\"<alice@example.org>\"",
                        "{\"address\":\"<bob@example.net>\",\"state\":\"deferred\",\"attempts\":1,"
                                + "\"next_attempt\":\"2026-03-01T11:00:00Z\",\"last_reply\":\"451 4.3.0 try again later\","
                                + "\"next_hop\":\"mx.example.net[192.0.2.25]:25\"",
                        "{\"address\":\"<carol@example.com>\",\"state\":\"queued\",\"attempts\":0")
                .endsWith("]}");
        assertThat(lines.get(1)).contains("\"sender\":\"<>\"");
        for (String line : lines) {
            assertBalancedJson(line);
        }
        assertThat(f.run("queue", "--json", "--to", "nobody").out()).isEmpty();
    }

    /** A cheap well-formedness check: braces and brackets balance outside strings, strings end. */
    static void assertBalancedJson(String s) {
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
                assertThat(depth).as(s).isNotNegative();
            }
        }
        assertThat(inString).as(s).isFalse();
        assertThat(depth).as(s).isZero();
    }

    @Test
    void queueRefusesBadArgumentsWithExitCodeTwoAndSaysWhatIsWrong() {
        assertOneLineError(f.run("queue", "--state", "lost"), 2, "'lost' is not a recipient state (one of: queued, deferred, delivered, failed, held)", "--state",
                "relayctl queue --help");
        assertOneLineError(f.run("queue", "--older-than", "5 fortnights"), 2, "5 fortnights");
        assertOneLineError(f.run("queue", "--older-than", "-5m"), 2, "-5m");
        assertOneLineError(f.run("queue", "--limit", "0"), 2, "--limit");
        assertOneLineError(f.run("queue", "--limit", "many"), 2, "many");
        assertOneLineError(f.run("queue", "--frmo", "x"), 2, "--frmo");
        assertOneLineError(f.run("queue", "extra"), 2, "extra");
    }

    // ---------------------------------------------------------------- show

    @Test
    void showPrintsEnvelopeClientRecipientsHistoryAndHeaders() {
        QueueId a = f.enqueue("alice@example.org", "bob@example.net", "carol@example.com");
        f.deliverDue(rcpt -> rcpt.startsWith("bob") ? f.deferred("mx.example.net[192.0.2.25]:25")
                : new Outcome.Delivered(SmtpReply.of(250, "2.0.0", "ok queued as 123"), "mx.example.com[192.0.2.26]:25"));

        Result r = f.run("show", a.value());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("queue id:    " + a.value(), "arrival:     2026-03-01T10:00:00Z",
                "sender:      <alice@example.org>", "client:      192.0.2.7, helo=client.example.net, protocol=ESMTP",
                "<bob@example.net>  deferred, attempts=1, next 2026-03-01T11:00:00Z",
                "last reply: 451 4.3.0 try again later (at mx.example.net[192.0.2.25]:25)",
                "<carol@example.com>  delivered, attempts=1",
                "2026-03-01T10:00:00Z  <bob@example.net>  mx.example.net[192.0.2.25]:25  deferred (451 4.3.0 try again later)",
                "2026-03-01T10:00:00Z  <carol@example.com>  mx.example.com[192.0.2.26]:25  delivered (250 2.0.0 ok queued as 123)",
                "headers:", "  Subject: test " + a.value(), "  From: s@example.org")
                .doesNotContain("Hello.");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void showOfAnUnknownIdFailsAndBadIdsAreUsageErrors() {
        assertOneLineError(f.run("show", "ABCDEF123456"), 1, "no message ABCDEF123456", "relayctl queue");
        assertOneLineError(f.run("show", "no-such-id!"), 2, "'no-such-id!' is not a queue id");
        assertOneLineError(f.run("show"), 2, "ID");
        assertOneLineError(f.run("show", "ABCDEF123456", "ABCDEF123457"), 2);
    }

    // ---------------------------------------------------------------- retry

    @Test
    void retryMakesDeferredRecipientsOfTheGivenMessagesDueNow() {
        QueueId a = f.enqueue("alice@example.org", "bob@example.net");
        QueueId b = f.enqueue("alice@example.org", "carol@example.net");
        f.deliverDue(rcpt -> f.deferred("mx.example.net[192.0.2.25]:25"));
        assertThat(f.claimable()).isEmpty();

        Result r = f.run("retry", a.value());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("retry: 1 recipient is due now" + System.lineSeparator());
        assertThat(f.claimable()).containsExactly(a.value() + ":bob@example.net");
        assertThat(f.run("retry", b.value() + "*").code()).isZero(); // mailq marks deferred ids with * or !; pasting one works
        assertThat(f.claimable()).hasSize(2);
    }

    @Test
    void retryAllAndByNextHop() {
        f.enqueue("alice@example.org", "bob@example.net");
        QueueId c = f.enqueue("alice@example.org", "carol@example.com");
        f.deliverDue(rcpt -> rcpt.startsWith("bob") ? f.deferred("mx.example.net[192.0.2.25]:25")
                : f.deferred("mx.example.com[192.0.2.26]:25"));
        assertThat(f.claimable()).isEmpty();

        Result byHop = f.run("retry", "--next-hop", "mx.example.com");
        assertThat(byHop.code()).as(byHop.toString()).isZero();
        assertThat(byHop.out()).contains("1 recipient is due now");
        assertThat(f.claimable()).containsExactly(c.value() + ":carol@example.com");

        Result all = f.run("retry", "--all");
        assertThat(all.code()).as(all.toString()).isZero();
        assertThat(all.out()).contains("2 recipients are due now");
        assertThat(f.claimable()).hasSize(2);
    }

    @Test
    void retryOfNothingFailsAndConflictingTargetsAreUsageErrors() {
        assertOneLineError(f.run("retry", "--all"), 1, "nothing to retry");
        assertOneLineError(f.run("retry", "ABCDEF123456"), 1, "nothing to retry");
        assertOneLineError(f.run("retry"), 2,
                "say which messages to retry: ID... (queue ids), - (ids on standard input), --all, or filters");
        assertOneLineError(f.run("retry", "--all", "ABCDEF123456"), 2, "give either queue ids or --all/filters");
        assertOneLineError(f.run("retry", "--next-hop", "x", "ABCDEF123456"), 2,
                "give either queue ids or --all/filters");
        assertOneLineError(f.run("retry", "--all", "--next-hop", "x"), 1, "nothing to retry");
        assertOneLineError(f.run("retry", "--next-hop", ""), 2, "--next-hop needs a host name");
        assertOneLineError(f.run("retry", "--next-hop"), 2, "--next-hop");
    }

    @Test
    void aLongRetryReportsProgressOnStandardError() throws Exception {
        // 250 messages of 10 recipients; the test context reports every 1,000 (relayctl: 10,000).
        List<CompletableFuture<Void>> stored = new ArrayList<>();
        String[] rcpts = new String[10];
        for (int i = 0; i < rcpts.length; i++) {
            rcpts[i] = "r" + i + "@example.net";
        }
        for (int i = 0; i < 250; i++) {
            stored.add(f.enqueueAsync(QueueId.generate(), "bulk@example.org", "bulk " + i, rcpts));
        }
        CliFixture.await(CompletableFuture.allOf(stored.toArray(CompletableFuture[]::new)));

        Result r = f.run("retry", "--all");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("retry: 2500 recipients are due now" + System.lineSeparator());
        assertThat(r.err().lines().toList()).containsExactly("retry: 1000 recipients so far...",
                "retry: 2000 recipients so far...");
    }

    @Test
    void aSlowRetryReportsProgressAfterEachBatchOnceTheIntervalHasPassed() throws Exception {
        List<CompletableFuture<Void>> stored = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            stored.add(f.enqueueAsync(QueueId.generate(), "bulk@example.org", "bulk " + i,
                    "a@example.net", "b@example.net", "c@example.net", "d@example.net", "e@example.net",
                    "f@example.net", "g@example.net", "h@example.net", "i@example.net", "j@example.net"));
        }
        CliFixture.await(CompletableFuture.allOf(stored.toArray(CompletableFuture[]::new)));
        CliContext base = f.context();
        CliContext slow = new CliContext() {
            @Override
            public dev.relay.queue.admin.QueueAdmin queue() {
                return base.queue();
            }

            @Override
            public String reload() {
                return base.reload();
            }

            @Override
            public java.time.Clock clock() {
                return base.clock();
            }

            @Override
            public Duration progressInterval() {
                return Duration.ZERO;
            }
        };
        Result r = CliFixture.run(slow, "", "retry", "--all");
        assertThat(r.code()).as(r.toString()).isZero();
        // the queue works in batches of 1,000: a line after each one
        assertThat(r.err().lines().toList()).containsExactly("retry: 1000 recipients so far...",
                "retry: 2000 recipients so far...", "retry: 2500 recipients so far...");
    }

    // ---------------------------------------------------------------- hold and release

    @Test
    void holdKeepsRecipientsFromDeliveryUntilReleased() {
        QueueId a = f.enqueue("alice@example.org", "bob@example.net", "carol@example.net");
        QueueId b = f.enqueue("alice@example.org", "dave@example.net");

        Result held = f.run("hold", a.value());
        assertThat(held.code()).as(held.toString()).isZero();
        assertThat(held.out()).isEqualTo("hold: 2 recipients held" + System.lineSeparator());
        assertThat(f.claimable()).containsExactly(b.value() + ":dave@example.net");
        assertThat(f.run("queue", "--state", "held").out()).contains(a.value()).doesNotContain(b.value());

        Result released = f.run("release", a.value());
        assertThat(released.code()).as(released.toString()).isZero();
        assertThat(released.out()).isEqualTo("release: 2 recipients released and due now" + System.lineSeparator());
        assertThat(f.claimable()).hasSize(3);
    }

    @Test
    void holdAndReleaseOfNothingFailAndNeedIds() {
        QueueId a = f.enqueue("alice@example.org", "bob@example.net");
        assertOneLineError(f.run("release", a.value()), 1, "nothing released");
        assertOneLineError(f.run("hold", "ABCDEF123456"), 1, "nothing held");
        assertOneLineError(f.run("hold"), 2, "ID");
        assertOneLineError(f.run("release"), 2, "ID");
        assertOneLineError(f.run("hold", "x"), 2, "'x' is not a queue id");
    }

    // ---------------------------------------------------------------- delete

    @Test
    void deleteAsksAndDoesNothingUnlessTheAnswerIsYes() {
        QueueId a = f.enqueue("alice@example.org", "bob@example.net");

        Result no = f.runWithInput("n\n", "delete", a.value());
        assertOneLineError(no, 1, "nothing deleted", "--yes");
        assertThat(no.out()).isEqualTo("Delete 1 message (" + a.value() + ") without notifying anyone? [y/N] ");
        Result eof = f.runWithInput("", "delete", a.value());
        assertOneLineError(eof, 1, "nothing deleted");
        assertThat(f.run("show", a.value()).code()).isZero();

        Result yes = f.runWithInput("yes\n", "delete", a.value());
        assertThat(yes.code()).as(yes.toString()).isZero();
        assertThat(yes.out()).endsWith("delete: 1 message deleted" + System.lineSeparator());
        assertThat(f.run("queue").out()).startsWith("Mail queue is empty");
    }

    @Test
    void deleteWithYesDoesNotAskAndUnknownIdsFail() {
        QueueId a = f.enqueue("alice@example.org", "bob@example.net");
        QueueId b = f.enqueue("alice@example.org", "bob@example.net");
        Result r = f.run("delete", "--yes", a.value(), b.value(), "ABCDEF123456");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("delete: 2 messages deleted" + System.lineSeparator());
        assertOneLineError(f.run("delete", "-y", a.value()), 1, "nothing deleted (no such message");
        assertOneLineError(f.run("delete", "--yes"), 2, "ID");
    }

    // ---------------------------------------------------------------- bounce

    @Test
    void bounceHandsTheWaitingRecipientsToTheForwarderWithTheReason() {
        QueueId a = f.enqueue("alice@example.org", "bob@example.net", "carol@example.net");
        f.deliverDue(rcpt -> rcpt.startsWith("bob") ? f.deferred("mx.example.net[192.0.2.25]:25")
                : new Outcome.Delivered(SmtpReply.of(250, "2.0.0", "ok"), "mx.example.net[192.0.2.25]:25"));

        Result r = f.run("bounce", "--reason", "spam run, removed by postmaster", a.value());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("bounce: 1 recipient will be returned to the sender" + System.lineSeparator());
        List<ClaimedMessage> due = f.queue.claim("forwarder", 10, Duration.ofMinutes(1));
        assertThat(due).hasSize(1);
        assertThat(due.get(0).recipients()).singleElement()
                .satisfies(rc -> assertThat(rc.adminBounceReason()).isEqualTo("spam run, removed by postmaster"));
    }

    @Test
    void bounceOfNothingFailsAndTheReasonMustBeOneLine() {
        QueueId a = f.enqueue("alice@example.org", "bob@example.net");
        assertOneLineError(f.run("bounce", "ABCDEF123456"), 1, "nothing to bounce");
        assertOneLineError(f.run("bounce", "--reason", "two\nlines", a.value()), 2, "--reason must be one line");
        assertOneLineError(f.run("bounce", "--reason", " ", a.value()), 2, "--reason must be one line");
        assertOneLineError(f.run("bounce"), 2, "ID");
        Result dflt = f.run("bounce", a.value());
        assertThat(dflt.code()).as(dflt.toString()).isZero();
        assertThat(f.queue.claim("forwarder", 10, Duration.ofMinutes(1)).get(0).recipients().get(0).adminBounceReason())
                .isEqualTo("returned to sender by the postmaster");
    }

    // ---------------------------------------------------------------- stats

    @Test
    void statsCountsByStateAndNextHopWithAQshapeLikeAgeHistogram() {
        f.enqueue("alice@example.org", "bob@example.net", "carol@example.com");
        f.clock.advance(Duration.ofMinutes(30));
        f.enqueue("alice@example.org", "dave@example.net");
        f.deliverDue(rcpt -> rcpt.startsWith("carol")
                ? new Outcome.Delivered(SmtpReply.of(250, "2.0.0", "ok"), "mx.example.com[192.0.2.26]:25")
                : f.deferred("mx.example.net[192.0.2.25]:25"));
        f.clock.advance(Duration.ofMinutes(3));

        Result r = f.run("stats");
        assertThat(r.code()).as(r.toString()).isZero();
        String out = r.out();
        assertThat(out).containsPattern("deferred\\s+2\\b").containsPattern("delivered\\s+1\\b")
                .containsPattern("queued\\s+0\\b");
        assertThat(out).containsPattern("mx.example.net\\[192.0.2.25]:25\\s+2\\b");
        // columns T 5 10 20 40 80 ...: one recipient 3 minutes old, one 33 minutes old
        assertThat(out).containsPattern("TOTAL\\s+2\\s+1\\s+0\\s+0\\s+1\\s+0\\s+0");
        assertThat(out).containsPattern("mx.example.net\\[192.0.2.25]:25\\s+2\\s+1\\s+0\\s+0\\s+1\\s+0");

        Result json = f.run("stats", "--json");
        assertThat(json.code()).isZero();
        assertThat(json.out().strip()).startsWith("{\"by_state\":{\"queued\":0,\"deferred\":2,\"delivered\":1,")
                .contains("\"by_next_hop\":{\"mx.example.net[192.0.2.25]:25\":2}",
                        "\"age_buckets_minutes\":[5,10,20,40,80,160,320,640,1280]",
                        "\"mx.example.net[192.0.2.25]:25\":[1,0,0,1,0,0,0,0,0,0]");
        assertBalancedJson(json.out().strip());
    }

    @Test
    void statsOfAnEmptyQueueAndBadArguments() {
        Result r = f.run("stats");
        assertThat(r.code()).isZero();
        assertThat(r.out()).containsPattern("queued\\s+0").contains("(none)").containsPattern("TOTAL\\s+0");
        assertOneLineError(f.run("stats", "--jsn"), 2, "--jsn");
    }

    // ---------------------------------------------------------------- reload, version, help, usage

    @Test
    void reloadAsksTheRelayAndSaysWhatWasLoaded() {
        Result r = f.run("reload");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("reload: 3 routes, 1 relay domain" + System.lineSeparator());
        assertThat(f.reloads).hasSize(1);
        assertOneLineError(f.run("reload", "now"), 2, "now");
    }

    @Test
    void versionSaysWhoAnswered() {
        Result r = f.run("version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("relay ").contains("Java", "test relay");
        Result flag = f.run("--version");
        assertThat(flag.code()).isZero();
        assertThat(flag.out()).startsWith("relay ");
    }

    @Test
    void aQueueFailureIsOneLineWithExitCodeOne() {
        f.queue.close();
        Result r = f.run("queue");
        assertOneLineError(r, 1, "relayctl: queue: ", "closed");
    }
}
