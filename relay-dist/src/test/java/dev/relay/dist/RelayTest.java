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
