package dev.relay.dist.cli;

import static dev.relay.dist.cli.RelayctlCommandsTest.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.dist.cli.CliFixture.Result;
import dev.relay.queue.admin.QueueAdmin;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Help, version and usage errors: none of them may touch the queue (its context fails if asked). */
class RelayctlUsageTest {

    static final CliContext NO_QUEUE = new CliContext() {
        @Override
        public QueueAdmin queue() {
            throw new AssertionError("help and usage errors must not open the queue");
        }

        @Override
        public String reload() {
            throw new AssertionError("help and usage errors must not reload");
        }

        @Override
        public Clock clock() {
            return Clock.systemUTC();
        }
    };

    static Result run(String... args) {
        return CliFixture.run(NO_QUEUE, "", args);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "queue", "show", "retry", "hold", "release", "delete", "bounce", "stats", "routes", "route", "reload", "user", "version"})
    void everyCommandHasHelpWithExitCodeZero(String command) {
        Result r = command.isEmpty() ? run("--help") : run(command, "--help");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("Usage: relayctl" + (command.isEmpty() ? "" : " " + command));
        assertThat(r.err()).isEmpty();
        if (!command.isEmpty()) {
            Result viaHelp = run("help", command);
            assertThat(viaHelp.code()).isZero();
            assertThat(viaHelp.out()).isEqualTo(r.out());
        }
    }

    @Test
    void topLevelHelpListsEveryCommandAndTheExitCodes() {
        String help = run("--help").out();
        for (String c : List.of("queue", "show", "retry", "hold", "release", "delete", "bounce", "stats", "routes", "route", "reload", "user", "version")) {
            assertThat(help).containsPattern("\\n  " + c + "[ ,]");
        }
        assertThat(help).contains("Exit codes: 0 done, 1 failed", "2 bad command line");
    }

    @Test
    void noCommandOrAnUnknownOneIsAUsageError() {
        assertOneLineError(run(), 2, "a command is missing");
        assertOneLineError(run("mailqq"), 2, "mailqq", "relayctl --help");
        assertOneLineError(run("--bogus"), 2, "--bogus");
        // the hint once, not "(see relayctl --help) (see 'relayctl --help')"
        for (Result r : List.of(run(), run("mailqq"), run("queue", "--state", "lost"), run("retry"))) {
            assertThat(r.err().split("--help", -1)).as(r.err()).hasSize(2);
        }
    }

    @Test
    void theVersionOptionNeedsNoRelay() {
        Result flag = run("--version");
        assertThat(flag.code()).isZero();
        assertThat(flag.out()).startsWith("relay ").contains("Java");
    }
}
