package dev.relay.dist.cli;

import static dev.relay.dist.cli.RelayctlCommandsTest.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.dist.cli.CliFixture.Result;
import dev.relay.queue.QueueId;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bulk and filtered actions (like {@code postsuper -d ALL deferred}, {@code -h ALL}, {@code -d -}):
 * --all and the filters of relayctl queue on retry, hold, release, delete and bounce; ids on
 * standard input; a destructive bulk action asks on a terminal and refuses without one; show
 * --body and --json; lower-case ids.
 */
class RelayctlBulkTest {

    @TempDir
    java.nio.file.Path dir;
    CliFixture f;
    QueueId deferred1;
    QueueId deferred2;
    QueueId queued;

    @BeforeEach
    void open() {
        f = new CliFixture(dir);
        deferred1 = f.enqueue("alice@example.org", "bob@dead.test");
        deferred2 = f.enqueue("carol@example.org", "dave@dead.test");
        f.deliverDue(rcpt -> f.deferred("[127.0.0.1]:2799"));
        f.clock.advance(Duration.ofMinutes(50)); // the deferred ones are due again in 10 minutes
        queued = f.enqueue("alice@example.org", "erin@example.net");
    }

    @AfterEach
    void close() {
        f.close();
    }

    private List<String> listed(String... filters) {
        String[] args = new String[filters.length + 2];
        args[0] = "queue";
        args[1] = "--json";
        System.arraycopy(filters, 0, args, 2, filters.length);
        return f.run(args).out().lines().map(l -> l.substring(13, l.indexOf('"', 13))).toList();
    }

    @Test
    void deleteAllDeferredWithYesDeletesExactlyWhatQueueListsWithTheSameFilter() {
        Result r = f.run("delete", "--all", "--state", "deferred", "--yes");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("delete: 2 messages deleted" + System.lineSeparator());
        assertThat(listed()).containsExactly(queued.value());
    }

    @Test
    void aBulkDeleteWithoutYesRefusesWithoutATerminalAndAsksOnOneWithTheCount() {
        Result refused = f.run("delete", "--next-hop", "[127.0.0.1]:2799");
        assertOneLineError(refused, 1, "nothing deleted", "2 messages", "without a terminal", "--yes");
        assertThat(refused.out()).isEmpty();
        assertThat(listed()).hasSize(3);

        Result no = f.runWithInput("n\n", "--terminal", "delete", "--next-hop", "127.0.0.1");
        assertOneLineError(no, 1, "nothing deleted");
        assertThat(no.out()).startsWith("Delete 2 messages (").contains(deferred1.value(), deferred2.value())
                .endsWith(") without notifying anyone? [y/N] ");
        assertThat(listed()).hasSize(3);

        Result yes = f.runWithInput("y\n", "--terminal", "delete", "--next-hop", "dead.test");
        assertThat(yes.code()).as(yes.toString()).isZero();
        assertThat(yes.out()).endsWith("delete: 2 messages deleted" + System.lineSeparator());
        assertThat(listed()).containsExactly(queued.value());
    }

    @Test
    void aBulkBounceAsksLikeDeleteAndBouncesWhatMatches() {
        assertOneLineError(f.run("bounce", "--from", "carol"), 1, "nothing bounced", "1 message", "--yes");
        Result r = f.run("bounce", "--from", "carol", "--yes");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("bounce: 1 recipient will be returned");
        assertThat(f.queue.claim("forwarder", 10, Duration.ofMinutes(1))).extracting(m -> m.id())
                .containsExactlyInAnyOrder(deferred2, queued);
    }

