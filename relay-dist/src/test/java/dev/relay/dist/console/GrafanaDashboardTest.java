package dev.relay.dist.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.json.Json;

/**
 * contrib/grafana/relay-dashboard.json is valid JSON, and every metric its queries use is served by
 * a real relay's /metrics (a relay with deferred mail, so that the per-next-hop series exist).
 */
@Timeout(120)
class GrafanaDashboardTest {

    static final Path DASHBOARD = Path.of("src/main/dist/contrib/grafana/relay-dashboard.json");
    private static final Pattern METRIC = Pattern.compile("\\b(relay_[a-z0-9_]+)\\b");

    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    private static void exprs(Object node, List<String> into) {
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                if (("expr".equals(k) || "query".equals(k) || "definition".equals(k)) && v instanceof String s) {
                    into.add(s);
                } else {
                    exprs(v, into);
                }
            });
        } else if (node instanceof List<?> l) {
            l.forEach(x -> exprs(x, into));
        }
    }

    @Test
    void everyMetricTheDashboardUsesIsServedByARelay() throws Exception {
        Object dashboard = new Json().toType(Files.readString(DASHBOARD), Object.class);
        assertThat(dashboard).isInstanceOf(Map.class);
        List<String> exprs = new ArrayList<>();
        exprs(dashboard, exprs);
        Set<String> used = new TreeSet<>();
        for (String e : exprs) {
            Matcher m = METRIC.matcher(e);
            while (m.find()) {
                used.add(m.group(1));
            }
        }
        // what the issue asks the dashboard to show
        assertThat(used).contains("relay_server_messages_accepted_total", "relay_delivery_recipients_total",
                "relay_queue_recipients", "relay_queue_next_hop_recipients", "relay_queue_oldest_age_seconds",
                "relay_delivery_transaction_seconds_bucket", "relay_server_recipients_refused_total",
                "relay_server_messages_accepted_tls_total");

        try (ConsoleRelay r = ConsoleRelay.start(dir, "")) {
            r.send(2, "alice@a.test", "x@far.test");
            r.awaitDeferred(2);
            Set<String> served = new TreeSet<>();
            // the next-hop gauge is refreshed by the history sampler every 10 s
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
                served.clear();
                served.addAll(ConsoleRelay.get(r.base + "/metrics").body().lines().filter(l -> !l.startsWith("#"))
                        .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toSet()));
                return served.contains("relay_queue_next_hop_recipients");
            });
            assertThat(served).as("series names on /metrics").containsAll(used);
        }
    }
}
