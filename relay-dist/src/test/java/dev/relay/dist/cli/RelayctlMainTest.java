package dev.relay.dist.cli;

import dev.relay.dist.admin.AdminSocketServer;
import dev.relay.queue.testing.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.dist.cli.CliFixture.Result;
import dev.relay.dist.config.ConfigLoader;
import dev.relay.queue.QueueId;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * relayctl as the script runs it ({@link RelayctlMain#run}): configuration, then the running
 * relay's admin socket when one answers, else the queue files directly, never both, never a
 * queue that another process holds.
 */
@Timeout(60)
class RelayctlMainTest {

    @TempDir
    Path dir;

    Path config() throws Exception {
        Path conf = dir.resolve("relay.conf");
        Files.writeString(conf, "# test\ndata_directory = " + dir.resolve("data") + "\n");
        return conf;
    }

    Result main(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = RelayctlMain.run(args, null, new ConfigLoader(dir, () -> "relay.test"), new MutableClock(CliFixture.START),
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void withTheRelayStoppedItWorksOnTheQueueFilesAndLeavesThemClosed() throws Exception {
        Path conf = config();
        QueueId a;
        try (CliFixture f = new CliFixture(dir.resolve("data"))) {
            a = f.enqueue("alice@example.org", "bob@example.net");
        }
        Result list = main("", "-c", conf.toString(), "queue");
        assertThat(list.code()).as(list.toString()).isZero();
        assertThat(list.out()).contains(a.value(), "<alice@example.org>", "<bob@example.net>");

        Result hold = main("", "--config=" + conf, "hold", a.value());
        assertThat(hold.code()).as(hold.toString()).isZero();
        Result version = main("", "-c", conf.toString(), "version");
        RelayctlCommandsTest.assertOneLineError(version, 1, "relay not running: no answer on the admin socket "
                + dir.resolve("data/relayctl.sock") + " (data folder " + dir.resolve("data") + ", configuration " + conf + ")",
                "works on the queue files in " + dir.resolve("data/queue"));
        Result reload = main("", "-c", conf.toString(), "reload");
        RelayctlCommandsTest.assertOneLineError(reload, 1, "relay not running: no answer on the admin socket", "nothing to reload");

        // the change is on disk and the files are free again: the queue opens in this process
        try (CliFixture f = new CliFixture(dir.resolve("data"))) {
            assertThat(f.run("queue", "--state", "held").out()).contains(a.value());
        }
    }

    @Test
    void recoverRebuildsTheQueueOfAStoppedRelayAndKeepsTheOldFile() throws Exception {
        Path conf = config();
        QueueId a;
        try (CliFixture f = new CliFixture(dir.resolve("data"))) {
            a = f.enqueue("alice@example.org", "bob@example.net");
        }
        Result r = main("", "-c", conf.toString(), "recover");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("recovered 1 messages (1 recipients); the old queue file is kept as "
                + dir.resolve("data/queue/queue.mv.db.damaged-"));
        assertThat(main("", "-c", conf.toString(), "queue").out()).contains(a.value(), "<bob@example.net>");
    }

    @Test
    void recoverRefusesWhileTheRelayRuns() throws Exception {
        Path conf = config();
        try (CliFixture f = new CliFixture(dir.resolve("relay-queue"));
             AdminSocketServer server = AdminSocketServer.start(dir.resolve("data/relayctl.sock"),
                (args, in, out, err) -> Relayctl.commandLine(f.context(), in, out, err)
                        .execute(args.toArray(String[]::new)))) {
            Result r = main("", "-c", conf.toString(), "recover");
            RelayctlCommandsTest.assertOneLineError(r, 1, "the relay is running: stop it first");
        }
    }

    @Test
    void relativePathsInTheConfigurationAreTheFilesOwnFolderWhereverRelayctlRuns() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("etc"));
        Path conf = Files.writeString(sub.resolve("relay.conf"), "data_directory = ../var\n");
        try (CliFixture f = new CliFixture(dir.resolve("var"))) {
            f.enqueue("alice@example.org", "bob@example.net");
        }
        // relayctl's working directory is / (the loader's), the file says ../var: that is dir/var
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = RelayctlMain.run(new String[] {"-c", conf.toString(), "queue"}, null,
                new ConfigLoader(Path.of("/"), () -> "relay.test"), new MutableClock(CliFixture.START),
                new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("<alice@example.org>");
    }

    @Test
    void aDataFolderWithoutAQueueIsAnErrorNotAnEmptyQueue() throws Exception {
        Path conf = config();
        Result r = main("", "-c", conf.toString(), "queue");
        RelayctlCommandsTest.assertOneLineError(r, 1, "there is no queue at " + dir.resolve("data/queue/queue.mv.db"),
                "-c FILE or RELAY_CONF");
        assertThat(dir.resolve("data/queue/queue.mv.db")).doesNotExist();
    }

    @Test
    void aBadConfigurationNamesTheProblemAndFails() throws Exception {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "data_directroy = /tmp/x\n");
        Result r = main("", "-c", conf.toString(), "queue");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains(conf + ":1", "data_directroy", "did you mean 'data_directory'",
                "relayctl: the configuration " + conf + " has errors");
        Result missing = main("", "-c", dir.resolve("nope.conf").toString(), "queue");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("nope.conf").doesNotContain("\tat ");
    }

    @Test
    void helpAndUsageErrorsNeedNeitherConfigurationNorQueue() {
        Path nowhere = dir.resolve("missing.conf");
        Result help = main("", "-c", nowhere.toString(), "queue", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).startsWith("Usage: relayctl queue");
        Result bad = main("", "-c", nowhere.toString(), "queue", "--state", "x");
        RelayctlCommandsTest.assertOneLineError(bad, 2, "'x' is not a recipient state");
        Result none = main("");
        RelayctlCommandsTest.assertOneLineError(none, 2, "a command is missing");
    }

    @Test
    void withTheRelayRunningTheCommandRunsInTheRelayOverItsSocket() throws Exception {
        Path conf = config();
        Path socket = dir.resolve("data/relayctl.sock");
        try (CliFixture f = new CliFixture(dir.resolve("relay-queue"));
             AdminSocketServer server = AdminSocketServer.start(socket, (args, in, out, err) ->
                     Relayctl.commandLine(f.context(), in, out, err).execute(args.toArray(String[]::new)))) {
            QueueId a = f.enqueue("alice@example.org", "bob@example.net");

            Result version = main("", "-c", conf.toString(), "version");
            assertThat(version.code()).as(version.toString()).isZero();
            assertThat(version.out()).contains("test relay");

            Result list = main("", "-c", conf.toString(), "queue", "--to", "bob");
            assertThat(list.code()).as(list.toString()).isZero();
            assertThat(list.out()).contains(a.value());

            Result unknown = main("", "-c", conf.toString(), "show", "ABCDEF123456");
            RelayctlCommandsTest.assertOneLineError(unknown, 1, "no message ABCDEF123456");
            Result usage = main("", "-c", conf.toString(), "retry");
            RelayctlCommandsTest.assertOneLineError(usage, 2, "say which messages to retry");

            Result no = main("n\n", "-c", conf.toString(), "delete", a.value());
            assertThat(no.code()).isEqualTo(1);
            assertThat(no.out()).contains("without notifying anyone? [y/N]");
            Result yes = main("y\n", "-c", conf.toString(), "delete", a.value());
            assertThat(yes.code()).as(yes.toString()).isZero();
            assertThat(yes.out()).contains("delete: 1 message deleted");
            assertThat(f.run("queue").out()).startsWith("Mail queue is empty");
            // the direct mode was never used: no queue files in the configured data folder
            assertThat(dir.resolve("data/queue")).doesNotExist();
        }
    }

    @Test
    void userCommandsRunInRelayctlItselfEvenWhileTheRelayRuns() throws Exception {
        Path conf = config();
        Path socket = dir.resolve("data/relayctl.sock");
        Path users = dir.resolve("users");
        List<List<String>> sentToRelay = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (AdminSocketServer server = AdminSocketServer.start(socket, (args, in, out, err) -> {
            sentToRelay.add(args);
            return 0;
        })) {
            Result add = main("s3cret\n", "-c", conf.toString(), "user", "--users-file", users.toString(), "add", "alice");
            assertThat(add.code()).as(add.toString()).isZero();
            assertThat(add.out()).contains("alice added to " + users);
            Result list = main("", "-c", conf.toString(), "user", "--users-file", users.toString(), "list");
            assertThat(list.out()).isEqualTo("alice" + System.lineSeparator());
            assertThat(main("", "-c", conf.toString(), "version").code()).isZero();
        }
        // only version went to the relay
        assertThat(sentToRelay).containsExactly(List.of("version"));
    }

    @Test
    void aStaleSocketFileMeansTheRelayIsStopped() throws Exception {
        Path conf = config();
        try (CliFixture f = new CliFixture(dir.resolve("data"))) {
            f.enqueue("alice@example.org", "bob@example.net");
        }
        Files.writeString(dir.resolve("data/relayctl.sock"), "left by a crash");
        Result r = main("", "-c", conf.toString(), "queue");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("<bob@example.net>");
    }

    @Test
    void aQueueHeldByAnotherProcessIsNeitherOpenedNorChanged() throws Exception {
        Path conf = config();
        QueueId a;
        try (CliFixture f = new CliFixture(dir.resolve("data"))) {
            a = f.enqueue("alice@example.org", "bob@example.net");
        }
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process holder = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
                QueueHolder.class.getName(), dir.resolve("data/queue").toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader ready = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            // logback may print its own status lines first (two logback-test.xml on the class path:
            // relay-queue's test jar has one): skip them, at most a screenful
            String line = ready.readLine();
            for (int i = 0; i < 100 && line != null && !line.startsWith("ready"); i++) {
                line = ready.readLine();
            }
            assertThat(line).isEqualTo("ready 1");

            for (List<String> cmd : List.of(List.of("queue"), List.of("delete", "--yes", a.value()), List.of("hold", a.value()))) {
                String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("-c", conf.toString()), cmd.stream())
                        .toArray(String[]::new);
                Result r = main("", args);
                RelayctlCommandsTest.assertOneLineError(r, 1, "is in use by a running relay",
                        "its admin socket " + dir.resolve("data/relayctl.sock") + " does not answer");
            }
        } finally {
            holder.getOutputStream().close();
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(holder.exitValue()).isZero();
        try (CliFixture f = new CliFixture(dir.resolve("data"))) {
            assertThat(f.run("queue", "--state", "queued").out()).contains(a.value());
        }
    }

    @Test
    void theConfigOptionWorksBeforeOrAfterTheCommand() throws Exception {
        Path conf = config();
        QueueId a;
        try (CliFixture f = new CliFixture(dir.resolve("data"))) {
            a = f.enqueue("alice@example.org", "bob@example.net");
        }
        Result after = main("", "queue", "-c", conf.toString());
        assertThat(after.code()).as(after.toString()).isZero();
        assertThat(after.out()).contains(a.value());
        Result last = main("", "show", a.value().toLowerCase(java.util.Locale.ROOT), "--config=" + conf);
        assertThat(last.code()).as(last.toString()).isZero();
        assertThat(last.out()).contains("queue id:    " + a.value());

        // what goes to the running relay: -c removed wherever it is, another option's value kept
        assertThat(RelayctlMain.withoutConfigOption(new String[] {"queue", "-c", "/etc/r.conf", "--to", "x"}))
                .containsExactly("queue", "--to", "x");
        assertThat(RelayctlMain.withoutConfigOption(new String[] {"bounce", "--reason", "-c x", "ABCDEF", "-c", "f"}))
                .containsExactly("bounce", "--reason", "-c x", "ABCDEF");
    }

    /** Counts the queue's listAfter calls: how many pages a listing read. */
    static CliContext countingPages(CliContext base, java.util.concurrent.atomic.AtomicInteger pages) {
        dev.relay.queue.admin.QueueAdmin real = base.queue();
        dev.relay.queue.admin.QueueAdmin counting = (dev.relay.queue.admin.QueueAdmin) java.lang.reflect.Proxy.newProxyInstance(
                RelayctlMainTest.class.getClassLoader(), new Class<?>[] {dev.relay.queue.admin.QueueAdmin.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("listAfter")) {
                        pages.incrementAndGet();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return new CliContext() {
            @Override
            public dev.relay.queue.admin.QueueAdmin queue() {
                return counting;
            }

            @Override
            public String reload() {
                return base.reload();
            }

            @Override
            public java.time.Clock clock() {
                return base.clock();
            }
        };
    }

    /** Standard output that takes {@code max} bytes, then fails like a pipe whose reader has quit. */
    static PrintStream closedAfter(int max) {
        return new PrintStream(new java.io.OutputStream() {
            int n;

            @Override
            public void write(int b) throws java.io.IOException {
                if (++n > max) {
                    throw new java.io.IOException("Broken pipe");
                }
            }
        }, true, StandardCharsets.UTF_8);
    }

    @Test
    void aListingStopsWhenItsReaderHasGoneInTheRelayAndInRelayctl() throws Exception {
        Path conf = config();
        Path socket = dir.resolve("data/relayctl.sock");
        java.util.concurrent.atomic.AtomicInteger pages = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CompletableFuture<Integer> ended = new java.util.concurrent.CompletableFuture<>();
        try (CliFixture f = new CliFixture(dir.resolve("relay-queue"));
             AdminSocketServer server = AdminSocketServer.start(socket, (args, in, out, err) -> {
                 int code = Relayctl.commandLine(countingPages(f.context(), pages), in, out, err)
                         .execute(args.toArray(String[]::new));
                 ended.complete(code);
                 return code;
             })) {
            List<java.util.concurrent.CompletableFuture<Void>> stored = new java.util.ArrayList<>();
            for (int i = 0; i < 20 * QueueCommand.PAGE; i++) {
                stored.add(f.enqueueAsync(QueueId.generate(), "bulk@example.org", "bulk " + i, "r@example.net"));
            }
            CliFixture.await(java.util.concurrent.CompletableFuture.allOf(
                    stored.toArray(java.util.concurrent.CompletableFuture[]::new)));

            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = RelayctlMain.run(new String[] {"-c", conf.toString(), "queue"}, null,
                    new ConfigLoader(dir, () -> "relay.test"), new MutableClock(CliFixture.START),
                    new ByteArrayInputStream(new byte[0]), closedAfter(1000), new PrintStream(err, true));
            assertThat(code).isEqualTo(ExitCodes.FAILURE);
            assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty(); // like a pipe: nobody to tell
            // the relay's end of the command stops too, long before the 20 pages of the queue
            assertThat(ended.get(30, TimeUnit.SECONDS)).isEqualTo(ExitCodes.FAILURE);
            assertThat(pages.get()).isLessThan(10);

            // the same in one process: relayctl on a stopped relay's queue files
            pages.set(0);
            Result r = CliFixture.run(countingPages(f.context(), pages), "", "queue");
            assertThat(r.code()).isZero();
            assertThat(pages.get()).isEqualTo(20 + 1);
            java.io.StringWriter sink = new java.io.StringWriter();
            java.io.PrintWriter closed = new java.io.PrintWriter(new java.io.OutputStreamWriter(
                    RelayctlMain.closing(closedAfter(1000)), StandardCharsets.UTF_8), true);
            pages.set(0);
            int direct = Relayctl.commandLine(countingPages(f.context(), pages), new java.io.StringReader(""), closed,
                    new java.io.PrintWriter(sink, true)).execute("queue");
            assertThat(direct).isEqualTo(ExitCodes.FAILURE);
            assertThat(pages.get()).isEqualTo(1);
        }
    }
}