    @Test
    void holdAndReleaseWithFiltersAndHoldingAHeldMessageIsNotAnError() {
        Result held = f.run("hold", "--all");
        assertThat(held.code()).as(held.toString()).isZero();
        assertThat(held.out()).contains("hold: 3 recipients held");
        assertThat(f.claimable()).isEmpty();

        Result again = f.run("hold", deferred1.value());
        assertThat(again.code()).as(again.toString()).isZero();
        assertThat(again.out()).contains("hold: 1 message was already held");
        Result allAgain = f.run("hold", "--all");
        assertThat(allAgain.code()).as(allAgain.toString()).isZero();

        Result released = f.run("release", "--older-than", "40m");
        assertThat(released.code()).as(released.toString()).isZero();
        assertThat(released.out()).contains("release: 2 recipients released");
        assertThat(f.claimable()).hasSize(2);
        assertOneLineError(f.run("release", "--to", "nobody"), 1, "nothing to release (no message matches");
    }

    @Test
    void retryWithFiltersRetriesTheMessagesQueueLists() {
        assertThat(f.claimable()).containsExactly(queued.value() + ":erin@example.net");
        Result r = f.run("retry", "--to", "dave");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("retry: 1 recipient is due now");
        assertThat(f.claimable()).contains(deferred2.value() + ":dave@dead.test").hasSize(2);
        Result site = f.run("retry", "--next-hop", "dead.test"); // postqueue -s dead.test
        assertThat(site.out()).contains("retry: 2 recipients are due now");
    }

    @Test
    void idsOnStandardInputLikePostsuperDashAreReadAndDeleteNeedsYesThen() {
        String ids = deferred1.value() + "*\n" + deferred2.value().toLowerCase(Locale.ROOT) + "  \n\n";
        Result held = f.runWithInput(ids, "hold", "-");
        assertThat(held.code()).as(held.toString()).isZero();
        assertThat(held.out()).contains("hold: 2 recipients held");

        Result again = f.runWithInput(ids, "hold", "-");
        assertThat(again.code()).as(again.toString()).isZero();
        assertThat(again.out()).contains("hold: 2 messages were already held");

        assertOneLineError(f.runWithInput(ids, "delete", "-"), 1, "nothing deleted", "--yes");
        Result deleted = f.runWithInput(ids, "delete", "--yes", "-");
        assertThat(deleted.code()).as(deleted.toString()).isZero();
        assertThat(deleted.out()).contains("delete: 2 messages deleted");
        assertThat(listed()).containsExactly(queued.value());

        assertOneLineError(f.runWithInput("", "hold", "-"), 1, "no queue ids on standard input");
        assertOneLineError(f.runWithInput("NOT-AN-ID\n", "hold", "-"), 2, "'NOT-AN-ID' is not a queue id");
        assertOneLineError(f.run("hold", "-", queued.value()), 2, "not both");
        assertOneLineError(f.run("hold", "--all", queued.value()), 2, "not both");
        assertOneLineError(f.run("hold", "--to", "nobody"), 1, "nothing to hold (no message matches");
    }

    @Test
    void lowerCaseIdsAreFound() {
        Result r = f.run("show", queued.value().toLowerCase(Locale.ROOT));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("queue id:    " + queued.value());
        assertThat(f.run("hold", queued.value().toLowerCase(Locale.ROOT)).code()).isZero();
    }

    @Test
    void showBodyPrintsTheWholeStoredMessageAndShowJsonIsOneObject() {
        Result body = f.run("show", "--body", queued.value());
        assertThat(body.code()).as(body.toString()).isZero();
        assertThat(body.out()).isEqualTo(CliFixture.message("test " + queued.value()));

        Result json = f.run("show", deferred1.value(), "--json");
        assertThat(json.code()).as(json.toString()).isZero();
        assertThat(json.out().lines().toList()).singleElement().satisfies(line -> {
            RelayctlCommandsTest.assertBalancedJson(line);
            assertThat(line).startsWith("{\"queue_id\":\"" + deferred1.value() + "\"")
                    .contains("\"next_hop\":\"[127.0.0.1]:2799\"", "\"client\":{\"address\":\"192.0.2.7\"",
                            "\"history\":[{\"time\":", "\"outcome\":\"deferred\"", "\"headers\":\"Received: from");
        });
        assertOneLineError(f.run("show", "--body", "--json", queued.value()), 2, "--body or --json");
        assertOneLineError(f.run("show", "--body", "ABCDEF123456"), 1, "no message ABCDEF123456");
    }
}
