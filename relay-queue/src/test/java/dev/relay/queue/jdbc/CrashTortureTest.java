package dev.relay.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash-torture harness of the queue: a child JVM ({@link TortureChild}) runs a random mixed
 * workload (1 KiB to MAXMIB MiB bodies, 1 to 1,000 recipients, parallel and one-at-a-time senders,
 * deliveries with deferrals and bounces, hold/release/delete/retry by an administrator) on a queue
 * file with history, and is killed with SIGKILL at a random moment: in a group commit, a LOB write,
 * a delivery, or during start-up itself. After every restart the child prints the queue, and this
 * test checks it against everything the child had acknowledged:
 * <ul>
 * <li>every acknowledged message is either still queued, whole (the same SHA-256, every recipient),
 * or every one of its recipients had reached the sink (delivered or bounced), or it was deleted;</li>
 * <li>a message whose delete had returned stays deleted;</li>
 * <li>a recipient the sink had, found waiting again, is a duplicate delivery: allowed (at least
 * once) and counted.</li>
 * </ul>
 * A start that does not come up within three minutes fails the test like a lost message. Before the
 * queue's journal this harness found, on H2's own crash recovery, starts that spun in H2's
 * {@code TransactionMap.set}, files H2 would open only without their newest version or not at all
 * ({@code Chunk N not found}), and a recipient index counting rows its table did not return.
 * 20 cycles run in the default build; {@code ./mvnw -B -pl relay-queue -am -Ptorture verify} runs
 * 300 with bodies up to 10 MiB. {@code -Drelay.torture.cycles=N} (default 20),
 * {@code -Drelay.torture.maxMib=M} (default 2), {@code -Drelay.torture.seed=S}.
 */
class CrashTortureTest {
    @TempDir
    Path dir;

    private final Map<String, Acked> acked = new HashMap<>();
    private final Set<String> delivered = new HashSet<>(); // "id address" the sink has
    private final Set<String> deleting = new HashSet<>();
    private final Set<String> deleted = new HashSet<>();
    private final List<String> violations = new ArrayList<>();
    private long duplicates;
    private long checks;
    private long ackedTotal;
    private long unacknowledgedButStored;

    private record Acked(String sha, int recipients) {
    }

