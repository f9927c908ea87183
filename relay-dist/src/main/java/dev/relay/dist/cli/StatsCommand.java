package dev.relay.dist.cli;

import dev.relay.dist.ops.Json;
import dev.relay.queue.admin.QueueStats;
import dev.relay.queue.RecipientState;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code relayctl stats}: counts by state and next hop, and an age histogram like Postfix's {@code qshape}. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Count recipients by state and next hop, with an age histogram like qshape.",
                "The histogram shows the waiting recipients per next hop in columns of minutes, like Postfix's",
                "qshape: a column counts those whose message is younger than its heading and older than the",
                "column before it; T is the total."})
final class StatsCommand implements Callable<Integer> {

    /** qshape's default buckets, in minutes. */
    static final List<Duration> BUCKETS = List.of(5, 10, 20, 40, 80, 160, 320, 640, 1280).stream()
            .map(Duration::ofMinutes).toList();

    @CommandLine.ParentCommand
    RelayctlCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "One JSON object, for scripts.")
    boolean json;

    @Override
    public Integer call() {
        QueueStats s = parent.context().queue().stats(BUCKETS);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(json(s));
        } else {
            text(out, s);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static void text(PrintWriter out, QueueStats s) {
        out.println("recipients by state:");
        for (RecipientState st : RecipientState.values()) {
            out.printf("  %-10s %8d%n", st.name().toLowerCase(Locale.ROOT), s.byState().getOrDefault(st, 0L));
        }
        out.println("waiting recipients by next hop:");
        if (s.byNextHop().isEmpty()) {
            out.println("  (none)");
        }
        int width = Math.max(12, s.byNextHop().keySet().stream().mapToInt(String::length).max().orElse(0));
        s.byNextHop().entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> out.printf("  %-" + width + "s %8d%n", e.getKey(), e.getValue()));
        out.println("age of waiting recipients in minutes, by next hop (like qshape):");
        List<Duration> buckets = s.ageBuckets();
        int hopWidth = Math.max(10, s.ageHistogramByNextHop().keySet().stream().mapToInt(String::length).max().orElse(0));
        StringBuilder head = new StringBuilder(String.format("  %" + hopWidth + "s %6s", "", "T"));
        for (Duration b : buckets) {
            head.append(String.format(" %5d", b.toMinutes()));
        }
        head.append(String.format(" %5s", buckets.isEmpty() ? "all" : buckets.get(buckets.size() - 1).toMinutes() + "+"));
        out.println(head);
        long[] total = new long[buckets.size() + 1];
        List<String> rows = new ArrayList<>();
        s.ageHistogramByNextHop().entrySet().stream()
                .sorted((a, b) -> Long.compare(sum(b.getValue()), sum(a.getValue())))
                .forEach(e -> {
                    long[] counts = e.getValue();
                    for (int i = 0; i < total.length && i < counts.length; i++) {
                        total[i] += counts[i];
                    }
                    rows.add(row(e.getKey(), hopWidth, counts));
                });
        out.println(row("TOTAL", hopWidth, total));
        rows.forEach(out::println);
    }

    private static String row(String name, int width, long[] counts) {
        StringBuilder b = new StringBuilder(String.format("  %" + width + "s %6d", name, sum(counts)));
        for (long c : counts) {
            b.append(String.format(" %5d", c));
        }
        return b.toString();
    }

    private static long sum(long[] counts) {
        long n = 0;
        for (long c : counts) {
            n += c;
        }
        return n;
    }

    private static String json(QueueStats s) {
        StringBuilder b = new StringBuilder("{\"by_state\":{");
        boolean first = true;
        for (RecipientState st : RecipientState.values()) {
            b.append(first ? "" : ",").append(Json.string(st.name().toLowerCase(Locale.ROOT))).append(':')
                    .append(s.byState().getOrDefault(st, 0L));
            first = false;
        }
        b.append("},\"by_next_hop\":{");
        first = true;
        for (Map.Entry<String, Long> e : s.byNextHop().entrySet()) {
            b.append(first ? "" : ",").append(Json.string(e.getKey())).append(':').append(e.getValue());
            first = false;
        }
        b.append("},\"age_buckets_minutes\":[");
        for (int i = 0; i < s.ageBuckets().size(); i++) {
            b.append(i == 0 ? "" : ",").append(s.ageBuckets().get(i).toMinutes());
        }
        b.append("],\"age_histogram_by_next_hop\":{");
        first = true;
        for (Map.Entry<String, long[]> e : s.ageHistogramByNextHop().entrySet()) {
            b.append(first ? "" : ",").append(Json.string(e.getKey())).append(":[");
            long[] c = e.getValue();
            for (int i = 0; i < c.length; i++) {
                b.append(i == 0 ? "" : ",").append(c[i]);
            }
            b.append(']');
            first = false;
        }
        return b.append("}}").toString();
    }
}
