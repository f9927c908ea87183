package dev.relay.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.dist.config.ConfigKeys;
import dev.relay.dist.config.ConfigLoader;
import dev.relay.dist.config.RelayConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** contrib/ works on first use: the container's configuration loads and is scrapable, the systemd unit verifies. */
class ContribTest {

    static final Path CONTRIB = Path.of("src/main/dist/contrib");

    @TempDir
    Path dir;

    @Test
    void theContainersConfigurationLoadsServesMetricsToOtherHostsAndHealthcheckAsksIt() throws Exception {
        Path etc = Files.createDirectories(dir.resolve("etc/relay"));
        Files.copy(CONTRIB.resolve("docker/relay.conf"), etc.resolve("relay.conf"));
        Files.copy(Path.of("src/main/dist/conf/routes"), etc.resolve("routes"));
        RelayConfig c = new ConfigLoader(Path.of("/"), Optional.of(Path.of("/opt/relay")), () -> "mx.example.org")
                .load(Optional.of(etc.resolve("relay.conf")));
        assertThat(c.metricsListen()).hasValueSatisfying(a -> assertThat(a.getAddress().isAnyLocalAddress()).isTrue());
        assertThat(c.get(ConfigKeys.METRICS_ALLOW_REMOTE)).isTrue();
        assertThat(c.dataDirectory()).isEqualTo(Path.of("/var/lib/relay"));
        assertThat(c.routesFile()).contains(etc.resolve("routes"));

        String dockerfile = Files.readString(CONTRIB.resolve("docker/Dockerfile"));
        String healthcheck = dockerfile.lines().dropWhile(l -> !l.startsWith("HEALTHCHECK")).limit(2)
                .reduce("", String::concat);
        assertThat(healthcheck).contains("/dev/tcp/127.0.0.1/" + c.metricsListen().get().getPort(), "GET /health ");
        assertThat(dockerfile).contains("EXPOSE 2525 " + c.metricsListen().get().getPort());
    }

    @Test
    void theSystemdUnitPassesSystemdAnalyzeVerify() throws Exception {
        Path analyze = List.of(Path.of("/usr/bin/systemd-analyze"), Path.of("/bin/systemd-analyze")).stream()
                .filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(analyze != null, "systemd-analyze is not installed here");
        // the unit names /opt/relay/bin/relay, which verify wants to be executable: give it one
        Path home = Files.createDirectories(dir.resolve("relay/bin"));
        Files.copy(Path.of("src/main/dist/bin/relay"), home.resolve("relay"));
        assertThat(home.resolve("relay").toFile().setExecutable(true)).isTrue();
        String unit = Files.readString(CONTRIB.resolve("systemd/relay.service")).replace("/opt/relay", dir.resolve("relay").toString());
        Path file = Files.writeString(dir.resolve("relay.service"), unit);
        Process p = new ProcessBuilder(analyze.toString(), "verify", file.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).as("systemd-analyze verify says nothing about a good unit").isBlank();
    }
}