    @Test
    void nothingAcknowledgedIsLostAcrossManyKills() throws Exception {
        int cycles = Integer.getInteger("relay.torture.cycles", 20);
        int maxMib = Integer.getInteger("relay.torture.maxMib", 2);
        long seed = Long.getLong("relay.torture.seed", System.nanoTime());
        Random random = new Random(seed);
        int verified = 0;
        int killedInStartup = 0;
        int cyclesRun = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            cyclesRun++;
            int churn = cycle == 0 ? 1500 : 0;
            keepFile(cycle);
            Path report = reportFile(cycle);
            try (ChildJvm child = ChildJvm.startMain(List.of("-Xmx384m", "-Drelay.torture.report=" + report), log(),
                    TortureChild.class, dir.toString(), Long.toString(random.nextLong()), Integer.toString(churn),
                    Integer.toString(maxMib))) {
                boolean inStartup = cycle > 0 && random.nextInt(10) == 0;
                if (inStartup) {
                    Thread.sleep(random.nextInt(1500));
                    killedInStartup++;
                } else {
                    child.await(churn > 0 ? "READY" : "STATE END", Duration.ofMinutes(3));
                    Thread.sleep(50 + random.nextInt(1500));
                }
                child.kill();
                // the file, not the pipe: the pipe's last lines before a SIGKILL were seen to go missing
                // (none when the child was killed before its JVM had opened it: a kill during start-up)
                List<String> lines = java.nio.file.Files.exists(report)
                        ? java.nio.file.Files.readAllLines(report, java.nio.charset.StandardCharsets.US_ASCII) : List.of();
                keep(lines, cycle);
                if (read(lines, cycle)) {
                    verified++;
                }
                if (!violations.isEmpty()) {
                    break; // the files of this cycle and the one before are kept for a look
                }
            }
        }
        if (violations.isEmpty()) {
            // one last start that only reports the state, so the last cycle's acknowledgements are checked too
            try (ChildJvm child = ChildJvm.startMain(List.of("-Xmx384m"), log(), TortureChild.class, dir.toString(),
                    "1", "0", "0")) {
                child.await("READY", Duration.ofMinutes(3));
                child.kill();
                read(child.lines(), cycles);
                verified++;
            }
        }
        String summary = String.format("seed %d: %d kill cycles (%d in start-up), %d states verified, %d messages"
                + " acknowledged, %d acknowledged-message checks, %d lost or damaged, %d duplicate deliveries,"
                + " %d stored without an acknowledgement", seed, cyclesRun, killedInStartup, verified, ackedTotal,
                checks, violations.size(), duplicates, unacknowledgedButStored);
        System.out.println("CRASH TORTURE: " + summary);
        assertThat(violations).as(summary).isEmpty();
        assertThat(verified).as(summary).isGreaterThan(cycles / 2);
        assertThat(ackedTotal).isPositive();
    }

    /**
     * A copy of the queue file as the child of {@code cycle} finds it, under target/crash-torture/;
     * the last two are kept, to open with H2's tools after a failure.
     */
    private void keepFile(int cycle) throws java.io.IOException {
        Path out = Path.of("target", "crash-torture");
        java.nio.file.Files.createDirectories(out);
        java.nio.file.Files.deleteIfExists(out.resolve("before-cycle-" + (cycle - 2) + ".mv.db"));
        deleteTree(out.resolve("spool-before-cycle-" + (cycle - 2)));
        Path file = dir.resolve("queue.mv.db");
        if (java.nio.file.Files.exists(file)) {
            java.nio.file.Files.copy(file, out.resolve("before-cycle-" + cycle + ".mv.db"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        // The journal as hard links: cheap, and a segment deleted later is still here to read (its
        // appends after this moment show too: segments are only appended to).
        Path spool = dir.resolve(Journal.FOLDER);
        if (java.nio.file.Files.isDirectory(spool)) {
            Path kept = out.resolve("spool-before-cycle-" + cycle);
            deleteTree(kept);
            java.nio.file.Files.createDirectories(kept);
            try (var files = java.nio.file.Files.list(spool)) {
                for (Path f : files.toList()) {
                    java.nio.file.Files.createLink(kept.resolve(f.getFileName()), f);
                }
            }
        }
        java.nio.file.Files.writeString(out.resolve("children.log"), "=== cycle " + cycle + "\n",
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        if (!java.nio.file.Files.exists(root)) {
            return;
        }
        try (var paths = java.nio.file.Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(p);
            }
        }
    }

    /** Where the child of {@code cycle} writes its report lines (also to its standard output). */
    private Path reportFile(int cycle) throws java.io.IOException {
        Path out = Path.of("target", "crash-torture");
        java.nio.file.Files.createDirectories(out);
        java.nio.file.Files.deleteIfExists(out.resolve("report-" + (cycle - 2) + ".txt"));
        Path r = out.resolve("report-" + cycle + ".txt").toAbsolutePath();
        java.nio.file.Files.deleteIfExists(r);
        return r;
    }

    /** The children's log (their standard error). */
    private static java.io.File log() throws java.io.IOException {
        java.nio.file.Files.createDirectories(Path.of("target", "crash-torture"));
        return Path.of("target", "crash-torture", "children.log").toFile();
    }

    /** Each cycle's output under target/crash-torture/, to read after a failure. */
    private static void keep(List<String> lines, int cycle) throws java.io.IOException {
        Path out = Path.of("target", "crash-torture");
        java.nio.file.Files.createDirectories(out);
        java.nio.file.Files.write(out.resolve("cycle-" + cycle + ".txt"), lines);
    }

    /**
     * Checks the state the child printed at its start against the ledger, then adds what it
     * reported while it ran. Returns whether a whole state was printed (a kill in start-up may cut it).
     */
    private boolean read(List<String> lines, int cycle) {
        int end = lines.indexOf("STATE END");
        if (end >= 0) {
            Map<String, String[]> messages = new HashMap<>();
            Map<String, Map<String, String>> recipients = new HashMap<>();
            for (String line : lines.subList(0, end)) {
                String[] f = line.split(" ");
                if (f[0].equals("MSG")) {
                    messages.put(f[1], f);
                    recipients.put(f[1], new HashMap<>());
                } else if (f[0].equals("RCPT")) {
                    recipients.computeIfAbsent(f[1], k -> new HashMap<>()).put(f[2], f[3]);
                }
            }
            verify(messages, recipients, cycle);
        }
        for (String line : end >= 0 ? lines.subList(end + 1, lines.size()) : lines) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "ACK" -> {
                    acked.put(f[1], new Acked(f[2], Integer.parseInt(f[3])));
                    ackedTotal++;
                }
                case "FINAL" -> delivered.add(f[1] + " " + f[2]);
                case "DELETING" -> deleting.add(f[1]);
                case "DELETED" -> deleted.add(f[1]);
                case "ERROR" -> violations.add("cycle " + cycle + ": the child failed: " + line);
                default -> {
                }
            }
        }
        return end >= 0;
    }

    private void verify(Map<String, String[]> messages, Map<String, Map<String, String>> recipients, int cycle) {
        for (Map.Entry<String, Acked> e : acked.entrySet()) {
            String id = e.getKey();
            Acked a = e.getValue();
            checks++;
            String[] msg = messages.get(id);
            if (msg == null) {
                if (deleting.contains(id)) {
                    continue;
                }
                int reached = 0;
                for (int i = 0; i < a.recipients(); i++) {
                    if (delivered.contains(id + " r" + i + "@d" + (i % 7) + ".example")) {
                        reached++;
                    }
                }
                if (reached < a.recipients()) {
                    violations.add("cycle " + cycle + ": LOST " + id + ": acknowledged with " + a.recipients()
                            + " recipients, " + reached + " of them delivered, and no longer in the queue");
                }
                continue;
            }
            if (deleted.contains(id)) {
                violations.add("cycle " + cycle + ": RESURRECTED " + id + ": deleted, and in the queue again");
            }
            if (!msg[2].equals(a.sha())) {
                violations.add("cycle " + cycle + ": DAMAGED " + id + ": body SHA-256 " + msg[2] + ", acknowledged "
                        + a.sha());
            }
            Map<String, String> states = recipients.get(id);
            if (states.size() != a.recipients()) {
                violations.add("cycle " + cycle + ": DAMAGED " + id + ": " + states.size() + " recipients, "
                        + a.recipients() + " acknowledged");
            }
            for (Map.Entry<String, String> r : states.entrySet()) {
                String key = id + " " + r.getKey();
                boolean isFinal = r.getValue().equals("DELIVERED") || r.getValue().equals("FAILED");
                if (isFinal && !delivered.contains(key)) {
                    violations.add("cycle " + cycle + ": " + key + " is " + r.getValue()
                            + " but never reached the sink");
                } else if (!isFinal && delivered.remove(key)) {
                    duplicates++; // the sink had it; its outcome was not yet on disk: it goes again
                }
            }
        }
        for (String id : messages.keySet()) {
            if (!acked.containsKey(id)) {
                unacknowledgedButStored++;
                acked.put(id, new Acked(messages.get(id)[2], Integer.parseInt(messages.get(id)[3])));
            }
        }
        // a message that left the queue for good is not checked again
        acked.keySet().removeIf(id -> !messages.containsKey(id));
    }
}
