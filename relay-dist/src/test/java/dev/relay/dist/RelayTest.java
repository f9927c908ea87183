package dev.relay.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.dist.config.ConfigFile;
import dev.relay.dist.config.ConfigLoader;
import dev.relay.dist.config.RelayConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class RelayTest {

    @TempDir
    Path dir;

    RelayConfig config(String extra) throws Exception {
        return config("127.0.0.1:0", extra);
    }

    RelayConfig config(String metrics, String extra) throws Exception {
        String text = "data_directory = " + dir.resolve("data") + "\nmetrics_listen = " + metrics + "\nlisten = 127.0.0.1:0\ntls_enabled = no\n" + extra;
        return new ConfigLoader(dir, () -> "relay.test").load(ConfigFile.parse("test.conf", text), Optional.empty());
    }

    @Test
    void everyRelayMetricHasItsOwnHelpTextAndRefusalCountersAreThereFromTheStart() throws Exception {
        try (Relay relay = Relay.start(config(""), Clock.systemUTC())) {
            String base = "http://127.0.0.1:" + relay.metricsAddress().orElseThrow().getPort();
            String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            java.util.List<String> help = body.lines().filter(l -> l.startsWith("# HELP relay_")).toList();
            assertThat(help).isNotEmpty().allSatisfy(l -> assertThat(l.split(" ", 4)).as(l).hasSize(4)
                    .satisfies(parts -> assertThat(parts[3]).as(l).isNotBlank()));
            // one text for every status, not the first status's ("recipients delivered or relayed")
            assertThat(help).anySatisfy(l -> assertThat(l).startsWith("# HELP relay_delivery_recipients_total ")
                    .contains("sent", "deferred", "bounced", "expired"));
            // a rate() over a refusal works before the first refusal
            assertThat(body).contains("relay_server_recipients_refused_total{reason=\"relay\"} 0.0",
                    "relay_server_messages_refused_total{reason=\"size\"} 0.0",
                    "relay_server_connections_refused_total{reason=\"client\"} 0.0",
                    "relay_dsn_sent_total{kind=\"failure\"} 0.0");
        }
    }

    @Test
    void aHostNameThatIsNotFullyQualifiedIsAcceptedWithAWarning() throws Exception {
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
                new ch.qos.logback.core.read.ListAppender<>();
        logs.start();
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Relay.class);
        logger.addAppender(logs);
        try {
            try (Relay relay = Relay.start(config("hostname = mailhub\n"), Clock.systemUTC())) {
                assertThat(relay).isNotNull();
            }
            try (Relay relay = Relay.start(config("hostname = mailhub.example.org\n"), Clock.systemUTC())) {
                assertThat(relay).isNotNull();
            }
        } finally {
            logger.detachAppender(logs);
        }
        assertThat(logs.list).filteredOn(e -> e.getFormattedMessage().contains("not fully qualified")).singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage()).contains("'mailhub'", "hostname = "));
    }

    @Test
    void startsWithAPrivateDataFolderServesHealthAndMetricsOnLoopbackAndStops() throws Exception {
        try (Relay relay = Relay.start(config(""), Clock.systemUTC())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("data")))).isEqualTo("rwx------");
            var addr = relay.metricsAddress().orElseThrow();
            assertThat(addr.getAddress().isLoopbackAddress()).isTrue();
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + addr.getPort();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).startsWith("{\"status\":\"up\",\"checks\":{\"data_directory\":{\"status\":\"up\"");
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
            assertThat(metrics.body()).contains("jvm_memory_used_bytes");
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
        }
        assertThat(dir.resolve("data/relayctl.sock")).doesNotExist();
    }

    @Test
    void aSecondRelayOnTheSameDataFolderDoesNotStart() throws Exception {
        try (Relay first = Relay.start(config(""), Clock.systemUTC())) {
            assertThatThrownBy(() -> Relay.start(config(""), Clock.systemUTC()))
                    .isInstanceOf(StartupException.class)
                    .hasMessageStartingWith("another relay is running on this data folder");
        }
    }

    @Test
    void aBusyMetricsPortIsOneClearLine() throws Exception {
        try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> Relay.start(config("127.0.0.1:" + port, ""), Clock.systemUTC()))
                    .isInstanceOf(StartupException.class)
                    .hasMessageStartingWith("cannot serve metrics on 127.0.0.1:" + port + ": ")
                    .hasMessageEndingWith("(change metrics_listen, or set it to none)");
        }
    }

    @Test
    void reloadAppliesANewRouteTableAndRelayDomainsAndRefusesABadOneChangingNothing() throws Exception {
        Path conf = dir.resolve("relay.conf");
        Path routes = dir.resolve("routes");
        Files.writeString(routes, "*  [127.0.0.1]:2602\n");
        Files.writeString(conf, "data_directory = " + dir.resolve("data") + "\nmetrics_listen = none\nlisten = 127.0.0.1:0\n"
                + "tls_enabled = no\nhostname = relay.test\nroutes_file = " + routes + "\n");
        RelayConfig cfg = new ConfigLoader(dir, () -> "relay.test").load(Optional.of(conf));
        try (Relay relay = Relay.start(cfg, Clock.systemUTC())) {
            assertThat(relay.cliContext().routing().table().entries()).hasSize(1);
            Files.writeString(routes, "b.test [127.0.0.1]:2603\n*  [127.0.0.1]:2602\n");
            Files.writeString(conf, Files.readString(conf) + "relay_domains = b.test\nmax_errors = 5\n");
            assertThat(relay.reload()).startsWith("reloaded route table " + routes + " (2 routes), relay_domains b.test")
                    .endsWith("changed but applied only at the next start: max_errors");
            assertThat(relay.cliContext().routing().table().lookup("b.test")).hasValueSatisfying(
                    e -> assertThat(e.nextHop().port()).isEqualTo(2603));

            Files.writeString(routes, "b.test [127.0.0.1]:99999\n");
            assertThatThrownBy(relay::reload).isInstanceOf(dev.relay.dist.cli.CliException.class)
                    .hasMessageStartingWith("reload refused, nothing changed: " + routes + ":1: bad port");
            assertThat(relay.cliContext().routing().table().entries()).hasSize(2);
        }
    }
}
